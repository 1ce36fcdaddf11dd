import type { TimerHandle } from "./clock.js";
import { DeadlineQueue } from "./deadline-queue.js";
import { TimeoutError } from "./errors.js";
import type { Engine } from "./engine.js";
import type { ResolvedCueOptions } from "./options.js";
import type { WorkUnit } from "./work.js";

/**
 * Pending timeouts and warnings (per work, measured from when it became pending) and stall
 * detection (for the whole cue). Runs only while the cue is started, and only when one of the
 * four options is set. Timers are set for the next deadline only.
 *
 * A stall: work is pending, nothing runs, no check is in flight, no timed wait (delay, retry,
 * rate window, pushback pause) exists, and nothing has started, finished or been skipped for
 * the limit. Time before a submit into an idle cue never counts.
 */
export class Watchdog {
  readonly #engine: Engine;
  readonly #warnAfter: number | undefined;
  readonly #timeout: number | undefined;
  readonly #stallWarnAfter: number | undefined;
  readonly #stallTimeout: number | undefined;
  readonly #warnQueue: DeadlineQueue | undefined;
  readonly #timeoutQueue: DeadlineQueue | undefined;
  readonly #stallEnabled: boolean;
  #pendingTimer: TimerHandle = undefined;
  #pendingTimerAt = Infinity;
  #stallTimer: TimerHandle = undefined;
  #lastActivity = 0;
  #stallWarned = false;

  constructor(engine: Engine, options: ResolvedCueOptions) {
    this.#engine = engine;
    this.#warnAfter = options.pendingWarnAfter;
    this.#timeout = options.pendingTimeout;
    this.#stallWarnAfter = options.stallWarnAfter;
    this.#stallTimeout = options.stallTimeout;
    this.#warnQueue = this.#warnAfter === undefined ? undefined : new DeadlineQueue();
    this.#timeoutQueue = this.#timeout === undefined ? undefined : new DeadlineQueue();
    this.#stallEnabled = this.#stallWarnAfter !== undefined || this.#stallTimeout !== undefined;
  }

  /** Something happened (a start, a finish, a skip, a timed wait ending, a submit into an idle cue). */
  activity(now: number): void {
    this.#lastActivity = now;
    this.#stallWarned = false;
  }

