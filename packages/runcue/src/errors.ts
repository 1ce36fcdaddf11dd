/**
 * Error classes. Every error runcue raises or hands to a listener is one of these, with a
 * stable `name`, a typed `code` and, where one exists, the underlying `cause`.
 * Handlers steer the scheduler by throwing {@link Retry}, {@link Permanent} or {@link RateLimited}.
 * @module
 */

/** Codes carried by {@link RuncueError} and its subclasses. */
export type RuncueErrorCode =
  | "ERR_UNKNOWN_TASK"
  | "ERR_UNKNOWN_SERVICE"
  | "ERR_UNKNOWN_WORK"
  | "ERR_INVALID_RATE"
  | "ERR_UNKNOWN_RATE_UNIT"
  | "ERR_INVALID_OPTION"
  | "ERR_TIMEOUT"
  | "ERR_CANCELLED"
  | "ERR_RETRY"
  | "ERR_PERMANENT"
  | "ERR_RATE_LIMITED";

/** Options common to every runcue error. */
export interface RuncueErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/** Base class of every error runcue defines. */
export class RuncueError extends Error {
  /** A stable, machine-readable code. */
  readonly code: RuncueErrorCode;

  constructor(code: RuncueErrorCode, message: string, options: RuncueErrorOptions = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.name = "RuncueError";
    this.code = code;
  }
}

/**
 * Invalid configuration or input: an unknown task or service, a malformed rate, duration or
 * option. Thrown synchronously by the call that received the bad value; nothing else changes.
 */
export class ConfigurationError extends RuncueError {
  constructor(code: RuncueErrorCode, message: string, options: RuncueErrorOptions = {}) {
    super(code, message, options);
    this.name = "ConfigurationError";
  }
}

/** Which deadline a {@link TimeoutError} reports. */
export type TimeoutKind = "pending" | "stall" | "handler";

/**
 * A deadline passed: work pending too long (`kind: "pending"`, message starts with
 * `Pending timeout`), the whole cue stalled (`"stall"`, `Stall timeout`), or a handler ran past
 * its task's `timeout` (`"handler"`, `Handler timeout`).
 */
export class TimeoutError extends RuncueError {
  /** Which deadline passed. */
  readonly kind: TimeoutKind;
  /** The limit that was exceeded, in milliseconds. */
  readonly limitMs: number;
  /** How long it actually took, in milliseconds. */
  readonly elapsedMs: number;

  constructor(kind: TimeoutKind, message: string, limitMs: number, elapsedMs: number) {
    super("ERR_TIMEOUT", message);
    this.name = "TimeoutError";
    this.kind = kind;
    this.limitMs = limitMs;
    this.elapsedMs = elapsedMs;
  }
}

/** The reason a work's `signal` aborts when it is cancelled or abandoned by `stop({ timeout })`. */
export class CancelledError extends RuncueError {
  constructor(message: string) {
    super("ERR_CANCELLED", message);
    this.name = "CancelledError";
  }
}

/** Options of {@link Retry}. */
export interface RetryOptions extends RuncueErrorOptions {
  /** Wait this long before the next attempt, instead of the task's backoff. */
  delay?: number | string;
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
  readonly delay: number | string | undefined;

  constructor(options: RetryOptions = {}) {
    super("ERR_RETRY", options.message ?? "Retry requested by handler", options);
    this.name = "Retry";
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
  retryAfter: number | string;
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
  readonly retryAfter: number | string;
  /** The service to pause, if one was named. */
  readonly service: string | undefined;

  constructor(options: RateLimitedOptions) {
    super("ERR_RATE_LIMITED", options.message ?? `Rate limited by remote service (retry after ${String(options.retryAfter)})`, options);
    this.name = "RateLimited";
    this.retryAfter = options.retryAfter;
    this.service = options.service;
  }
}
