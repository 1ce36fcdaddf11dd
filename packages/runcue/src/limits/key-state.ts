import { RateWindow, type Window, type WindowEntry } from "./rate-window.js";
import type { ParsedRate } from "./rate.js";
import { WeightedWindow } from "./weighted-window.js";
import { weightOf, type LimitRequest } from "./costs.js";

/** A cap the server reported: at most `remaining` more (starts, or units of `measure`) until `resetAt`. */
export interface Observed {
  measure: string | undefined;
  remaining: number;
  resetAt: number;
}

/**
 * Makes the windows of one key from the service's rates (the burst windows included). The
 * system clock's guard is 1 ms or 0.1 % of the window, whichever is smaller: a 50 ms burst
 * window would otherwise lose 2 % of its rate to it.
 */
export function makeWindows(rates: readonly ParsedRate[], guardMs: number): Window[] {
  return rates.map((r) => {
    const guard = Math.min(guardMs, r.intervalMs / 1000);
    return r.measure === undefined ? new RateWindow(r, guard) : new WeightedWindow({ ...r, measure: r.measure }, guard);
  });
}

/**
 * The limit state of one key of a service (or of the whole service, without `per`): its running
 * count, its windows, its pause and what the server last reported.
 */
export class KeyState {
  active = 0;
  pausedUntil = 0;
  windows: Window[];
  observed: Observed[] = [];
  /**
   * Per work, when it started and the entries it left in weighted windows (to settle a reported
   * cost). An `update()` replaces the windows and starts this afresh: a start from before it
   * keeps its estimate in the new windows (the conservative side).
   */
  entries = new WeakMap<object, { at: number; list: (WindowEntry | undefined)[] }>();

  constructor(windows: Window[]) {
    this.windows = windows;
  }

  /** True when nothing of this key is running, reserved, paused or still in a window. */
  idle(now: number): boolean {
    if (this.active > 0 || now < this.pausedUntil) return false;
    for (const w of this.windows) if (w.used(now) > 0) return false;
    return this.observed.every((o) => o.resetAt <= now);
  }

  /** True when the server-reported caps admit this request at `now`; drops expired caps. */
  observedFits(now: number, request: LimitRequest): number | true {
    if (this.observed.length === 0) return true;
    this.observed = this.observed.filter((o) => o.resetAt > now);
    for (const o of this.observed) if (weightOf(request, o.measure) > o.remaining) return o.resetAt;
    return true;
  }

  /** Charges the server-reported caps for an admitted request (given back by `refundObserved`). */
  chargeObserved(request: LimitRequest, sign: 1 | -1): void {
    for (const o of this.observed) o.remaining -= sign * weightOf(request, o.measure);
  }
}
