import type { BlockedInfo, BlockReason, Clock, Cue, TimerHandle } from "runcue";
import type { SimState } from "./state.js";

/** One pending work in a stall report, standing for `count` works blocked the same way. */
export interface BlockedItem {
  id: string;
  task: string;
  label: string;
  reason: BlockReason;
  details: string;
  /** How many pending works wait for the same reason with the same details (this one first). */
  count: number;
  /** Milliseconds until the blocker ends, where runcue knows it. */
  inMs?: number;
}

/** Why the run is stalled, from `debugBlocked()`. Times are ms since the run started. */
export interface StallReport {
  /** When the last work started or finished. */
  since: number;
  /** How long nothing has started or finished. */
  stalledFor: number;
  /** Pending works. */
  total: number;
  byReason: Partial<Record<BlockReason, number>>;
  /** The most telling pending works (not-ready first), alike ones grouped, at most {@link REPORT_ITEMS}. */
  items: BlockedItem[];
  /**
   * `waiting` when some pending work waits for a known moment (a rate window, a retry or a
   * submit delay): the run goes on by itself then (not-ready work may be waiting behind it).
   * `blocked` when nothing does: only not-ready work (or a stopped cue) is left.
   */
  kind: "waiting" | "blocked";
  /** With `waiting`: how long until the first blocker ends, where known. */
  nextInMs: number | undefined;
  /**
   * True when only not-ready work is left and nothing runs or waits for a known time: no
   * event will ever make it ready.
   */
  deadlocked: boolean;
}

/** How many blocked works a report keeps. */
export const REPORT_ITEMS = 10;

/** The order reasons are listed in when work is blocked: not-ready work explains it. */
const BLOCKED_RANK: Record<BlockReason, number> = {
  no_producer: 0, cycle: 1, not_ready: 2, waiting_for: 3, store_unavailable: 4, stopped: 5, reseeding: 6, rate_limited: 7, retry_wait: 8, delayed: 9, key_held: 10, service_full: 11, queued: 12,
};

/** The order when work waits for a known moment: what everything waits behind comes first. */
const WAITING_RANK: Record<BlockReason, number> = {
  rate_limited: 0, reseeding: 1, retry_wait: 2, delayed: 3, not_ready: 4, waiting_for: 5, no_producer: 6, cycle: 7, store_unavailable: 8, key_held: 9, service_full: 10, queued: 11, stopped: 12,
};

/** Whether a stall goes on by itself (`waiting`) or needs something that may never come (`blocked`). */
export type StallKind = StallReport["kind"];

/**
 * A stall as the watch announces it: its kind, known cheaply from `status()`, and the full
 * report, built (from `debugBlocked()`, O(pending)) only if someone asks.
 */
export interface Stall {
  kind: StallKind;
  deadlocked: boolean;
  report(): StallReport;
}

/** Options of {@link StallWatch}. */
export interface StallWatchOptions {
  /** Nothing started or finished this long while work is pending and none runs: stalled. */
  afterMs: number;
  /** Stalled this long: `onTimeout`. */
  timeoutMs: number | undefined;
  /** Repeat `onStall` this often while the stall lasts. */
  repeatMs: number;
  onStall(stall: Stall, repeat: boolean): void;
  /** Work started or finished again after a stall of this kind. */
  onResume(kind: StallKind): void;
  onTimeout(report: StallReport): void;
}

/**
 * Detects stalls on the run's clock. A stall is pending work, nothing running, and no start or
 * finish for `afterMs`. Its length always counts from the last start or finish: reports while
 * it lasts do not reset it (the old simulator's reports did, so its `--timeout` never fired).
 * Timers are set only at known moments (one check per `afterMs` of progress at most), so a long
 * virtual run pays next to nothing.
 */
export class StallWatch {
  readonly #clock: Clock;
  readonly #cue: Cue;
  readonly #state: SimState;
  readonly #startAt: number;
  readonly #options: StallWatchOptions;
  readonly #detectMs: number;
  #checkTimer: TimerHandle = undefined;
  #timeoutTimer: TimerHandle = undefined;
  #repeatTimer: TimerHandle = undefined;
  #stalled = false;
  #lastKind: StallKind = "blocked";
  #running = false;

