import type { Clock } from "../time/clock.js";
import type { Limiter } from "./limiter.js";
import { MemoryLimiter, type ServiceOptions } from "./memory-limiter.js";

/** What a store knows about the cue asking it. */
export interface StoreContext {
  /** The cue's clock. */
  readonly clock: Clock;
  /** Extra time each rate start keeps its slot (1 ms on the system clock, 0 on a virtual one). */
  readonly rateGuardMs: number;
  /**
   * Asks the cue for another dispatch pass soon (on a later macrotask; harmless when stopped).
   * For a store whose limits change without anything happening in this cue, e.g. a slot freed
   * by another process: a `tryAcquire` that answered `Infinity` (or a time far off) is asked
   * again then. The in-memory store never needs it: every change it sees comes from the cue.
   */
  readonly wake: () => void;
}

/**
 * Where the limiters of a cue's services keep their state: in this process (the default,
 * {@link memoryStore}), or shared by many processes (a Redis store in an add-on package).
 * `cue.service(name, options)` asks the store for that service's {@link Limiter}.
 */
export interface LimiterStore {
  limiter(name: string, options: ServiceOptions, context: StoreContext): Limiter;
}

/** The default store: every service's limits live in this process and answer synchronously. */
export const memoryStore: LimiterStore = {
  limiter: (name, options, context) => new MemoryLimiter(name, options, context.rateGuardMs),
};
