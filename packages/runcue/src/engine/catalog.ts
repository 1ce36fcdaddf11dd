import { ConfigurationError } from "../errors.js";
import type { Limiter } from "../limits/limiter.js";
import type { ServiceOptions } from "../limits/memory-limiter.js";
import type { LimiterStore } from "../limits/store.js";
import { Lane } from "../queue/lane.js";
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
  readonly #store: LimiterStore;
  readonly #clock: Clock;
  readonly #laneAdded: (lane: Lane<WorkRecord>) => void;
  readonly #hasLiveWork: (task: string) => boolean;

  constructor(store: LimiterStore, clock: Clock, laneAdded: (lane: Lane<WorkRecord>) => void, hasLiveWork: (task: string) => boolean) {
    this.#store = store;
    this.#clock = clock;
    this.#laneAdded = laneAdded;
    this.#hasLiveWork = hasLiveWork;
  }

  addService(name: string, options: ServiceOptions | undefined): void {
    if (this.services.has(name)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Service "${name}" is already registered (register each service once, before the tasks that use it)`);
    }
    const rateGuardMs = this.#clock === systemClock ? RATE_GUARD_MS : 0;
    this.services.set(name, this.#store.limiter(name, options ?? {}, { clock: this.#clock, rateGuardMs }));
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
    const def: TaskDef = { ...defined, lane };
    this.tasks.set(def.name, def);
    return def;
  }

  laneOf(work: WorkRecord): Lane<WorkRecord> {
    return work.def.lane as Lane<WorkRecord>;
  }
}
