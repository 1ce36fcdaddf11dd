import type { HrTime } from "@opentelemetry/api";

/**
 * Epoch milliseconds from a cue's clock (fractional, possibly near 0 on a `VirtualClock`) as an
 * OpenTelemetry `HrTime`. A plain number would not do: the SDK reads a number below half of
 * `performance.timeOrigin` as a `performance.now()` reading and adds the process start to it,
 * so a virtual time of 1500 would come out in the present. A `Date` would drop the fraction.
 */
export function toHrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  // Rounding can carry a whole second (999.9999999 ms → 1e9 ns).
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}
