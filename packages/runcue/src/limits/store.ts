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
   * Never call it for a change this cue made (its own release or cancel): the cue runs a pass
   * for those itself, and a wake on its own cancel can make a lane ask again in a loop.
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
  /**
   * For a store shared by many cues: the claims of submit keys, so that a keyed work never runs
   * in two cues at once. A limiter of one slot per key (the lane passes the work's `key` as the
   * limiter key): a work with a `key` takes its key's slot before its services' and gives it back
   * when it leaves `running`; while another cue holds it, `block()` answers `key_held`. Called
   * once, at a cue's first keyed work. Omit it where keys are private to a cue (the in-memory
   * store: a cue already keeps one pending or running work per key).
   */
  claims?(context: StoreContext): Limiter;
  /**
   * For a store with a connection: resolves once it can answer (connected, checked, the limits
   * of the services made so far agreed with every other cue's), rejects with why not.
   * `cue.start()` returns it.
   */
  ready?(): Promise<void>;
}

/** The default store: every service's limits live in this process and answer synchronously. */
export const memoryStore: LimiterStore = {
  limiter: (name, options, context) => new MemoryLimiter(name, options, context.rateGuardMs),
};
