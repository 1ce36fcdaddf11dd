import type { Handler, Work } from "../work/work.js";

/**
 * The executor contract: how one attempt's handler is called. The scheduler keeps timeouts,
 * aborts and late results; an executor only calls. `run` returns the handler's result or a
 * promise of it, once the handler's synchronous part has run (in process) or once the call was
 * handed over (elsewhere, e.g. a worker thread); the scheduler stamps the rate start right after.
 */
export interface Executor {
  run(handler: Handler<unknown, unknown>, work: Work): unknown;
}

/** Calls the handler in this thread, synchronously: no allocation, no extra tick. */
export const inlineExecutor: Executor = {
  run: (handler, work) => handler(work),
};
