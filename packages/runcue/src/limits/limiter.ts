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

/** Why a service cannot start work now. */
export interface LimitBlock {
  /** `service_full`: every slot is taken; `rate_limited`: a rate window is full or the service is paused. */
  reason: "service_full" | "rate_limited";
  /** A sentence for humans, with the numbers. */
  details: string;
  /** When a start could fit (epoch ms); absent when only a finishing work frees a slot. */
  until?: number;
  /** True when the block is a pushback pause (`RateLimited`), not a rate window. */
  paused?: boolean;
}

/** A snapshot of one service's limits, from `cue.status()`. */
export interface ServiceStatus {
  /** The service name. */
  name: string;
  /** Works running (or holding a reservation while their dispatch checks run). */
  active: number;
  /** The concurrency cap, `Infinity` when unlimited. */
  concurrent: number;
  /** Each rate window: its limit, interval and starts used in the window ending now. */
  rates: { limit: number; intervalMs: number; used: number; label: string }[];
  /** Epoch ms until which a `RateLimited` pushback pauses the service, or 0. */
  pausedUntil: number;
}

/** The limits of one service, as the scheduler sees them. */
export interface Limiter {
  /** The service name. */
  readonly name: string;
  /** True when some rate window needs exact start times (the scheduler reads the clock after each start). */
  readonly timed: boolean;
  /**
   * Takes a slot and reserves a start at `now` and returns `true`; or returns the earliest time
   * a start could fit (epoch ms, after `now`), `Infinity` when only a finishing work can free a
   * slot. Cheap: the scheduler asks on every dispatch. A shared limiter may answer with a
   * promise of the same.
   */
  tryAcquire(now: number): true | number | Promise<true | number>;
  /** The reserved start happened at `at` (after the handler's synchronous part). */
  commit(at: number): void;
  /** Gives back a reservation whose handler never ran: its slot and its start. */
  cancel(): void;
  /** A started work left `running`: its slot is free. */
  release(): void;
  /** Pushback: no start before `until`. */
  pause(until: number): void;
  /** Until when a pushback pause holds at `now` (epoch ms), or 0. A work that reserved before the pause checks it before it starts. */
  pausedUntil(now: number): number;
  /** Why no start fits at `now`, or undefined when one does; never changes state beyond pruning. */
  block(now: number): LimitBlock | undefined;
  /** A snapshot for `status()`. */
  status(now: number): ServiceStatus;
}
