import type { Lane } from "../queue/lane.js";
import type { Clock } from "../time/clock.js";
import type { Lifecycle } from "../work/lifecycle.js";
import { Phase } from "../work/phase.js";
import type { WorkRecord } from "../work/record.js";

/** What dispatching needs from the engine. */
export interface DispatchHost {
  readonly clock: Clock;
  readonly lifecycle: Lifecycle;
  isStarted(): boolean;
  /** True when the work must be checked again before it starts (some handler settled since its screening). */
  needsDispatchCheck(work: WorkRecord): boolean;
  /** True when no asynchronous check slot is free. */
  checksSaturated(): boolean;
  /** Runs the dispatch check of a work that holds its reservation. */
  dispatchCheck(work: WorkRecord): void;
  /** Starts a work that holds its reservation. */
  start(work: WorkRecord, now: number): void;
  /** A lane woke from a timed wait (rate window, pause): counts as progress. */
  woke(now: number): void;
  /** A lane must wait until `until` for a rate window or pause. */
  waiting(lane: Lane<WorkRecord>, until: number, now: number): void;
  /** An asynchronous acquisition settled: run a dispatch pass. */
  pump(): void;
  /** An empty per-key lane was let go. */
  laneDropped(lane: Lane<WorkRecord>): void;
}

/**
 * Starts as much queued work as the limits allow, best first: the head with the highest
 * priority (then the oldest) among the lanes that can start now. A lane whose limits say no is
 * skipped for the rest of the round, and gets a wake-up timer for the moment its rate window or
 * pause ends; a lane whose head needs a dispatch check while every check slot is taken is
 * skipped too. So no lane ever waits behind another (no head-of-line blocking across lanes).
 */
export class Dispatcher {
  readonly #host: DispatchHost;
  readonly #lanes: Lane<WorkRecord>[] = [];
  #round = 0;
  /** Counts starts: each lane remembers its last, so keys with waiting work take turns. */
  #starts = 0;

  constructor(host: DispatchHost) {
    this.#host = host;
  }

  addLane(lane: Lane<WorkRecord>): void {
    this.#lanes.push(lane);
  }

  get lanes(): readonly Lane<WorkRecord>[] {
    return this.#lanes;
  }

  /** One pass: start works until no lane can. */
  round(): void {
    const host = this.#host;
    const lanes = this.#lanes;
    const round = ++this.#round;
    // Reading the clock costs about as much as the rest of a dispatch: read it once per round,
    // and again after each start on a rate-limited lane (rate windows need exact start times).
    let now = host.clock.now();
    for (;;) {
      if (!host.isStarted()) return;
      let lane: Lane<WorkRecord> | undefined;
      let best: WorkRecord | undefined;
      for (let i = 0; i < lanes.length; i++) {
        const l = lanes[i] as Lane<WorkRecord>;
        if (l.size === 0) {
          if (l.keyed && !l.acquiring && l.wakeTimer === undefined) this.#drop(i--);
          continue;
        }
        if (l.acquiring || l.skippedRound === round) continue;
        const head = l.peek() as WorkRecord;
        if (best !== undefined && lane !== undefined && !runsFirst(head, l, best, lane)) continue;
        best = head;
        lane = l;
      }
      if (lane === undefined || best === undefined) return;
      const check = host.needsDispatchCheck(best);
      if (check && host.checksSaturated()) {
        if (!this.#skip(lane, round)) return;
        continue;
      }
      const granted = lane.acquire(now, best);
      if (granted === true) {
        lane.lastStart = ++this.#starts;
        this.#go(best, check, now);
        if (lane.timed) now = host.clock.now();
        continue;
      }
      if (typeof granted === "number") {
        this.#wait(lane, granted, now);
        if (!this.#skip(lane, round)) return;
        continue;
      }
      this.#acquireAsync(lane, granted, best);
    }
  }

  /** Forgets the empty keyed lane at `i` (swap-remove: the caller's loop revisits index `i`). */
  #drop(i: number): void {
    const lanes = this.#lanes;
    const lane = lanes[i] as Lane<WorkRecord>;
    lanes[i] = lanes[lanes.length - 1] as Lane<WorkRecord>;
    lanes.pop();
    this.#host.laneDropped(lane);
  }

  /** Marks a lane done for this round; false when it is the only lane (the round ends). */
  #skip(lane: Lane<WorkRecord>, round: number): boolean {
    if (this.#lanes.length === 1) return false;
    lane.skippedRound = round;
    return true;
  }

  #go(work: WorkRecord, check: boolean, now: number): void {
    const host = this.#host;
    if (check) {
      host.lifecycle.move(work, Phase.Checking);
      host.dispatchCheck(work);
    } else {
      host.start(work, now);
    }
  }

