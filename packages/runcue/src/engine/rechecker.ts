import { BlockedList } from "../queue/blocked-list.js";
import type { Clock, TimerHandle } from "../time/clock.js";
import { Phase } from "../work/phase.js";
import { readyCheckOf, type CueChecks, type WorkRecord } from "../work/record.js";
import type { Screening } from "./screening.js";
import type { Artifacts } from "../artifacts/manager.js";

/** Blocked works asked per chunk of a full sweep, before other work gets a turn. */
const SWEEP_CHUNK = 1024;
/** Blocked works (oldest first) asked again per handler that finished... */
const CREDIT_PER_FINISH = 2;
/** ...and at least this many per scan. */
const MIN_CREDIT = 32;
/** Credit (64 finished handlers' worth) at which a scan runs without waiting for a macrotask. */
const SYNC_SCAN_CREDIT = 64 * CREDIT_PER_FINISH;

/** What the rechecker needs from the engine. */
export interface RecheckHost {
  readonly clock: Clock;
  isStarted(): boolean;
  /** The cue-wide checks (a task's own win over them). */
  readonly checks: CueChecks;
  /** A blocked work was found ready: it goes back to intake, to be asked `isStale` only. */
  unblocked(work: WorkRecord): void;
  /** Declared artifacts, if any task declares them: a work parked there (only its producers' ends wake it) stays off this list. */
  artifacts(): Artifacts | undefined;
  pump(): void;
}

/**
 * The works whose readiness check said no, and when to ask them again. The cost is bounded so
 * that permanently blocked work does not slow flowing work:
 * - after handlers finish (an artifact may have appeared), one scan of the oldest blocked works,
 *   2 per finished handler (at least 32), batched into one macrotask however many finished (or
 *   run at once every 64 finishes, when handlers finish without ever yielding a macrotask);
 * - every `recheckInterval`, a sweep over all of them, in chunks of 1024 that let other work run;
 * - `recheck()` starts such a sweep at once.
 * Asynchronous checks count against the shared `checkConcurrency` bound; a sweep that hits it
 * resumes when a check settles.
 */
export class Rechecker {
  readonly #host: RecheckHost;
  readonly #slots: Screening;
  readonly #interval: number;
  readonly #list = new BlockedList();
  #credit = 0;
  #intervalTimer: TimerHandle = undefined;
  #scanTimer: TimerHandle = undefined;
  #sweepTimer: TimerHandle = undefined;
  #sweeping = false;
  #cursor: WorkRecord | undefined = undefined;
  #scanning = false;

  constructor(host: RecheckHost, slots: Screening, intervalMs: number) {
    this.#host = host;
    this.#slots = slots;
    this.#interval = intervalMs;
  }

  get size(): number {
    return this.#list.size;
  }

