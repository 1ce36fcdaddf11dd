import { InternalError } from "../errors.js";
import type { Emitter } from "../events/emitter.js";
import { LEGAL, PHASE_NAMES, Phase } from "./phase.js";
import type { BlockCause, WorkRecord } from "./record.js";

/** The containers a work sits in, one per waiting phase; the lifecycle puts works in and takes them out. */
export interface Containers {
  /** Phase `Delayed`: the delay heap (by `dueAt`). */
  addDelayed(work: WorkRecord): void;
  removeDelayed(work: WorkRecord): void;
  /** Phase `Intake`: the FIFO of works waiting for their arrival check. */
  addIntake(work: WorkRecord): void;
  removeIntake(work: WorkRecord): void;
  /** Phase `Blocked`. */
  addBlocked(work: WorkRecord): void;
  removeBlocked(work: WorkRecord): void;
  /** Phase `Queued`: the work's lane. */
  addQueued(work: WorkRecord): void;
  removeQueued(work: WorkRecord): void;
}

/** What the lifecycle tells the rest of the engine. */
export interface LifecycleHost {
  /** A work became pending at `now` (submit or retry): deadlines start. */
  pendingStarted(work: WorkRecord, now: number): void;
  /** A work left pending (started or ended): its deadline entries go. */
  pendingEnded(work: WorkRecord): void;
  /** A work became terminal: free its key, keep it for `get`, wake its waiters. Runs before its event. */
  finished(work: WorkRecord): void;
  /** A work failed and nobody listens to `fail`: failures are never silent. */
  failedUnheard(work: WorkRecord, error: Error): void;
  /** Nothing is pending or running any more. Runs before the `idle` event. */
  idle(): void;
  /**
   * A work left `Screening` or `Checking`: its check's slot and timer go, and a `Checking` work
   * gives back its reservation unless it is `starting` (then the reservation becomes its start).
   */
  leftChecking(work: WorkRecord, starting: boolean): void;
}

/**
 * The one writer of every work's `phase` (see `phase.ts` for the phases and their legal moves)
 * and of the counts of works per phase. Each method is one move: it checks the move is legal
 * (an illegal one throws an `InternalError`), takes the work out of its old container and puts
 * it in the new one, updates the counts, and only then emits the event that reports the move.
 * A listener may call back into the cue (cancel the work, submit, stop): callers re-check the
 * work's phase after any method that emits.
 */
export class Lifecycle {
  /** Works per phase (terminal phases count every work that ever ended there). */
  readonly counts = new Int32Array(PHASE_NAMES.length);
  /** Works submitted, skips among the completed, and attempts retried (pushbacks included), since the cue was made. */
  readonly totals = { submitted: 0, skipped: 0, retried: 0 };
  #pending = 0;
  #running = 0;
  /** Depth of `finished` calls under way (see `#end`). */
  #ending = 0;
  readonly #events: Emitter;
  /** The listener lists: `#on.start.length !== 0` is the cheapest "does anyone listen?". */
  readonly #on: Emitter["listeners"];
  readonly #containers: Containers;
  readonly #host: LifecycleHost;

  constructor(events: Emitter, containers: Containers, host: LifecycleHost) {
    this.#events = events;
    this.#on = events.listeners;
    this.#containers = containers;
    this.#host = host;
  }

  /** Works not yet running nor terminal. */
  get pending(): number {
    return this.#pending;
  }

  get running(): number {
    return this.#running;
  }

  get isIdle(): boolean {
    return this.#pending === 0 && this.#running === 0;
  }

