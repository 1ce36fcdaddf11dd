/**
 * The limiter contract: what the scheduler asks before it starts a work, and tells it after.
 * One limiter holds the limits of one service (its concurrency slots, its rate windows, its
 * pushback pause); a work that uses several services goes through all of theirs.
 *
 * The lifecycle of one start: `tryAcquire(now)` takes a slot and reserves a start (or says why
 * not and until when); then either `commit(at)` once the handler's synchronous part ran (the
 * start is stamped then), or `cancel()` when the handler never ran (a dispatch check said no,
 * a listener cancelled the work); finally `release()` when the started work leaves `running`.
 *
 * The in-memory limiter answers synchronously. A limiter shared by many processes (through
 * Redis) answers `tryAcquire` with a promise; the scheduler then keeps at most one acquisition
 * per lane in flight and starts the lane's head work when it is granted.
 * @module
 */
import type { Costs, LimitRequest } from "./costs.js";
import type { ServiceOptions } from "./service-options.js";

/** Why a service cannot start work now. */
export interface LimitBlock {
  /**
   * `service_full`: every slot is taken; `rate_limited`: a rate window is full or the service is
   * paused; for a limiter whose state lives in a shared store, `store_unavailable` (the store does
   * not answer: nothing starts), `reseeding` (the store lost its state and is being refilled) and
   * `key_held` (the work's submit key is claimed by a work running in another cue).
   */
  reason: "service_full" | "rate_limited" | "store_unavailable" | "reseeding" | "key_held";
  /** A sentence for humans, with the numbers. */
  details: string;
  /** When a start could fit (epoch ms); absent when only a finishing work frees a slot. */
  until?: number;
  /** True when the block is a pushback pause (`RateLimited`), not a rate window. */
  paused?: boolean;
}

/** One window in a status: its limit, interval, what is used now and when the next start fits. */
export interface WindowStatus {
  limit: number;
  intervalMs: number;
  /** Starts (or measure units) in the window ending now, plus reservations. */
  used: number;
  label: string;
  /** The measure it counts, or null for starts. */
  measure: string | null;
  /** When the next start (of weight 1, or 0 for a measure) fits: now, a later time, or Infinity. */
  nextFreeAt: number;
}

/** The limits of one key of a service with `per`. */
export interface KeyStatus {
  key: string;
  active: number;
  rates: WindowStatus[];
  pausedUntil: number;
}

/** A snapshot of one service, from `cue.status()` and `service.status()`. */
export interface ServiceStatus {
  /** The service name. */
  name: string;
  /** Works running (or holding a reservation while their dispatch checks run), over every key. */
  active: number;
  /** The concurrency cap (per key with `per`), `Infinity` when unlimited. */
  concurrent: number;
  /** Each window (burst windows included) of the service (of its unkeyed state with `per`). */
  rates: WindowStatus[];
  /** Epoch ms until which a `RateLimited` pushback pauses the service, or 0. */
  pausedUntil: number;
  /** The `burst` option, when set. */
  burst?: number;
  /** With `per`: every key that holds state (running, reserved, paused or in a window). */
  keys?: KeyStatus[];
}

/** What a server reported, for `service.observe()` (resolved to absolute times). */
export interface ObserveOptions {
  /** Starts (or units of `measure`) left until the reset. */
  remaining: number;
  /** When the server's window resets (epoch ms, the cue's clock). */
  resetAt: number;
  /** The measure the figure is about; undefined for requests. */
  measure: string | undefined;
  /** The key it is about, with `per`. */
  key: string | undefined;
}

/**
 * Several limiters of one store acquired in one atomic step: a start through every service a
 * work uses (and its key's claim) is granted in all of them or in none, in one round trip.
 * A store shared by many processes offers it so that a work never holds one service's slot
 * while another refuses (the others would see that slot taken meanwhile).
 */
export interface JointAcquire {
  /**
   * Like {@link Limiter.tryAcquire}, for every limiter in `parts` (each of which has this same
   * `joint`), `keys[i]` being the key of `parts[i]`: `true` when every part took a slot and
   * reserved the start, else the earliest time all could fit (`Infinity`: only a finish frees
   * a slot) with nothing taken. Each part's reservation is then committed, cancelled, released
   * and reported through that part, as after its own `tryAcquire`.
   */
  tryAcquire(now: number, parts: readonly Limiter[], keys: readonly (string | undefined)[], request: LimitRequest): true | number | Promise<true | number>;
}

/**
 * The limits of one service, as the scheduler sees them. `key` is the work's key with `per`
 * (undefined otherwise); `request` is the work (its `cost`), also the identity a start is
 * settled by in `report`.
 */
export interface Limiter {
  /** The service name. */
  readonly name: string;
  /** True when some rate window needs exact start times (the scheduler reads the clock after each start). */
  readonly timed: boolean;
  /** True when limits are per key (`per`). */
  readonly keyed: boolean;
  /**
   * Set when the store can acquire this limiter together with others of the same store in one
   * atomic step (the same object on each): a lane whose every limiter has the same `joint`
   * acquires through it instead of one limiter after the other.
   */
  readonly joint?: JointAcquire;
  /** The work's key (`per`), or undefined. @throws ConfigurationError when `per` returns a non-string. */
  keyOf(work: object): string | undefined;
  /**
   * Takes a slot and reserves a start (and its cost) at `now` and returns `true`; or returns the
   * earliest time it could fit (epoch ms, after `now`), `Infinity` when only a finishing work can
   * free a slot. Cheap: the scheduler asks on every dispatch. A shared limiter may answer with a
   * promise of the same.
   */
  tryAcquire(now: number, key: string | undefined, request: LimitRequest): true | number | Promise<true | number>;
  /** The reserved start happened at `at` (after the handler's synchronous part). */
  commit(at: number, key: string | undefined, request: LimitRequest): void;
  /** Gives back a reservation whose handler never ran: its slot, its start and its cost. */
  cancel(key: string | undefined, request: LimitRequest): void;
  /** A started work left `running`: its slot is free. */
  release(key: string | undefined): void;
  /** A started work reported its real cost: its windows' record of that start moves to it. */
  report(key: string | undefined, request: LimitRequest, actual: Costs): void;
  /** The measures its windows count. */
  measures(): Set<string>;
  /** The smallest limit of the windows counting `measure` (a cost above it could never run), or undefined. */
  maxCost(measure: string): number | undefined;
  /** Pushback: no start (of `key`, or of any key) before `until`. */
  pause(until: number, key?: string): void;
  /** Until when a pushback pause holds at `now` (epoch ms), or 0. A work that reserved before the pause checks it before it starts. */
  pausedUntil(now: number, key?: string): number;
  /** New limits from now on; starts already in a window still count. */
  update(options: ServiceOptions, now: number): void;
  /** A server-reported cap, on top of the configured limits. */
  observe(options: ObserveOptions, now: number): void;
  /** Why no start fits at `now`, or undefined when one does; never changes state beyond pruning. */
  block(now: number, key?: string, request?: LimitRequest): LimitBlock | undefined;
  /** A snapshot for `status()`. */
  status(now: number): ServiceStatus;
}
