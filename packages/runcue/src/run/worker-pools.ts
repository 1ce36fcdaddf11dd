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
  /** Each task on this pool: its services, and what caps it now (see `capOf`). */
  readonly tasks: Map<string, TaskCap>;
}

/** A task of a pool: the services it uses (to find its cap again when one is updated) and its cap. */
interface TaskCap {
  readonly limiters: readonly Limiter[];
  cap: Cap;
}

/** What caps how many works of a task run at once: its tightest service, or nothing (`service` undefined). */
export interface Cap {
  readonly service: string | undefined;
  readonly bound: number;
}

/**
 * What caps a task: the service with the smallest `concurrent` among those it uses (each running
 * work holds a slot in it); with none capped, nothing, and the machine's parallelism stands in.
 * A service with `per` caps each key, not the total, so it caps nothing here.
 */
export function capOf(limiters: readonly Limiter[], now: number): Cap {
  let cap: Cap = { service: undefined, bound: Infinity };
  for (const limiter of limiters) {
    if (limiter.keyed) continue;
    const concurrent = limiter.status(now).concurrent;
    if (concurrent < cap.bound) cap = { service: limiter.name, bound: concurrent };
  }
  return Number.isFinite(cap.bound) ? cap : { service: undefined, bound: availableParallelism() };
}

/**
 * How many works the tasks of a pool can run at once, at most: tasks capped by the same service
 * share its slots, so each capping service counts once (and the uncapped tasks together count
 * the machine's parallelism once).
 */
function poolSize(tasks: ReadonlyMap<string, TaskCap>): number {
  const bounds = new Map<string | undefined, number>();
  for (const { cap } of tasks.values()) bounds.set(cap.service, cap.bound);
  let total = 0;
  for (const bound of bounds.values()) total += bound;
  return total;
}

/**
 * A cue's worker pools: one per worker module (and isolation and pool options), shared by the
 * tasks that name it and sized by what they can run at once (see `poolSize`), so a pool never
 * holds more workers than its tasks could use. A service's `update()` resizes the pools of the
 * tasks it caps (`limitsChanged`). Workers start lazily; `close()` (from `cue.stop()`) ends them all.
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
      previous.tasks.delete(task);
      this.#taskPool.delete(task);
      previous.pool.max = poolSize(previous.tasks);
    }
    if (spec === undefined) return undefined;
    let entry = this.#pools.get(spec.key);
    if (entry === undefined) {
      entry = { pool: new WorkerPool(spec, spec.isolation === "process" ? spawnProcess : spawnThread), tasks: new Map() };
      this.#pools.set(spec.key, entry);
    }
    entry.tasks.set(task, { limiters, cap: capOf(limiters, now) });
    entry.pool.max = poolSize(entry.tasks);
    this.#taskPool.set(task, entry);
    return new WorkerExecutor(entry.pool);
  }

  /**
   * A service's limits were updated: the pools of the tasks using it take their new size (a pool
   * grows at once, and shrinks as its workers become idle).
   */
  limitsChanged(service: string, now: number): void {
    for (const entry of this.#pools.values()) {
      let changed = false;
      for (const t of entry.tasks.values()) {
        if (!t.limiters.some((l) => l.name === service)) continue;
        t.cap = capOf(t.limiters, now);
        changed = true;
      }
      if (changed) entry.pool.max = poolSize(entry.tasks);
    }
  }

  /** Ends every worker of every pool; resolves once all have exited. */
  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((entry) => entry.pool.close()));
  }
}
