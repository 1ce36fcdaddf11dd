import { ConfigurationError } from "../errors.js";
import { parsePositiveDuration, type Duration } from "../time/duration.js";

/**
 * A rate limit as an object: at most `limit` starts (or, with `measure`, at most `limit` units
 * of that measure, e.g. tokens) in any window of `interval`.
 */
export interface RateSpec {
  /** Starts (or measure units) allowed per window; a positive integer. */
  limit: number;
  /** The window length. */
  interval: Duration;
  /** Count this named measure of each work's cost instead of starts (`"tokens"`). @default starts */
  measure?: string;
}

/**
 * A rate limit: `"N/unit"` (`"60/min"`, `"1000/day"`), with a count before the unit
 * (`"100/10s"`, `"1/50ms"`) and optionally a measure after N (`"90000 tokens/min"`), a
 * {@link RateSpec}, or a list of them that must all hold (`["500/min", "90000 tokens/min"]`).
 * Units: `ms`, `s|sec|second`, `m|min|minute`, `h|hr|hour`, `d|day`, also in the plural.
 */
export type Rate = string | RateSpec | ReadonlyArray<string | RateSpec>;

/** A parsed rate: at most `limit` starts (or units of `measure`) in any window of `intervalMs`. */
export interface ParsedRate {
  readonly limit: number;
  readonly intervalMs: number;
  /** The rate as the user wrote it, for messages. */
  readonly label: string;
  /** The measure it counts, or undefined for starts. */
  readonly measure: string | undefined;
}

const UNITS: Record<string, number> = {
  ms: 1, millisecond: 1,
  s: 1000, sec: 1000, second: 1000,
  m: 60_000, min: 60_000, minute: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000,
  d: 86_400_000, day: 86_400_000,
};

function unitMs(unit: string): number | undefined {
  const u = unit.toLowerCase();
  if (Object.hasOwn(UNITS, u)) return UNITS[u];
  // Plurals of the word forms only: "mins" is minutes, but "ms" is not "m"s.
  if (u === "ms") return 1;
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

const MEASURE = /^[A-Za-z_][\w-]*$/;
const STRING_RATE = /^\s*(\d+)\s*([A-Za-z_][\w-]*)?\s*\/\s*(\d+(?:\.\d+)?)?\s*([A-Za-z]*)\s*$/;
const FORMAT_HINT = `expected "N/unit" such as "60/min", "100/10s", "1/50ms" or "90000 tokens/min", or { limit, interval, measure? }`;

function checkMeasure(measure: unknown, label: string): string | undefined {
  if (measure === undefined) return undefined;
  if (typeof measure !== "string" || !MEASURE.test(measure) || measure === "starts") {
    throw new ConfigurationError("ERR_INVALID_RATE", `Invalid rate measure: ${JSON.stringify(measure)} in ${label} (expected a name like "tokens"; omit it to count starts)`);
  }
  return measure;
}

function parseOne(rate: string | RateSpec): ParsedRate {
  if (typeof rate === "object" && rate !== null) {
    const given = `{ limit: ${String(rate.limit)}, interval: ${JSON.stringify(rate.interval)}${rate.measure === undefined ? "" : `, measure: ${JSON.stringify(rate.measure)}`} }`;
    for (const key of Object.keys(rate)) {
      if (key !== "limit" && key !== "interval" && key !== "measure") {
        throw new ConfigurationError("ERR_INVALID_RATE", `Unknown rate option "${key}" in ${given} (accepted: limit, interval, measure)`);
      }
    }
    const limit = checkLimit(rate.limit, given);
    const intervalMs = parsePositiveDuration(rate.interval, "rate interval");
    const measure = checkMeasure(rate.measure, given);
    return { limit, intervalMs, label: `${limit}${measure === undefined ? "" : ` ${measure}`} per ${formatInterval(intervalMs)}`, measure };
  }
  if (typeof rate !== "string") {
    throw new ConfigurationError("ERR_INVALID_RATE", `Invalid rate format: ${String(rate)} (${FORMAT_HINT})`);
  }
  const label = JSON.stringify(rate);
  const match = STRING_RATE.exec(rate);
  if (!match) {
    if (!rate.includes("/") || rate.split("/").length !== 2) throw new ConfigurationError("ERR_INVALID_RATE", `Invalid rate format: ${label} (${FORMAT_HINT})`);
    throw new ConfigurationError("ERR_INVALID_RATE", `Invalid rate format: ${label} (the count must be a positive integer; ${FORMAT_HINT})`);
  }
  const [, count, measureName, per, unit] = match as unknown as [string, string, string | undefined, string | undefined, string];
  const ms = unitMs(unit);
  if (ms === undefined) {
    throw new ConfigurationError("ERR_UNKNOWN_RATE_UNIT", `Unknown rate unit: ${JSON.stringify(unit)} in ${label} (expected ms, s, sec, second, m, min, minute, h, hr, hour, d or day)`);
  }
  const intervalMs = (per === undefined ? 1 : Number(per)) * ms;
  if (!(intervalMs > 0)) throw new ConfigurationError("ERR_INVALID_RATE", `Invalid rate format: ${label} (the interval must be greater than zero)`);
  return { limit: checkLimit(Number(count), label), intervalMs, label: rate, measure: checkMeasure(measureName, label) };
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
