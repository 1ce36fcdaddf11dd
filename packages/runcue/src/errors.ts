/**
 * Error classes. Every error runcue raises or hands to a listener is one of these, with a
 * stable `name`, a typed `code` and, where one exists, the underlying `cause`.
 * The errors handlers throw to steer the scheduler live in `steering.ts`.
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
  | "ERR_RATE_LIMITED"
  | "ERR_WORKER_EXITED"
  | "ERR_MISSING_OUTPUT"
  | "ERR_AMBIGUOUS_PRODUCER"
  | "ERR_CYCLE"
  | "ERR_NO_PRODUCER"
  | "ERR_DEPENDENCY_FAILED"
  | "ERR_FLOW_MAPPING"
  | "ERR_NO_RESULT"
  | "ERR_INTERNAL";

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

/**
 * A broken invariant inside runcue (an illegal lifecycle move). Never caused by user input;
 * seeing one is a bug to report.
 */
export class InternalError extends RuncueError {
  constructor(message: string) {
    super("ERR_INTERNAL", `runcue internal error: ${message}`);
    this.name = "InternalError";
  }
}

/** Describes any value for a message without ever throwing (null prototypes, hostile toString). */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return value.toString();
  if (typeof value !== "object" || value === null) return String(value);
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    // fall through
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return "[object]";
  }
}

/** The `message` of an error-like value, or a description of it; never throws. */
export function messageOf(value: unknown): string {
  try {
    if (value instanceof Error) return String(value.message);
  } catch {
    return "[an error whose message cannot be read]";
  }
  return describeValue(value);
}

/** `value instanceof Error`, false for values that throw when asked (revoked proxies). */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/**
 * Turns anything a handler or check threw (or rejected with) into an `Error`. Errors pass
 * through; other values become an `Error` whose `cause` is the value.
 */
export function toError(value: unknown, what = "Handler"): Error {
  if (isError(value)) return value;
  return new Error(`${what} threw a non-Error value: ${describeValue(value)}`, { cause: value });
}
