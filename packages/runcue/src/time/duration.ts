import { ConfigurationError } from "../errors.js";

/**
 * A length of time: milliseconds as a number, or a string with a unit:
 * `"250ms"`, `"30s"`, `"5m"`, `"1h"`, `"1d"` (decimals allowed: `"1.5s"`).
 */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)\s*$/;

/**
 * Parses a {@link Duration} into milliseconds.
 * @param what names the option in the error message.
 * @throws ConfigurationError when the value is not a finite, non-negative duration.
 */
export function parseDuration(value: Duration, what: string): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid duration for ${what}: ${String(value)} (expected a non-negative number of milliseconds or a string like "250ms", "30s", "5m", "1h")`);
  }
  if (typeof value === "string") {
    const match = PATTERN.exec(value);
    if (match) return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid duration for ${what}: ${JSON.stringify(value)} (expected a non-negative number of milliseconds or a string like "250ms", "30s", "5m", "1h")`);
}

/** Like {@link parseDuration} but `undefined` stays `undefined`. */
export function parseOptionalDuration(value: Duration | undefined, what: string): number | undefined {
  return value === undefined ? undefined : parseDuration(value, what);
}

/** Parses a duration that must be greater than zero. */
export function parsePositiveDuration(value: Duration, what: string): number {
  const ms = parseDuration(value, what);
  if (ms <= 0) throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid duration for ${what}: ${JSON.stringify(value)} (must be greater than zero)`);
  return ms;
}
