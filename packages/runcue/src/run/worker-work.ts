/**
 * The types a worker module is written against. This file imports nothing.
 * @module
 */

/**
 * What a worker module's default export receives: a plain copy of the work (its params copied
 * by structured clone) and a signal that aborts when the work is cancelled or times out.
 */
export interface WorkerWork<P = unknown> {
  /** The work's id in its cue. */
  readonly id: string;
  /** The task name. */
  readonly task: string;
  /** A structured-clone copy of the params given to `submit`. */
  readonly params: P;
  /** Which attempt this is, counting from 1. */
  readonly attempt: number;
  /** The resolved paths of its task's declared `inputs` and `outputs`, by name (`{}` when it declares none). */
  readonly paths: Readonly<Record<string, string | readonly string[]>>;
  /** Aborts (with the `CancelledError` or `TimeoutError` the work ends with) on a cancel or a handler timeout. */
  readonly signal: AbortSignal;
}

/**
 * The default export of a worker module: returns (or resolves to) the work's result, which is
 * copied back by structured clone; what it throws comes back with its name, message, code,
 * stack, cause and other fields, and steers retries as in process.
 * @example
 * // resize-worker.js
 * export default async function resize(work) {
 *   const bytes = await shrink(work.params.path, { signal: work.signal });
 *   return { bytes };
 * }
 */
export type WorkerHandler<P = unknown, R = unknown> = (work: WorkerWork<P>) => R | Promise<R>;
