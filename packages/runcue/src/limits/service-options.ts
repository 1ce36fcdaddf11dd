import { ConfigurationError, describeValue } from "../errors.js";
import { checkFunction } from "../validate.js";
import type { Work } from "../work/work.js";
import { parseRate, type ParsedRate, type Rate } from "./rate.js";

/** Options of `cue.service()` and of `service.update()`. */
export interface ServiceOptions {
  /**
   * Rate limits that must all hold: at most N starts in any window (`"60/min"`, `"1/50ms"`), or
   * at most N units of a measure of the works' costs (`"90000 tokens/min"`).
   * @default no rate limit
   */
  rate?: Rate;
  /**
   * How many works may run (or be checked for dispatch) at once, per key with `per`.
   * @default unlimited
   */
  concurrent?: number;
  /**
   * Smooths each count rate: never more than `burst` starts in any window of
   * `burst × interval / limit` (`burst: 1` spaces starts evenly). Servers count arrivals, and a
   * full window released at once arrives as one burst. @default none (a whole window at once)
   */
  burst?: number;
  /**
   * Independent limits per key (an API token, a tenant): each key gets its own windows and
   * slots, keys with waiting work are served in turn, and an idle key's state is dropped.
   * Must return a non-empty string. @default one set of limits for the service
   */
  per?: (work: Work) => string;
}

/** The option names of `cue.service()` and `service.update()`. */
export const SERVICE_OPTIONS = ["rate", "concurrent", "burst", "per"] as const;

/** The limits an options object resolves to. */
export interface ResolvedLimits {
  concurrent: number;
  /** The rates, then one burst window per count rate whose burst is smaller than its limit. */
  rates: ParsedRate[];
  burst: number | undefined;
}

/** Validates a service's options and derives its windows (the burst windows included). */
export function resolveLimits(name: string, options: ServiceOptions): ResolvedLimits {
  const concurrent = options.concurrent ?? Infinity;
  if (options.concurrent !== undefined && (typeof concurrent !== "number" || !Number.isInteger(concurrent) || concurrent <= 0)) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid concurrent for service "${name}": ${describeValue(options.concurrent)} (expected a positive integer, or omit it for no limit)`);
  }
  const burst = options.burst;
  if (burst !== undefined && (typeof burst !== "number" || !Number.isInteger(burst) || burst <= 0)) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid burst for service "${name}": ${describeValue(burst)} (expected a positive integer)`);
  }
  checkFunction(options.per, `per of service "${name}"`, true);
  const rates = options.rate === undefined ? [] : parseRate(options.rate);
  if (burst !== undefined && !rates.some((r) => r.measure === undefined)) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid burst for service "${name}": ${burst} (burst smooths a count rate such as "20/s"; this service has none)`);
  }
  const bursts: ParsedRate[] = [];
  for (const r of rates) {
    if (burst === undefined || r.measure !== undefined || burst >= r.limit) continue;
    const intervalMs = (burst * r.intervalMs) / r.limit;
    bursts.push({ limit: burst, intervalMs, label: `burst ${burst} per ${Math.round(intervalMs * 1000) / 1000}ms of ${r.label}`, measure: undefined });
  }
  return { concurrent, rates: [...rates, ...bursts], burst };
}
