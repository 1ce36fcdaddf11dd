import { ConfigurationError } from "../errors.js";
import { parsePositiveDuration, type Duration } from "../time/duration.js";

/** A rate limit as an object: at most `limit` starts in any window of `interval`. */
export interface RateSpec {
  /** Starts allowed per window; a positive integer. */
  limit: number;
  /** The window length. */
  interval: Duration;
}

/**
 * A rate limit: `"N/unit"` (`"60/min"`, `"1000/day"`), a {@link RateSpec}, or a list of
 * them that must all hold (`["60/min", "1000/day"]`).
 * Units: `s|sec|second`, `m|min|minute`, `h|hr|hour`, `d|day`, also in the plural.
 */
export type Rate = string | RateSpec | ReadonlyArray<string | RateSpec>;

/** A parsed rate: at most `limit` starts in any window of `intervalMs`. */
export interface ParsedRate {
  readonly limit: number;
  readonly intervalMs: number;
  /** The rate as the user wrote it, for messages. */
  readonly label: string;
}

const UNITS: Record<string, number> = {
  s: 1000, sec: 1000, second: 1000,
  m: 60_000, min: 60_000, minute: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000,
  d: 86_400_000, day: 86_400_000,
};

function unitMs(unit: string): number | undefined {
  const u = unit.toLowerCase();
  if (Object.hasOwn(UNITS, u)) return UNITS[u];
  // Plurals of the word forms only: "mins" is minutes, but "ms" is not "m"s.
  const singular = u.slice(0, -1);
  if (u.endsWith("s") && singular.length > 1 && Object.hasOwn(UNITS, singular)) return UNITS[singular];
  return undefined;
}

/** "60s", "1.5s", "250ms", "2h": the shortest exact way to say an interval. */
function formatInterval(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms >= size && Number.isInteger((ms / size) * 1000)) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function checkLimit(limit: number, label: string): number {
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new ConfigurationError("ERR_INVALID_RATE", `Invalid rate format: ${label} (the count must be a positive integer, e.g. "60/min")`);
  }
  return limit;
}

function parseOne(rate: string | RateSpec): ParsedRate {
  if (typeof rate === "object" && rate !== null) {
    const given = `{ limit: ${String(rate.limit)}, interval: ${JSON.stringify(rate.interval)} }`;
    const limit = checkLimit(rate.limit, given);
    const intervalMs = parsePositiveDuration(rate.interval, "rate interval");
    return { limit, intervalMs, label: `${limit} per ${formatInterval(intervalMs)}` };
  }
  if (typeof rate !== "string") {
    throw new ConfigurationError("ERR_INVALID_RATE", `Invalid rate format: ${String(rate)} (expected "N/unit", e.g. "60/min", or { limit, interval })`);
  }
  const label = JSON.stringify(rate);
  const parts = rate.split("/");
  if (parts.length !== 2) {
    throw new ConfigurationError("ERR_INVALID_RATE", `Invalid rate format: ${label} (expected "N/unit", e.g. "60/min")`);
  }
  const count = (parts[0] as string).trim();
  const unit = (parts[1] as string).trim();
  if (!/^\d+$/.test(count)) {
    throw new ConfigurationError("ERR_INVALID_RATE", `Invalid rate format: ${label} (the count must be a positive integer, e.g. "60/min")`);
  }
  const ms = unitMs(unit);
  if (ms === undefined) {
    throw new ConfigurationError("ERR_UNKNOWN_RATE_UNIT", `Unknown rate unit: ${JSON.stringify(unit)} in ${label} (expected s, sec, second, m, min, minute, h, hr, hour, d or day)`);
  }
  return { limit: checkLimit(Number(count), label), intervalMs: ms, label: rate };
}

/**
 * Parses a {@link Rate} into one or more windows that must all hold.
 * @throws ConfigurationError with `Invalid rate format` or `Unknown rate unit` in its message.
 */
export function parseRate(rate: Rate): ParsedRate[] {
  if (Array.isArray(rate)) {
    if (rate.length === 0) throw new ConfigurationError("ERR_INVALID_RATE", "Invalid rate format: [] (expected at least one rate, e.g. \"60/min\")");
    return rate.map((r: string | RateSpec) => parseOne(r));
  }
  return [parseOne(rate as string | RateSpec)];
}
