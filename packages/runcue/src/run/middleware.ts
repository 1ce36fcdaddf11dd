import { ConfigurationError } from "../errors.js";
import type { Work } from "../work/work.js";

/** What a middleware gets for one attempt. */
export interface AttemptContext {
  /** The work being run. */
  readonly work: Work;
  /** Which attempt, counting from 1. */
  readonly attempt: number;
  /** Aborts when the attempt is cancelled or times out (the work's signal). */
  readonly signal: AbortSignal;
}

/**
 * Wraps every handler call: do something before, call `next()` to run the rest of the chain
 * (and finally the handler), read or replace its result, or throw. Listed order, outermost first.
 * @example
 * cue.use(async (ctx, next) => {
 *   const t = performance.now();
 *   try { return await next(); } finally { log(ctx.work.task, performance.now() - t); }
 * });
 */
export type Middleware = (ctx: AttemptContext, next: () => Promise<unknown>) => unknown;

/**
 * Runs `middleware` around `last`: returns a promise of the outermost result. `last` is called
 * synchronously from the innermost `next()`, so a chain that never awaits before `next()` runs
 * the handler's first line in the same tick. Calling `next()` twice rejects.
 */
export function runChain(middleware: readonly Middleware[], ctx: AttemptContext, last: () => unknown): Promise<unknown> {
  let index = -1;
  const dispatch = (i: number): Promise<unknown> => {
    if (i <= index) return Promise.reject(new ConfigurationError("ERR_INVALID_OPTION", "A middleware called next() more than once"));
    index = i;
    try {
      const fn = middleware[i];
      const value = fn === undefined ? last() : fn(ctx, () => dispatch(i + 1));
      return new Promise<unknown>((resolve) => resolve(value));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  };
  return dispatch(0);
}
