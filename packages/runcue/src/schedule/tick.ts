/**
 * The public shape of a schedule's ticks and of the `tick` event. This file imports nothing, so
 * the event map can name these types without an import cycle.
 * @module
 */

/** One moment a schedule came due, as `params(tick)` and the `tick` event see it. */
export interface Tick {
  /** When the tick was due, in epoch milliseconds on the cue's clock. */
  readonly scheduledAt: number;
  /** Its position among the ticks this schedule has handled, from 0 (every outcome counts). */
  readonly index: number;
  /**
   * How long after `scheduledAt` it was handled, in milliseconds: 0 on a virtual clock, a few on
   * the system clock, more after a late wake-up (a suspended machine, a blocked event loop), for
   * a catch-up tick, or for an `overlap: "queue"` tick that waited its turn.
   */
  readonly late: number;
  /**
   * True when it was submitted only because `catchUp` asked for missed ticks: on `start()`, or
   * after a late wake-up, for every missed tick but the newest.
   */
  readonly catchUp: boolean;
}

/**
 * What became of a tick:
 * - `submitted`: a new work was submitted (`workId`);
 * - `overlap`: nothing new, because earlier work of this schedule is still pending or running
 *   (`overlap: "skip"`, `workId` is that work), or a newer tick replaced it while it waited its
 *   turn (`overlap: "queue"`);
 * - `paused`: the schedule was paused;
 * - `removed`: it was waiting its turn (`overlap: "queue"`) when the schedule was removed;
 * - `error`: `params(tick)` threw, or the submit failed (`error`).
 */
export type TickOutcome = "submitted" | "overlap" | "paused" | "removed" | "error";

/** The payload of the `tick` event: one per tick, once its outcome is known. */
export interface TickEvent {
  /** The schedule's name. */
  schedule: string;
  /** The tick. */
  tick: Tick;
  /** What became of it. */
  outcome: TickOutcome;
  /** The work it submitted (`submitted`), or the earlier work it coalesced into (`overlap` in skip mode). */
  workId: string | undefined;
  /** What `params(tick)` or the submit threw (`error` only). */
  error?: Error;
}
