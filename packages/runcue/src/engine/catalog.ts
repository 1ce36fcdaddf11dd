import { ConfigurationError } from "../errors.js";
import type { Limiter } from "../limits/limiter.js";
import type { ServiceOptions } from "../limits/service-options.js";
import type { LimiterStore, StoreContext } from "../limits/store.js";
import { Lane } from "../queue/lane.js";
import { WorkerPools } from "../run/worker-pools.js";
import { defineTask, type TaskDef } from "../task.js";
import { systemClock, type Clock } from "../time/clock.js";
import type { WorkRecord } from "../work/record.js";

/** On the system clock, each rate start holds its slot this much longer than the interval (see RateWindow). */
const RATE_GUARD_MS = 1;

/**
 * What is registered: services (each a {@link Limiter} made by the store), tasks, and the lanes
 * (one per distinct set of services a task uses). Registration only ever adds lanes.
 */
export class Catalog {
  readonly services = new Map<string, Limiter>();
  readonly tasks = new Map<string, TaskDef>();
  readonly lanes = new Map<string, Lane<WorkRecord>>();
  /** The worker tasks' pools; `Engine.stop` closes them. */
  readonly pools = new WorkerPools();
  /** Each service's options as given: at registration, then merged by each `update()`. */
  readonly #serviceOptions = new Map<string, ServiceOptions>();
  readonly #store: LimiterStore;
  readonly #clock: Clock;
  readonly #laneAdded: (lane: Lane<WorkRecord>) => void;
  readonly #hasLiveWork: (task: string) => boolean;
  readonly #wake: () => void;
  /** The store's claims of submit keys (a shared store only), made at the first keyed work; null: the store has none. */
  #claims: Limiter | null | undefined = undefined;

  constructor(store: LimiterStore, clock: Clock, laneAdded: (lane: Lane<WorkRecord>) => void, hasLiveWork: (task: string) => boolean, wake: () => void) {
    this.#store = store;
    this.#wake = wake;
    this.#clock = clock;
    this.#laneAdded = laneAdded;
    this.#hasLiveWork = hasLiveWork;
  }

  addService(name: string, options: ServiceOptions | undefined): void {
    if (this.services.has(name)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Service "${name}" is already registered (register each service once, before the tasks that use it)`);
    }
    this.services.set(name, this.#store.limiter(name, options ?? {}, this.#context()));
    this.#serviceOptions.set(name, options ?? {});
  }

  /** The options a service has now (as registered, then merged by each update). */
  serviceOptions(name: string): ServiceOptions {
    return this.#serviceOptions.get(name) ?? {};
  }

  /** A service took new limits: keep its options, and resize the worker pools of the tasks it caps. */
  serviceUpdated(name: string, options: ServiceOptions): void {
    this.#serviceOptions.set(name, options);
    this.pools.limitsChanged(name, this.#clock.now());
  }

  #context(): StoreContext {
    return { clock: this.#clock, rateGuardMs: this.#clock === systemClock ? RATE_GUARD_MS : 0, wake: this.#wake };
  }

  /** The store's claims of submit keys, or undefined when keys are private to this cue. */
  #claimsLimiter(): Limiter | undefined {
    if (this.#claims === undefined) this.#claims = this.#store.claims?.(this.#context()) ?? null;
    return this.#claims ?? undefined;
  }

  addTask(name: unknown, options: unknown, handler: unknown): TaskDef {
    const defined = defineTask(name, options, handler, this.services);
    const existing = this.tasks.get(defined.name);
    if (existing && existing.laneKey !== defined.laneKey && this.#hasLiveWork(defined.name)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Task "${defined.name}" has pending or running work; it cannot be re-registered with different services`);
    }
    let lane = this.lanes.get(defined.laneKey);
    if (lane === undefined) {
      lane = new Lane<WorkRecord>(defined.laneKey, defined.limiters);
      this.lanes.set(defined.laneKey, lane);
      this.#laneAdded(lane);
    }
    const executor = this.pools.assign(defined.name, defined.worker, defined.limiters, this.#clock.now());
    const def: TaskDef = { ...defined, handler: executor?.handler ?? (defined.handler as TaskDef["handler"]), executor, lane };
    this.tasks.set(def.name, def);
    return def;
  }

  /**
   * The lane a work queues in: its task's, or, when a service has `per`, the lane of its keys,
   * or, for a work with a submit key under a store that shares keys, the lane that claims it
   * (made on demand; the dispatcher drops it once empty).
   * @throws ConfigurationError when a `per` function returns a non-string.
   */
  laneFor(work: WorkRecord): Lane<WorkRecord> {
    const base = work.def.lane as Lane<WorkRecord>;
    const claims = work.key === undefined ? undefined : this.#claimsLimiter();
    if (!work.def.keyed && claims === undefined) return base;
    const keys = work.def.keyed ? base.services.map((l) => l.keyOf(work)) : undefined;
    // One id per combination, whatever characters the keys hold (joined with a separator, "x\u0001y"
    // + "z" and "x" + "y\u0001z" would share a lane, and one key's limits with another's works).
    const id = JSON.stringify([base.key, keys ?? null, claims === undefined ? null : work.key]);
    let lane = this.lanes.get(id);
    if (lane === undefined) {
      lane = new Lane<WorkRecord>(id, base.services, keys, claims === undefined ? undefined : { limiter: claims, key: work.key as string });
      this.lanes.set(id, lane);
      this.#laneAdded(lane);
    }
    return lane;
  }

  /**
   * The live lane for a work about to queue: a work that left its key's lane (to run, to be
   * checked, to wait out a retry) may find that lane dropped meanwhile; it then queues in the
   * key's current lane, or brings its own back. Limiter state is keyed by the key strings, so
   * slots and reservations it holds stay valid.
   */
  liveLane(lane: Lane<WorkRecord>): Lane<WorkRecord> {
    if (!lane.keyed) return lane;
    const current = this.lanes.get(lane.key);
    if (current !== undefined) return current;
    this.lanes.set(lane.key, lane);
    this.#laneAdded(lane);
    return lane;
  }

  /** A keyed lane ran empty: forget it (a new work of its keys makes it again). */
  dropLane(lane: Lane<WorkRecord>): void {
    if (lane.keyed && lane.size === 0 && this.lanes.get(lane.key) === lane) this.lanes.delete(lane.key);
  }
}