  /** A work became pending at `now` (submit or retry). */
  pendingStarted(work: WorkUnit, now: number): void {
    if (this.#timeoutQueue) this.#timeoutQueue.push(work, now);
    if (this.#warnQueue) this.#warnQueue.push(work, now);
    if (!this.#engine.started) return;
    if ((this.#timeoutQueue || this.#warnQueue) && this.#pendingTimerAt === Infinity) this.#armPending();
    if (this.#stallEnabled && this.#stallTimer === undefined) this.#armStall();
  }

  start(now: number): void {
    this.activity(now);
    this.#armPending();
    if (this.#stallEnabled) this.#armStall();
  }

  stop(): void {
    const clock = this.#engine.clock;
    if (this.#pendingTimer !== undefined) clock.clearTimeout(this.#pendingTimer);
    if (this.#stallTimer !== undefined) clock.clearTimeout(this.#stallTimer);
    this.#pendingTimer = this.#stallTimer = undefined;
    this.#pendingTimerAt = Infinity;
  }

  // ------------------------------------------------------------ pending timeouts and warnings

  /** Drops entries whose work is no longer in the pending spell they were queued for. */
  static #live(queue: DeadlineQueue): { work: WorkUnit; since: number } | undefined {
    for (let head = queue.peek(); head; head = queue.peek()) {
      if (head.work.state === "pending" && head.work.pendingSince === head.since) return head;
      queue.shift();
    }
    return undefined;
  }

  #armPending(): void {
    const clock = this.#engine.clock;
    if (this.#pendingTimer !== undefined) clock.clearTimeout(this.#pendingTimer);
    this.#pendingTimer = undefined;
    this.#pendingTimerAt = Infinity;
    if (!this.#engine.started) return;
    let at = Infinity;
    const t = this.#timeoutQueue ? Watchdog.#live(this.#timeoutQueue) : undefined;
    if (t) at = t.since + (this.#timeout as number);
    const w = this.#warnQueue ? Watchdog.#live(this.#warnQueue) : undefined;
    if (w) at = Math.min(at, w.since + (this.#warnAfter as number));
    if (at === Infinity) return;
    this.#pendingTimerAt = at;
    this.#pendingTimer = clock.setTimeout(() => {
      this.#pendingTimer = undefined;
      this.#pendingTimerAt = Infinity;
      this.#checkPending();
    }, at - clock.now());
  }

  #checkPending(): void {
    const engine = this.#engine;
    const now = engine.clock.now();
    if (this.#timeoutQueue) {
      const limit = this.#timeout as number;
      for (let head = Watchdog.#live(this.#timeoutQueue); head && head.since + limit <= now; head = Watchdog.#live(this.#timeoutQueue)) {
        this.#timeoutQueue.shift();
        const elapsed = now - head.since;
        engine.failPending(head.work, new TimeoutError("pending", `Pending timeout: ${head.work.task} (work ${head.work.id}) waited ${Math.round(elapsed)}ms (limit ${limit}ms)`, limit, elapsed));
      }
    }
    if (this.#warnQueue) {
      const limit = this.#warnAfter as number;
      for (let head = Watchdog.#live(this.#warnQueue); head && head.since + limit <= now; head = Watchdog.#live(this.#warnQueue)) {
        this.#warnQueue.shift();
        if (head.work.warned) continue;
        head.work.warned = true;
        const pendingMs = now - head.since;
        if (engine.listeners.has("pendingWarning")) engine.listeners.emit("pendingWarning", head.work, pendingMs);
        else console.warn(`runcue: ${head.work.task}[${head.work.id}] pending for ${Math.round(pendingMs)}ms (threshold ${limit}ms)`);
      }
    }
    this.#armPending();
  }

  // ------------------------------------------------------------ stall

  #armStall(): void {
    const clock = this.#engine.clock;
    if (this.#stallTimer !== undefined) clock.clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    if (!this.#engine.started || this.#engine.pendingCount === 0) return;
    const now = clock.now();
    let at = Infinity;
    if (this.#stallTimeout !== undefined) at = this.#lastActivity + this.#stallTimeout;
    if (this.#stallWarnAfter !== undefined) {
      at = Math.min(at, this.#stallWarned ? now + this.#stallWarnAfter : this.#lastActivity + this.#stallWarnAfter);
    }
    this.#stallTimer = clock.setTimeout(() => {
      this.#stallTimer = undefined;
      this.#checkStall();
    }, Math.max(0, at - now));
  }

  #checkStall(): void {
    const engine = this.#engine;
    if (!engine.started || engine.pendingCount === 0) return; // re-armed by the next pendingStarted
    const now = engine.clock.now();
    if (engine.hasTimedOrActiveWork) {
      // Something will happen by itself: not a stall, and the system counts as alive now.
      this.activity(now);
      this.#armStall();
      return;
    }
    const since = now - this.#lastActivity;
    if (this.#stallTimeout !== undefined && since >= this.#stallTimeout) {
      const limit = this.#stallTimeout;
      for (const work of [...engine.pendingWorks()]) {
        engine.failPending(work, new TimeoutError("stall", `Stall timeout: no progress for ${Math.round(since)}ms (limit ${limit}ms); ${work.task} (work ${work.id}) was still pending`, limit, since));
      }
      this.#armStall();
      return;
    }
    if (this.#stallWarnAfter !== undefined && since >= this.#stallWarnAfter && !this.#stallWarned) {
      this.#stallWarned = true;
      if (engine.listeners.has("stallWarning")) engine.listeners.emit("stallWarning", since, engine.pendingCount);
      else console.warn(`runcue: stall: no progress for ${Math.round(since)}ms (${engine.pendingCount} works pending)`);
    }
    this.#armStall();
  }
}