  /** The single write of `phase`: checks the move, keeps the counts. */
  #set(work: WorkRecord, to: Phase): void {
    const from = work.phase;
    if (((LEGAL[from] as number) & (1 << to)) === 0) {
      throw new InternalError(`illegal work phase change ${PHASE_NAMES[from]} -> ${PHASE_NAMES[to]} (work ${work.id}, task "${work.task}")`);
    }
    const counts = this.counts;
    counts[from] = (counts[from] as number) - 1;
    counts[to] = (counts[to] as number) + 1;
    if (from === Phase.Running) this.#running--;
    else if (from !== Phase.New && from <= Phase.Checking) this.#pending--;
    if (to === Phase.Running) this.#running++;
    else if (to <= Phase.Checking) this.#pending++;
    work.phase = to;
  }

  /** Takes a work out of the container of its current phase. */
  #leave(work: WorkRecord, starting = false): void {
    const c = this.#containers;
    switch (work.phase) {
      case Phase.Delayed: c.removeDelayed(work); break;
      case Phase.Intake: c.removeIntake(work); break;
      case Phase.Blocked: c.removeBlocked(work); break;
      case Phase.Queued: c.removeQueued(work); break;
      case Phase.Screening:
      case Phase.Checking: this.#host.leftChecking(work, starting); break;
      default: break;
    }
  }

  /** `New` → `to`: a submit. Emits `submit` (and `queue` when it goes straight to its lane). */
  submitted(work: WorkRecord, to: typeof Phase.Delayed | typeof Phase.Intake | typeof Phase.Queued, now: number): void {
    this.counts[Phase.New] = (this.counts[Phase.New] as number) + 1; // #set counts it out of New
    this.totals.submitted++;
    this.#set(work, to);
    this.#put(work, to);
    this.#host.pendingStarted(work, now);
    if (this.#on.submit.length !== 0) this.#events.emit("submit", { work, services: work.def.serviceNames });
    if (to === Phase.Queued && work.phase === Phase.Queued && this.#on.queue.length !== 0) this.#events.emit("queue", { work });
  }

  #put(work: WorkRecord, to: Phase): void {
    const c = this.#containers;
    if (to === Phase.Delayed) c.addDelayed(work);
    else if (to === Phase.Intake) c.addIntake(work);
    else if (to === Phase.Queued) c.addQueued(work);
    else if (to === Phase.Blocked) c.addBlocked(work);
  }

  /** Moves without an event: `Delayed`/`Blocked`/`Screening`/`Checking` → `Intake`, `Intake` → `Screening`, `Queued` → `Checking`, `Delayed` → `Queued`. */
  move(work: WorkRecord, to: typeof Phase.Intake | typeof Phase.Screening | typeof Phase.Checking): void {
    this.#leave(work);
    this.#set(work, to);
    this.#put(work, to);
  }

  /** → `Queued`: in its lane, waiting for limits. Emits `queue`. */
  queue(work: WorkRecord): void {
    this.#leave(work);
    this.#set(work, Phase.Queued);
    this.#put(work, Phase.Queued);
    if (this.#on.queue.length !== 0) this.#events.emit("queue", { work });
  }

  /** → `Blocked`. Emits `block`. */
  block(work: WorkRecord, cause: BlockCause, error: Error | undefined): void {
    this.#leave(work);
    this.#set(work, Phase.Blocked);
    work.blockCause = cause;
    this.#put(work, Phase.Blocked);
    if (this.#on.block.length !== 0) this.#events.emit("block", error === undefined ? { work, reason: cause } : { work, reason: cause, error });
  }

  /** `Queued`/`Checking` → `Running` (its slots are taken). Emits `start`. */
  start(work: WorkRecord, now: number): void {
    this.#leave(work, true);
    this.#set(work, Phase.Running);
    work.startedAt = now;
    this.#host.pendingEnded(work);
    if (this.#on.start.length !== 0) this.#events.emit("start", { work, services: work.def.serviceNames });
  }

  /** `Running` → `Delayed` | `Queued`: another attempt. Emits `retry` (and `queue`). */
  retry(work: WorkRecord, error: Error, delayMs: number, pushback: boolean, dueAt: number | undefined, now: number): void {
    const to = dueAt === undefined ? Phase.Queued : Phase.Delayed;
    this.#set(work, to);
    if (!pushback) work.attempt++;
    this.totals.retried++;
    work.error = error;
    work.resetSignal();
    work.pendingSince = now;
    if (dueAt !== undefined) work.dueAt = dueAt;
    this.#put(work, to);
    this.#host.pendingStarted(work, now);
    if (this.#on.retry.length !== 0) this.#events.emit("retry", { work, error, delayMs, pushback });
    if (to === Phase.Queued && work.phase === Phase.Queued && this.#on.queue.length !== 0) this.#events.emit("queue", { work });
  }

  /** `Running` → `Completed`. Emits `complete`. */
  complete(work: WorkRecord, result: unknown, now: number): void {
    this.#set(work, Phase.Completed);
    work.result = result;
    work.error = undefined;
    work.completedAt = now;
    this.#end(work);
    if (this.#on.complete.length !== 0) this.#events.emit("complete", { work, result, durationMs: now - (work.startedAt as number) });
    this.#maybeIdle();
  }

  /** `Screening`/`Checking` → `Completed` without running. Emits `skip`. */
  skip(work: WorkRecord, now: number): void {
    this.#leave(work);
    this.#set(work, Phase.Completed);
    work.skipped = true;
    this.totals.skipped++;
    work.completedAt = now;
    this.#host.pendingEnded(work);
    this.#end(work);
    if (this.#on.skip.length !== 0) this.#events.emit("skip", { work });
    this.#maybeIdle();
  }

  /** Any pending phase or `Running` → `Failed`. Emits `fail`. */
  fail(work: WorkRecord, error: Error, now: number): void {
    const wasPending = work.phase !== Phase.Running;
    this.#leave(work);
    this.#set(work, Phase.Failed);
    work.error = error;
    work.completedAt = now;
    if (wasPending) this.#host.pendingEnded(work);
    this.#end(work);
    if (this.#on.fail.length !== 0) this.#events.emit("fail", { work, error });
    else this.#host.failedUnheard(work, error);
    this.#maybeIdle();
  }

  /** Any pending phase or `Running` → `Cancelled`. Emits `cancel`. */
  cancel(work: WorkRecord, error: Error, now: number): void {
    const wasPending = work.phase !== Phase.Running;
    this.#leave(work);
    this.#set(work, Phase.Cancelled);
    work.error = error;
    work.completedAt = now;
    if (wasPending) this.#host.pendingEnded(work);
    this.#end(work);
    if (this.#on.cancel.length !== 0) this.#events.emit("cancel", { work, error });
    this.#maybeIdle();
  }

  #end(work: WorkRecord): void {
    work.token++;
    // `finished` may end other works (a flow's dependants, a step that fails at once): their
    // `idle` waits for this work's own event, so the cue goes idle once, last.
    this.#ending++;
    try {
      this.#host.finished(work);
    } finally {
      this.#ending--;
    }
  }

  #maybeIdle(): void {
    if (this.#pending !== 0 || this.#running !== 0 || this.#ending !== 0) return;
    this.#host.idle();
    if (this.#on.idle.length !== 0) this.#events.emit("idle", {});
  }
}
