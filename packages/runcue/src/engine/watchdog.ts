import type { Clock, TimerHandle } from "../time/clock.js";
import { TimeoutError } from "../errors.js";
import { DeadlineQueue } from "../queue/deadline-queue.js";
import type { WorkRecord } from "../work/record.js";

const WARN = 0;
const TIMEOUT = 1;

/** What the watchdog needs from the engine. */
export interface WatchdogHost {
  readonly clock: Clock;
  isStarted(): boolean;
  /** How many works are pending. */
  pendingCount(): number;
  /** True while something will happen without outside help: a handler or check runs, or a timed wait exists. */
  hasTimedOrActiveWork(): boolean;
  /** Fails a pending work with a timeout. */
  failPending(work: WorkRecord, error: TimeoutError): void;
  /** Every pending work, oldest first. */
  pendingWorks(): Iterable<WorkRecord>;
  /** A pending work has waited `pendingMs` past `pendingWarnAfter`. */
  pendingWarning(work: WorkRecord, pendingMs: number, limitMs: number): void;
  /** Nothing has happened for `sinceMs` with work pending. */
  stallWarning(sinceMs: number): void;
}

/** The watchdog's limits, from the cue's options. */
export interface WatchdogLimits {
  pendingWarnAfter: number | undefined;
  pendingTimeout: number | undefined;
  stallWarnAfter: number | undefined;
  stallTimeout: number | undefined;
}

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
  readonly #host: WatchdogHost;
  readonly #limits: WatchdogLimits;
  readonly #queue: DeadlineQueue<WorkRecord> | undefined;
  readonly #stallEnabled: boolean;
  #pendingTimer: TimerHandle = undefined;
  #pendingTimerAt = Infinity;
  #stallTimer: TimerHandle = undefined;
  #lastActivity = 0;
  #stallWarned = false;

  constructor(host: WatchdogHost, limits: WatchdogLimits) {
    this.#host = host;
    this.#limits = limits;
    this.#queue = limits.pendingWarnAfter === undefined && limits.pendingTimeout === undefined ? undefined : new DeadlineQueue(2);
    this.#stallEnabled = limits.stallWarnAfter !== undefined || limits.stallTimeout !== undefined;
  }

  /** Something happened (a start, a finish, a skip, a timed wait ending, a submit into an idle cue). */
  activity(now: number): void {
    this.#lastActivity = now;
    this.#stallWarned = false;
  }

  /** A work became pending at `now` (submit or retry). */
  pendingStarted(work: WorkRecord, now: number): void {
    if (this.#queue === undefined && !this.#stallEnabled) return;
    if (this.#queue) this.#queue.push(work, now);
    if (!this.#host.isStarted()) return;
    if (this.#queue && this.#pendingTimerAt === Infinity) this.#armPending();
    if (this.#stallEnabled && this.#stallTimer === undefined) this.#armStall();
  }

  /** A work left pending: its deadlines no longer apply, and the queue lets go of it. */
  pendingEnded(work: WorkRecord): void {
    if (this.#queue !== undefined && work.deadlinePos >= 0) this.#queue.drop(work);
  }

  start(now: number): void {
    this.activity(now);
    this.#armPending();
    if (this.#stallEnabled) this.#armStall();
  }

  stop(): void {
    const clock = this.#host.clock;
    if (this.#pendingTimer !== undefined) clock.clearTimeout(this.#pendingTimer);
    if (this.#stallTimer !== undefined) clock.clearTimeout(this.#stallTimer);
    this.#pendingTimer = this.#stallTimer = undefined;
    this.#pendingTimerAt = Infinity;
  }

  // ------------------------------------------------------------ pending timeouts and warnings

  /** The next live entry for a cursor whose work is still in the pending spell it was queued for. */
  #head(cursor: number): { item: WorkRecord; since: number } | undefined {
    const queue = this.#queue as DeadlineQueue<WorkRecord>;
    for (let head = queue.peek(cursor); head; head = queue.peek(cursor)) {
      if (head.item.state === "pending" && head.item.pendingSince === head.since) return head;
      queue.advance(cursor);
    }
    return undefined;
  }

  #armPending(): void {
    const clock = this.#host.clock;
    if (this.#pendingTimer !== undefined) clock.clearTimeout(this.#pendingTimer);
    this.#pendingTimer = undefined;
    this.#pendingTimerAt = Infinity;
    if (!this.#host.isStarted() || this.#queue === undefined) return;
    const { pendingTimeout, pendingWarnAfter } = this.#limits;
    let at = Infinity;
    const t = pendingTimeout === undefined ? undefined : this.#head(TIMEOUT);
    if (t) at = t.since + (pendingTimeout as number);
    const w = pendingWarnAfter === undefined ? undefined : this.#head(WARN);
    if (w) at = Math.min(at, w.since + (pendingWarnAfter as number));
    if (at === Infinity) return;
    this.#pendingTimerAt = at;
    this.#pendingTimer = clock.setTimeout(() => {
      this.#pendingTimer = undefined;
      this.#pendingTimerAt = Infinity;
      this.#checkPending();
    }, at - clock.now());
  }

  #checkPending(): void {
    const host = this.#host;
    const queue = this.#queue as DeadlineQueue<WorkRecord>;
    const now = host.clock.now();
    const { pendingTimeout, pendingWarnAfter } = this.#limits;
    if (pendingTimeout !== undefined) {
      for (let head = this.#head(TIMEOUT); head && head.since + pendingTimeout <= now && host.isStarted(); head = this.#head(TIMEOUT)) {
        queue.advance(TIMEOUT);
        const elapsed = now - head.since;
        const work = head.item;
        host.failPending(work, new TimeoutError("pending", `Pending timeout: ${work.task} (work ${work.id}) waited ${Math.round(elapsed)}ms (limit ${pendingTimeout}ms)`, pendingTimeout, elapsed));
      }
    }
    if (pendingWarnAfter !== undefined) {
      for (let head = this.#head(WARN); head && head.since + pendingWarnAfter <= now; head = this.#head(WARN)) {
        queue.advance(WARN);
        // One entry per pending spell, and this cursor passes each entry once: one warning per spell.
        host.pendingWarning(head.item, now - head.since, pendingWarnAfter);
      }
    }
    this.#armPending();
  }

  // ------------------------------------------------------------ stall

  #armStall(): void {
    const clock = this.#host.clock;
    if (this.#stallTimer !== undefined) clock.clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    if (!this.#host.isStarted() || this.#host.pendingCount() === 0) return;
    const { stallTimeout, stallWarnAfter } = this.#limits;
    const now = clock.now();
    let at = Infinity;
    if (stallTimeout !== undefined) at = this.#lastActivity + stallTimeout;
    if (stallWarnAfter !== undefined) at = Math.min(at, this.#stallWarned ? now + stallWarnAfter : this.#lastActivity + stallWarnAfter);
    this.#stallTimer = clock.setTimeout(() => {
      this.#stallTimer = undefined;
      this.#checkStall();
    }, Math.max(0, at - now));
  }

  #checkStall(): void {
    const host = this.#host;
    if (!host.isStarted() || host.pendingCount() === 0) return; // re-armed by the next pendingStarted
    const now = host.clock.now();
    if (host.hasTimedOrActiveWork()) {
      // Something will happen by itself: not a stall, and the system counts as alive now.
      this.activity(now);
      this.#armStall();
      return;
    }
    const since = now - this.#lastActivity;
    const { stallTimeout, stallWarnAfter } = this.#limits;
    // Compare the same sums the timer was armed with: `now - last >= limit` can round below the
    // limit at the very moment `last + limit` is due (fractional times), and re-arm forever.
    if (stallTimeout !== undefined && this.#lastActivity + stallTimeout <= now) {
      for (const work of [...host.pendingWorks()]) {
        if (work.state !== "pending") continue;
        host.failPending(work, new TimeoutError("stall", `Stall timeout: no progress for ${Math.round(since)}ms (limit ${stallTimeout}ms); ${work.task} (work ${work.id}) was still pending`, stallTimeout, since));
      }
      this.#armStall();
      return;
    }
    if (stallWarnAfter !== undefined && this.#lastActivity + stallWarnAfter <= now && !this.#stallWarned) {
      this.#stallWarned = true;
      host.stallWarning(since);
    }
    this.#armStall();
  }
}
