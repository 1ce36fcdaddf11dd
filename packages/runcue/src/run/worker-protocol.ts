/**
 * The messages between a worker pool and its workers, and how thrown values cross them.
 * Structured clone keeps an error's message and stack but drops its class, its `code` and its
 * other fields, so errors travel as {@link SerializedError}s and are revived on the other side
 * with their class (for runcue's own errors and JavaScript's built-in ones), name, message,
 * stack, code, cause and every other field that can be cloned. The steering errors (`Retry`,
 * `Permanent`, `RateLimited`) keep their `code`, `delay`, `retryAfter` and `service`, so they
 * steer the scheduler exactly as when thrown in process.
 * @module
 */
import { CancelledError, ConfigurationError, describeValue, InternalError, RuncueError, TimeoutError } from "../errors.js";
import { Permanent, RateLimited, Retry } from "../steering.js";
import { WorkerError } from "./worker-error.js";

/** The plain copy of a work a worker's handler receives (plus a signal, added in the worker). */
export interface WorkCopy {
  readonly id: string;
  readonly task: string;
  readonly params: unknown;
  readonly attempt: number;
  /** The resolved paths of its task's declared artifacts (`{}` when it declares none). */
  readonly paths: Readonly<Record<string, string | readonly string[]>>;
}

/** An error as it crosses to the other side. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly cause?: Thrown;
  /** Every other own enumerable field that can be cloned (`code`, `retryAfter`, ...). */
  readonly fields: Record<string, unknown>;
}

/** What was thrown: an error, or any other value (cloned, or described when it cannot be). */
export type Thrown = { readonly error: SerializedError } | { readonly value: unknown };

/** Pool → worker. */
export type ToWorker =
  | { readonly type: "run"; readonly call: number; readonly work: WorkCopy }
  | { readonly type: "abort"; readonly call: number; readonly reason: Thrown };

/** Worker → pool. */
export type FromWorker =
  | { readonly type: "ready" }
  /** The module could not be imported (`thrown`), or its default export is not a function (`found`). */
  | { readonly type: "load-error"; readonly thrown?: Thrown; readonly found?: string }
  | { readonly type: "done"; readonly call: number; readonly ok: true; readonly value: unknown }
  | { readonly type: "done"; readonly call: number; readonly ok: false; readonly thrown: Thrown }
  /** A child process is about to exit on an uncaught exception. */
  | { readonly type: "crash"; readonly thrown: Thrown };

const MAX_CAUSE_DEPTH = 8;
const OWN = new Set(["name", "message", "stack", "cause"]);

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error || Object.prototype.toString.call(value) === "[object Error]";
  } catch {
    return false;
  }
}

/** Turns anything thrown into something that can be posted; never throws. */
export function serializeThrown(value: unknown, depth = 0): Thrown {
  if (!isError(value)) return { value: cloneable(value) ? value : describeValue(value) };
  try {
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (OWN.has(key)) continue;
      const field = (value as unknown as Record<string, unknown>)[key];
      if (cloneable(field)) fields[key] = field;
    }
    const hasCause = Object.prototype.hasOwnProperty.call(value, "cause") && depth < MAX_CAUSE_DEPTH;
    const stack = value.stack;
    return {
      error: {
        name: String(value.name),
        message: String(value.message),
        stack: typeof stack === "string" ? stack : undefined,
        ...(hasCause ? { cause: serializeThrown(value.cause, depth + 1) } : {}),
        fields,
      },
    };
  } catch (error) {
    return { value: `an error that cannot be read (${describeValue(error)})` };
  }
}

/** Built-in and runcue classes an error is revived as, by name; runcue's only with their own code. */
const CLASSES: Record<string, { proto: object; code?: string }> = {
  Error: { proto: Error.prototype },
  TypeError: { proto: TypeError.prototype },
  RangeError: { proto: RangeError.prototype },
  SyntaxError: { proto: SyntaxError.prototype },
  ReferenceError: { proto: ReferenceError.prototype },
  EvalError: { proto: EvalError.prototype },
  URIError: { proto: URIError.prototype },
  RuncueError: { proto: RuncueError.prototype },
  ConfigurationError: { proto: ConfigurationError.prototype },
  TimeoutError: { proto: TimeoutError.prototype, code: "ERR_TIMEOUT" },
  CancelledError: { proto: CancelledError.prototype, code: "ERR_CANCELLED" },
  InternalError: { proto: InternalError.prototype, code: "ERR_INTERNAL" },
  Retry: { proto: Retry.prototype, code: "ERR_RETRY" },
  Permanent: { proto: Permanent.prototype, code: "ERR_PERMANENT" },
  RateLimited: { proto: RateLimited.prototype, code: "ERR_RATE_LIMITED" },
  WorkerError: { proto: WorkerError.prototype, code: "ERR_WORKER_EXITED" },
};

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

/** The value that was thrown on the other side, as close to the original as cloning allows. */
export function reviveThrown(thrown: Thrown): unknown {
  if (!("error" in thrown)) return thrown.value;
  const { name, message, stack, cause, fields } = thrown.error;
  const known = Object.prototype.hasOwnProperty.call(CLASSES, name) ? CLASSES[name] : undefined;
  const runcue = known !== undefined && known.proto instanceof RuncueError;
  const usable = known !== undefined && (known.code === undefined ? !runcue || typeof fields.code === "string" : fields.code === known.code);
  const error = Object.create(usable ? known.proto : Error.prototype) as Error;
  define(error, "message", message);
  if (stack !== undefined) define(error, "stack", stack);
  if (cause !== undefined) define(error, "cause", reviveThrown(cause));
  // runcue's errors carry their name as an own field; keep that shape.
  if (runcue && usable) Object.assign(error, { name });
  else if (error.name !== name) define(error, "name", name);
  Object.assign(error, fields);
  return error;
}
