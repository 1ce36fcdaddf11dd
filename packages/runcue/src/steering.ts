/**
 * The errors handlers throw to steer the scheduler: {@link Retry}, {@link Permanent} and
 * {@link RateLimited}. The scheduler recognises them by their `code` (see {@link isRetry},
 * {@link isPermanent}, {@link isRateLimited}), not by `instanceof`, so they still work when a
 * program loads two copies of runcue.
 * @module
 */
import { ConfigurationError, RuncueError, describeValue, type RuncueErrorOptions } from "./errors.js";
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
