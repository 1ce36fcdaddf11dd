/**
 * The errors handlers throw to steer the scheduler: {@link Retry}, {@link Permanent} and
 * {@link RateLimited}. The scheduler recognises them by their `code` (see {@link isRetry},
 * {@link isPermanent}, {@link isRateLimited}), not by `instanceof`, so they still work when a
 * program loads two copies of runcue.
 * @module
 */
import { ConfigurationError, RuncueError, describeValue, type RuncueErrorOptions, type TimeoutError } from "./errors.js";
import { parseDuration, type Duration } from "./time/duration.js";

/** Options of {@link Retry}. */
export interface RetryErrorOptions extends RuncueErrorOptions {
  /** Wait this long before the next attempt, instead of the task's backoff. */
  delay?: Duration;
  /** Message of the error. */
  message?: string;
}

/**
 * Thrown by a handler to ask for another attempt, after `delay` if given (else the task's
 * backoff). It counts as an attempt: when the task's `retry.attempts` are used up the work
 * fails with this error.
 * @example
 * throw new Retry({ delay: "10s", cause: err });
 */
export class Retry extends RuncueError {
  /** The requested delay, as given. */
  readonly delay: Duration | undefined;

  /** @throws ConfigurationError when `delay` is not a duration. */
  constructor(options: RetryErrorOptions = {}) {
    super("ERR_RETRY", options.message ?? "Retry requested by handler", options);
    this.name = "Retry";
    if (options.delay !== undefined) parseDuration(options.delay, "Retry delay");
    this.delay = options.delay;
  }
}

/**
 * Thrown by a handler to fail the work at once, with no further attempts.
 * @example
 * if (res.status === 404) throw new Permanent("No such page", { cause: res });
 */
export class Permanent extends RuncueError {
  constructor(message = "Permanent failure", options: RuncueErrorOptions = {}) {
    super("ERR_PERMANENT", message, options);
    this.name = "Permanent";
  }
}

/** Options of {@link RateLimited}. */
export interface RateLimitedOptions extends RuncueErrorOptions {
  /** How long the service must rest, e.g. an HTTP `Retry-After`. Milliseconds or `"30s"`. */
  retryAfter: Duration;
  /**
   * Which of the task's services to pause. Default: every service the task uses (or, for a
   * task without services, only this work waits).
   */
  service?: string;
  /** Message of the error. */
  message?: string;
}

/**
 * Thrown by a handler when the remote service pushed back (HTTP 429). The service pauses for
 * `retryAfter`; the work goes back to pending without using up an attempt.
 * @example
 * if (res.status === 429) throw new RateLimited({ retryAfter: Number(res.headers.get("retry-after")) * 1000 });
 */
export class RateLimited extends RuncueError {
  /** The pause, as given. */
  readonly retryAfter: Duration;
  /** The service to pause, if one was named. */
  readonly service: string | undefined;

  /**
   * A `RateLimited` from an HTTP response (a `fetch` `Response`, or anything with `headers` as a
   * `Headers` or a plain object, and an optional `status`): the pause is `Retry-After` (seconds,
   * or an HTTP date), else the longest `x-ratelimit-reset-*` wait (OpenAI's `"6m0s"`, `"20ms"`,
   * or GitHub's epoch seconds in `x-ratelimit-reset`), else `fallback`.
   * @example
   * if (res.status === 429) throw RateLimited.fromResponse(res);
   */
  static fromResponse(response: ResponseLike, options: { service?: string; fallback?: Duration; now?: number } = {}): RateLimited {
    const get = (name: string): string | undefined => headerOf(response, name);
    const now = options.now ?? Date.now();
    let ms = parseRetryAfter(get("retry-after"), now);
    if (ms === undefined) {
      const waits = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens", "x-ratelimit-reset"]
        .map((h) => parseReset(get(h), now))
        .filter((w): w is number => w !== undefined);
      if (waits.length > 0) ms = Math.max(...waits);
    }
    const retryAfter = ms ?? parseDuration(options.fallback ?? 1000, "RateLimited.fromResponse fallback");
    const status = typeof response.status === "number" ? `HTTP ${response.status}` : "the server";
    return new RateLimited({ retryAfter, message: `Rate limited by ${status} (retry after ${Math.round(retryAfter)}ms)`, ...(options.service === undefined ? {} : { service: options.service }), cause: response });
  }

  /** @throws ConfigurationError when `retryAfter` is missing, NaN, negative or not a duration. */
  constructor(options: RateLimitedOptions) {
    if (typeof options !== "object" || options === null) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid RateLimited options: ${describeValue(options)} (expected { retryAfter, service?, message?, cause? })`);
    }
    parseDuration(options.retryAfter, "RateLimited retryAfter");
    super("ERR_RATE_LIMITED", options.message ?? `Rate limited by remote service (retry after ${String(options.retryAfter)})`, options);
    this.name = "RateLimited";
    this.retryAfter = options.retryAfter;
    this.service = options.service;
  }
}

/** What {@link RateLimited.fromResponse} reads: a `fetch` Response, or headers as a plain object. */
export interface ResponseLike {
  readonly status?: number;
  readonly headers: { get(name: string): string | null } | Readonly<Record<string, string | string[] | undefined>>;
}

function headerOf(response: ResponseLike, name: string): string | undefined {
  const headers = response.headers as { get?: unknown } & Record<string, unknown>;
  if (typeof headers.get === "function") return (headers.get as (n: string) => string | null).call(headers, name) ?? undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : typeof v === "string" ? v : undefined;
  return undefined;
}

/** `Retry-After`: seconds, or an HTTP date. */
function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `x-ratelimit-reset-*`: `"1s"`, `"6m0s"`, `"20ms"`, or epoch seconds (GitHub). */
function parseReset(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const v = value.trim();
  if (/^\d{9,}$/.test(v)) return Math.max(0, Number(v) * 1000 - now);
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  let ms = 0;
  let matched = "";
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    ms += Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[m[2] as string]!;
    matched += m[0];
  }
  return matched === v ? ms : undefined;
}

function hasCode(value: unknown, code: string): boolean {
  try {
    return typeof value === "object" && value !== null && (value as { code?: unknown }).code === code;
  } catch {
    return false;
  }
}

/** True for a {@link Retry} from any copy of runcue (recognised by its code). */
export function isRetry(value: unknown): value is Retry {
  return hasCode(value, "ERR_RETRY");
}

/** True for a {@link Permanent} from any copy of runcue (recognised by its code). */
export function isPermanent(value: unknown): value is Permanent {
  return hasCode(value, "ERR_PERMANENT");
}

/** True for a {@link RateLimited} from any copy of runcue (recognised by its code). */
export function isRateLimited(value: unknown): value is RateLimited {
  return hasCode(value, "ERR_RATE_LIMITED");
}

/** True for a {@link TimeoutError} from any copy of runcue (recognised by its code): a handler, pending or stall deadline passed. */
export function isTimeoutError(value: unknown): value is TimeoutError {
  return hasCode(value, "ERR_TIMEOUT");
}

/** True for a {@link ConfigurationError} from any copy of runcue (recognised by its name): bad input, never worth a retry. */
export function isConfigurationError(value: unknown): value is ConfigurationError {
  try {
    return value instanceof ConfigurationError || (typeof value === "object" && value !== null && (value as { name?: unknown }).name === "ConfigurationError" && typeof (value as { code?: unknown }).code === "string");
  } catch {
    return false;
  }
}