  add(work: WorkRecord): void {
    if (work.artifacts !== undefined && this.#host.artifacts()?.blocked(work) === true) return;
    this.#list.append(work);
    this.#armInterval();
  }

  /** Takes a work out (it was found ready, cancelled or timed out). */
  remove(work: WorkRecord): void {
    if (work.artifacts !== undefined && this.#host.artifacts()?.unblocked(work) === true) return;
    this.#list.remove(work);
  }

  /**
   * A handler finished: earn credit for a scan of the oldest blocked works. The scan waits for a
   * macrotask so many finishes share it, but handlers that finish in one unbroken chain of
   * promise callbacks never yield one: once enough credit piles up, the scan runs right here.
   */
  finished(): void {
    if (this.#list.size === 0) return;
    this.#credit += CREDIT_PER_FINISH;
    if (this.#credit >= SYNC_SCAN_CREDIT && this.#host.isStarted()) {
      const credit = this.#credit;
      this.#credit = 0;
      this.#scan(this.#list.head, credit, false);
      return;
    }
    this.#scheduleScan();
  }

  start(): void {
    this.#armInterval();
    if (this.#list.size > 0) this.#scheduleScan();
  }

  stop(): void {
    const clock = this.#host.clock;
    for (const t of [this.#intervalTimer, this.#scanTimer, this.#sweepTimer]) if (t !== undefined) clock.clearTimeout(t);
    this.#intervalTimer = this.#scanTimer = this.#sweepTimer = undefined;
    this.#sweeping = false;
    this.#cursor = undefined;
  }

  /** Starts a sweep over every blocked work now, unless one is under way. */
  recheck(): void {
    if (!this.#host.isStarted() || this.#sweeping) return;
    this.#sweeping = true;
    this.#cursor = this.#list.head;
    this.#continueSweep();
  }

  #armInterval(): void {
    if (this.#intervalTimer !== undefined || !this.#host.isStarted() || this.#list.size === 0) return;
    this.#intervalTimer = this.#host.clock.setTimeout(() => {
      this.#intervalTimer = undefined;
      this.recheck();
    }, this.#interval);
  }

  #scheduleScan(): void {
    if (this.#scanTimer !== undefined || !this.#host.isStarted()) return;
    this.#scanTimer = this.#host.clock.setTimeout(() => {
      this.#scanTimer = undefined;
      const credit = Math.max(this.#credit, MIN_CREDIT);
      this.#credit = 0;
      this.#scan(this.#list.head, credit, false);
      this.#host.pump();
    }, 0);
  }

  #continueSweep(): void {
    this.#sweepTimer = undefined;
    if (!this.#host.isStarted()) {
      this.#sweeping = false;
      return;
    }
    const next = this.#scan(this.#cursor, SWEEP_CHUNK, true);
    this.#host.pump();
    if (next === undefined) {
      this.#sweeping = false;
      this.#cursor = undefined;
      this.#armInterval();
      return;
    }
    this.#cursor = next;
    // Async checks saturated: the next one to settle resumes the sweep (no polling meanwhile).
    if (this.#slots.saturated) return;
    this.#sweepTimer = this.#host.clock.setTimeout(() => this.#continueSweep(), 0);
  }

  /** Asks up to `budget` blocked works from `from` on; returns where to continue (undefined at the end). */
  #scan(from: WorkRecord | undefined, budget: number, sweep: boolean): WorkRecord | undefined {
    let w = from;
    // A sweep cursor may point at a work that left the list since; restart from the head then.
    if (w !== undefined && w.phase !== Phase.Blocked) w = this.#list.head;
    this.#scanning = true;
    try {
      for (let n = 0; w !== undefined && n < budget; n++) {
        if (this.#slots.saturated || !this.#host.isStarted()) return sweep ? w : undefined;
        const next = w.blockedNext;
        if (!w.checkSlot) this.#ask(w);
        // The answer may have unblocked `next` too (a check that cancels or resubmits): stay on the list.
        w = next !== undefined && next.phase === Phase.Blocked ? next : next === undefined ? undefined : this.#list.head;
      }
      return w;
    } finally {
      this.#scanning = false;
    }
  }

  #ask(work: WorkRecord): void {
    this.#slots.ask(work, readyCheckOf(work, this.#host.checks), "isReady", this.#answered);
  }

  readonly #answered = (work: WorkRecord, answer: boolean | { error: Error } | "timeout"): void => {
    if (work.phase !== Phase.Blocked) return;
    if (answer === true) {
      this.#host.unblocked(work);
    } else {
      // Phase data of `Blocked`, kept by the owner of the blocked list: why it is still blocked.
      work.blockCause = answer === false ? work.artifacts?.blockCause ?? "not_ready" : answer === "timeout" ? "check_timeout" : "check_error";
    }
    // An asynchronous answer resumes a sweep that paused on saturated check slots.
    if (!this.#scanning && this.#sweeping && this.#sweepTimer === undefined) this.#sweepTimer = this.#host.clock.setTimeout(() => this.#continueSweep(), 0);
  };
}
