import { availableParallelism } from "node:os";
import type { Limiter } from "../limits/limiter.js";
import type { Handler, Work } from "../work/work.js";
import type { Executor } from "./executor.js";
import { spawnProcess } from "./process-channel.js";
import { spawnThread } from "./thread-channel.js";
import { WorkerPool } from "./worker-pool.js";
import type { WorkerSpec } from "./worker-spec.js";

/**
 * The executor of a worker task: `run` posts a plain copy of the work (id, task, params,
 * attempt) to a worker of the task's pool and returns a promise of the result. It returns as
 * soon as the call is handed to the pool, so the rate start is stamped then. The scheduler keeps
 * timeouts and cancels as for any handler; the pool turns the work's aborted signal into an
 * abort inside the worker, and terminates the worker if it does not return within its grace.
 */
export class WorkerExecutor implements Executor {
  readonly #pool: WorkerPool;
  /** The task's handler as the engine records it: calling it runs the work in the pool too. */
  readonly handler: Handler<unknown, unknown>;

  constructor(pool: WorkerPool) {
    this.#pool = pool;
    this.handler = (work) => pool.run(work as Work);
  }

  run(_handler: Handler<unknown, unknown>, work: Work): Promise<unknown> {
    return this.#pool.run(work);
  }
}

interface PoolEntry {
  readonly pool: WorkerPool;
  /** How many works each task on this pool can run at once. */
  readonly bounds: Map<string, number>;
}

/**
 * How many works a task can run at once: the smallest `concurrent` of its services; with no
 * concurrency cap (no services, or none with `concurrent`), the machine's parallelism.
 */
export function concurrencyBound(limiters: readonly Limiter[], now: number): number {
  let bound = Infinity;
  for (const limiter of limiters) bound = Math.min(bound, limiter.status(now).concurrent);
  return Number.isFinite(bound) ? bound : availableParallelism();
}

/**
 * A cue's worker pools: one per worker module (and isolation and pool options), shared by the
 * tasks that name it and sized by them: the sum of what each task can run at once, so a pool
 * never holds more workers than its tasks could use. Workers start lazily; `close()` (from
 * `cue.stop()`) ends them all.
 */
export class WorkerPools {
  readonly #pools = new Map<string, PoolEntry>();
  /** Which pool each worker task uses, to move it when the task is registered again. */
  readonly #taskPool = new Map<string, PoolEntry>();

  /**
   * Registers (or re-registers) a task: the executor of a worker task, undefined for an
   * in-process one. A re-registered task leaves the pool it used.
   */
  assign(task: string, spec: WorkerSpec | undefined, limiters: readonly Limiter[], now: number): WorkerExecutor | undefined {
    const previous = this.#taskPool.get(task);
    if (previous !== undefined) {
      previous.bounds.delete(task);
      this.#taskPool.delete(task);
      previous.pool.max = sum(previous.bounds);
    }
    if (spec === undefined) return undefined;
    let entry = this.#pools.get(spec.key);
    if (entry === undefined) {
      entry = { pool: new WorkerPool(spec, spec.isolation === "process" ? spawnProcess : spawnThread), bounds: new Map() };
      this.#pools.set(spec.key, entry);
    }
    entry.bounds.set(task, concurrencyBound(limiters, now));
    entry.pool.max = sum(entry.bounds);
    this.#taskPool.set(task, entry);
    return new WorkerExecutor(entry.pool);
  }

  /** Ends every worker of every pool; resolves once all have exited. */
  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((entry) => entry.pool.close()));
  }
}

function sum(bounds: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const bound of bounds.values()) total += bound;
  return total;
}
