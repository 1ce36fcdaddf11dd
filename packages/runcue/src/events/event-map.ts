import type { TickEvent } from "../schedule/tick.js";
import type { ResultOf } from "../typing.js";
import type { Work } from "../work/work.js";

/** Why a pending work waits, from `debugBlocked()` and the `stall` event. */
export type BlockReason = "not_ready" | "no_producer" | "cycle" | "waiting_for" | "service_full" | "rate_limited" | "store_unavailable" | "reseeding" | "key_held" | "delayed" | "retry_wait" | "queued" | "stopped";

/**
 * Every event of a cue and its payload: one object per event, so payloads can grow fields.
 * Listen with `cue.on(name, listener)`. Per work, the events come in lifecycle order:
 * `submit`, then any of `block`/`queue`, then `start`, then `complete` | `fail` | `retry`
 * (and around again), or `skip` or `cancel`. Exactly one of `complete`, `fail`, `skip`,
 * `cancel` ends each work. Each is emitted after the move it reports is complete, so a
 * listener sees a consistent cue and may call back into it.
 *
 * `W` is the type of the works handed out: {@link Work} for an untyped cue, a union of the
 * tasks' works (discriminated by `work.task`) for a typed one (see `cue.typed()`).
 */
export interface CueEventMap<W extends Work = Work> {
  /** A work was created by `submit`; `services` are the services its task uses. */
  submit: { work: W; services: readonly string[] };
  /** A work entered its services' queue, screened (or without checks); it waits for slots and rate starts. */
  queue: { work: W };
  /**
   * `isReady` said no (`not_ready`), threw (`check_error`, with `error`) or passed `checkTimeout`
   * (`check_timeout`); or works in its `after` list have not completed yet (`waiting_for`); or,
   * for declared artifacts, an input is missing and no pending work produces it (`no_producer`),
   * or pending works wait for each other's outputs (`cycle`).
   */
  block: { work: W; reason: "not_ready" | "check_error" | "check_timeout" | "waiting_for" | "no_producer" | "cycle"; error?: Error };
  /** A work is about to run its handler (it holds its slots and rate starts in `services`). */
  start: { work: W; services: readonly string[] };
  /** A handler returned. `durationMs` runs from the start to the return. */
  complete: { work: W; result: ResultOf<W>; durationMs: number };
  /** A work failed for good: no retries left, `Permanent`, or a timeout. */
  fail: { work: W; error: Error };
  /** A work was ready and not stale: completed without running. */
  skip: { work: W };
  /** An attempt failed and the work will try again after `delayMs`; `pushback` when `RateLimited` sent it back (no attempt used). */
  retry: { work: W; error: Error; delayMs: number; pushback: boolean };
  /** A work was cancelled (`cancel`), or abandoned by `stop({ timeout })`. */
  cancel: { work: W; error: Error };
  /** A service was paused by `RateLimited` pushback until `until` (epoch ms). */
  pause: { service: string; until: number; work: W; error: Error };
  /** Queued work must wait for a rate window (`rate_limited`) or a pushback pause (`paused`) until `until`. */
  wait: { services: string[]; reason: "rate_limited" | "paused"; until: number };
  /** A work has been pending longer than `pendingWarnAfter` (once per pending spell). */
  pendingWarning: { work: W; pendingMs: number };
  /** Work is pending and nothing has happened for `stallWarnAfter` (once per stall); `reasons` counts `debugBlocked()` reasons, most common first. */
  stall: { sinceProgressMs: number; pending: number; reasons: { reason: BlockReason; count: number }[] };
  /** Nothing is pending or running any more. */
  idle: Record<string, never>;
  /** A schedule's tick came due: what it submitted (`workId`), or why nothing (`outcome`). */
  tick: TickEvent;
}

/** The name of an event in {@link CueEventMap}. */
export type CueEventName = keyof CueEventMap;

/** A listener of event `E`. It may return a promise; a rejection goes to `onListenerError`. */
export type CueListener<E extends CueEventName, W extends Work = Work> = (payload: CueEventMap<W>[E]) => void | Promise<void>;

/** The events that concern one work (each payload has `work`): what a task handle's `on` listens to. */
export type WorkEventName = "submit" | "queue" | "block" | "start" | "complete" | "fail" | "skip" | "retry" | "cancel" | "pause" | "pendingWarning";

/** Every event name, for validation. */
export const EVENT_NAMES: readonly CueEventName[] = [
  "submit", "queue", "block", "start", "complete", "fail", "skip", "retry", "cancel", "pause", "wait", "pendingWarning", "stall", "idle", "tick",
];