  /**
   * A shared limiter answers later: at most one acquisition per lane in flight; a grant goes to
   * the lane's head at that moment. A denial arms the wake-up timer and runs no pass (asking
   * again at once would spin): the timer, or a finishing work, runs the next one.
   */
  #acquireAsync(lane: Lane<WorkRecord>, pending: Promise<true | number>, work: WorkRecord): void {
    lane.acquiring = true;
    void pending.then((granted) => {
      lane.acquiring = false;
      const host = this.#host;
      const now = host.clock.now();
      if (granted !== true) {
        this.#wait(lane, granted, now);
        return;
      }
      // The grant is for `work` (its cost was reserved): if it left the head meanwhile (cancelled,
      // outranked) or the cue stopped, give it back; the next pass asks again for the new head.
      const check = host.needsDispatchCheck(work);
      if (lane.peek() !== work || !host.isStarted() || (check && host.checksSaturated())) {
        lane.cancel(work);
      } else {
        lane.lastStart = ++this.#starts;
        this.#go(work, check, now);
      }
      host.pump();
    });
  }

  /**
   * Arms the lane's wake-up timer for `at` (when a rate window or pause lets a start fit).
   * `Infinity` needs no timer: only a finishing work frees a slot, and a finish runs a pass.
   */
  #wait(lane: Lane<WorkRecord>, at: number, now: number): void {
    if (at === Infinity || at >= lane.wakeAt) return;
    const host = this.#host;
    const clock = host.clock;
    if (lane.wakeTimer !== undefined) clock.clearTimeout(lane.wakeTimer);
    lane.wakeAt = at;
    // A limiter must answer a time after `now`; should one not, wake on the next macrotask
    // rather than never.
    lane.wakeTimer = clock.setTimeout(() => {
      lane.wakeTimer = undefined;
      lane.wakeAt = Infinity;
      host.woke(clock.now());
      host.pump();
    }, at > now ? at - now : 0);
    host.waiting(lane, at, now);
  }

  /** Clears every lane's wake-up timer (the cue stopped). */
  stop(): void {
    const clock = this.#host.clock;
    for (const lane of this.#lanes) {
      if (lane.wakeTimer !== undefined) clock.clearTimeout(lane.wakeTimer);
      lane.wakeTimer = undefined;
      lane.wakeAt = Infinity;
    }
  }

  /** True while some lane waits on a timer (a timed wait: not a stall). */
  get hasTimedWait(): boolean {
    for (const lane of this.#lanes) if (lane.wakeTimer !== undefined || lane.acquiring) return true;
    return false;
  }
}

/**
 * Which head goes first: the higher priority; at equal priority, between lanes of keys
 * (`per`), the lane whose last start is older (keys with waiting work take turns, so a flooded
 * key does not starve the others); otherwise the older work.
 */
function runsFirst(head: WorkRecord, lane: Lane<WorkRecord>, best: WorkRecord, bestLane: Lane<WorkRecord>): boolean {
  if (head.priority !== best.priority) return head.priority > best.priority;
  if (lane.keyed && bestLane.keyed && lane.lastStart !== bestLane.lastStart) return lane.lastStart < bestLane.lastStart;
  return head.seq < best.seq;
}