  constructor(cue: Cue, state: SimState, startAt: number, options: StallWatchOptions) {
    this.#clock = cue.clock;
    this.#cue = cue;
    this.#state = state;
    this.#startAt = startAt;
    this.#options = options;
    this.#detectMs = Math.min(options.afterMs, options.timeoutMs ?? Infinity);
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  start(): void {
    this.#running = true;
    this.#state.onProgress((at) => this.#progress(at));
    this.#armCheck(this.#state.lastProgressAt + this.#detectMs);
  }

  stop(): void {
    this.#running = false;
    this.#clearAll();
  }

  /** A fresh report of the current stall, or undefined when not stalled (or no longer watching: the cue is stopping). */
  current(): StallReport | undefined {
    return this.#stalled && this.#running ? this.report() : undefined;
  }

  /** What every pending work waits for, now. Never throws (nor does `debugBlocked()`). */
  report(): StallReport {
    const now = this.#clock.now();
    const blocked = this.#cue.debugBlocked();
    const byReason: Partial<Record<BlockReason, number>> = {};
    let next = Infinity;
    for (const b of blocked) {
      byReason[b.reason] = (byReason[b.reason] ?? 0) + 1;
      if (b.until !== undefined) next = Math.min(next, b.until - now);
    }
    // Works blocked for the same reason with the same details (a full rate window) are one item.
    const groups = new Map<string, BlockedItem>();
    for (const b of blocked) {
      const details = this.#details(b);
      const key = `${b.reason}\u0000${b.work.task}\u0000${details}`;
      const same = groups.get(key);
      if (same !== undefined) {
        same.count++;
        continue;
      }
      groups.set(key, {
        id: b.work.id,
        task: b.work.task,
        label: this.#state.labelOf(b.work.id),
        reason: b.reason,
        details,
        count: 1,
        ...(b.until === undefined ? {} : { inMs: Math.max(0, b.until - now) }),
      });
    }
    const nextInMs = Number.isFinite(next) ? Math.max(0, next) : undefined;
    const { kind, deadlocked } = this.#classify();
    const rank = kind === "waiting" ? WAITING_RANK : BLOCKED_RANK;
    const items = [...groups.values()]
      .map((item, i) => ({ item, i }))
      .sort((x, y) => rank[x.item.reason] - rank[y.item.reason] || x.i - y.i)
      .slice(0, REPORT_ITEMS)
      .map(({ item }) => item);
    const since = this.#state.lastProgressAt;
    return { since, stalledFor: now - this.#startAt - since, total: blocked.length, byReason, items, kind, nextInMs, deadlocked };
  }

  /**
   * Waiting when some work waits for a known moment: a retry or submit delay, or queued work
   * behind a full rate window or a pushback pause. Deadlocked when only not-ready work is left.
   */
  #classify(): { kind: StallKind; deadlocked: boolean } {
    const st = this.#cue.status();
    const timed = st.delayed > 0 || (st.queued > 0 && st.services.some((s) => s.pausedUntil > 0 || s.rates.some((r) => r.used >= r.limit)));
    return {
      kind: timed && st.started ? "waiting" : "blocked",
      deadlocked: st.running === 0 && st.queued === 0 && st.checking === 0 && st.delayed === 0 && st.blocked > 0,
    };
  }

  #announce(repeat: boolean): void {
    const { kind, deadlocked } = this.#classify();
    this.#lastKind = kind;
    let report: StallReport | undefined;
    this.#options.onStall({ kind, deadlocked, report: () => (report ??= this.report()) }, repeat);
  }

  /** runcue's reason, or the scenario's account of what a not-ready work waits for. */
  #details(b: BlockedInfo): string {
    if (b.reason !== "not_ready") return b.details;
    const why = this.#state.explain(b.work);
    return why ?? b.details;
  }

  #elapsed(): number {
    return this.#clock.now() - this.#startAt;
  }

  #progress(at: number): void {
    if (!this.#stalled) return; // the pending check re-arms itself lazily
    this.#stalled = false;
    this.#clearAll();
    this.#options.onResume(this.#lastKind);
    this.#armCheck(at + this.#detectMs);
  }

  #armCheck(at: number): void {
    if (!this.#running) return;
    if (this.#checkTimer !== undefined) this.#clock.clearTimeout(this.#checkTimer);
    this.#checkTimer = this.#clock.setTimeout(() => {
      this.#checkTimer = undefined;
      this.#check();
    }, Math.max(0, at - this.#elapsed()));
  }

  #check(): void {
    const now = this.#elapsed();
    const since = this.#state.lastProgressAt;
    if (now - since < this.#detectMs) {
      this.#armCheck(since + this.#detectMs);
      return;
    }
    const status = this.#cue.status();
    if (status.pending === 0 || status.running > 0) {
      // Idle between submissions, or handlers still working: not a stall. Look again later.
      this.#armCheck(now + this.#detectMs);
      return;
    }
    this.#stalled = true;
    this.#announce(false);
    if (!this.#stalled || !this.#running) return; // the listener stopped the run
    const timeoutMs = this.#options.timeoutMs;
    if (timeoutMs !== undefined) {
      this.#timeoutTimer = this.#clock.setTimeout(() => {
        this.#timeoutTimer = undefined;
        if (this.#stalled && this.#running) this.#options.onTimeout(this.report());
      }, Math.max(0, since + timeoutMs - now));
    }
    this.#armRepeat();
  }

  #armRepeat(): void {
    this.#repeatTimer = this.#clock.setTimeout(() => {
      this.#repeatTimer = undefined;
      if (!this.#stalled || !this.#running) return;
      this.#announce(true);
      this.#armRepeat();
    }, this.#options.repeatMs);
  }

  #clearAll(): void {
    for (const t of [this.#checkTimer, this.#timeoutTimer, this.#repeatTimer]) if (t !== undefined) this.#clock.clearTimeout(t);
    this.#checkTimer = this.#timeoutTimer = this.#repeatTimer = undefined;
  }
}
