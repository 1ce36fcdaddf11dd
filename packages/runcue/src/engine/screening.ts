import type { Clock } from "../time/clock.js";
import { Fifo } from "../queue/fifo.js";
import type { Lifecycle } from "../work/lifecycle.js";
import { Phase } from "../work/phase.js";
import { readyCheckOf, staleCheckOf, type CueChecks, type WorkRecord } from "../work/record.js";
import type { Check } from "../work/work.js";
import { callCheck, type CheckThrew } from "./checks.js";

/** What screening needs from the engine. */
export interface ScreeningHost {
  readonly clock: Clock;
  readonly lifecycle: Lifecycle;
  isStarted(): boolean;
  /** The cue-wide checks (a task's own win over them). */
  readonly checks: CueChecks;
  /** Bumped whenever a handler settles: artifacts may have changed since a work was screened. */
  generation(): number;
  /** A dispatch check said go: start the work (it still holds its reservation). */
  startChecked(work: WorkRecord): void;
  /** An asynchronous answer arrived: run a dispatch pass. */
  pump(): void;
}

type Answer = boolean | CheckThrew | "timeout";

/**
 * The readiness/staleness pipeline, and the bound on asynchronous checks in flight.
 *
 * - **Arrival check** (phase `Screening`): when a work arrives (submit, end of a delay, a recheck
 *   that found it ready), `isReady` then `isStale`. Not ready blocks it; not stale skips it;
 *   stale queues it for its services. It holds nothing while it runs.
 * - **Dispatch check** (phase `Checking`): when a work reaches the head of its lane after some
 *   handler settled since its arrival check, both checks are asked again while it holds its
 *   slots and reserved starts; yes starts it.
 *
 * A check that throws or rejects counts as not ready / stale; with `checkTimeout`, one that
 * has not settled by then counts the same. An asynchronous check holds one of `checkConcurrency`
 * slots until it settles, times out, or its work leaves (cancel, timeout), whichever is first.
 */
export class Screening {
  readonly intake = new Fifo<WorkRecord>();
  readonly #host: ScreeningHost;
  readonly #limit: number;
  readonly #timeoutMs: number | undefined;
  #inFlight = 0;

  constructor(host: ScreeningHost, checkConcurrency: number, checkTimeoutMs: number | undefined) {
    this.#host = host;
    this.#limit = checkConcurrency;
    this.#timeoutMs = checkTimeoutMs;
  }

  /** Asynchronous checks in flight. */
  get inFlight(): number {
    return this.#inFlight;
  }

  get saturated(): boolean {
    return this.#inFlight >= this.#limit;
  }

  get limit(): number {
    return this.#limit;
  }

  hasChecks(work: WorkRecord): boolean {
    const checks = this.#host.checks;
    return (work.def.ready ?? checks.isReady ?? work.def.stale ?? checks.isStale ?? work.def.derived) !== undefined;
  }

  /** Runs arrival checks for works in intake, oldest first, while slots last and the cue runs. */
  drainIntake(): void {
    const host = this.#host;
    for (let work = this.intake.peek(); work !== undefined && host.isStarted() && !this.saturated; work = this.intake.peek()) {
      host.lifecycle.move(work, Phase.Screening);
      this.#askReady(work);
    }
  }

  /** Starts a dispatch check of a work that holds its reservation (phase `Checking`). */
  dispatchCheck(work: WorkRecord): void {
    this.#askReady(work);
  }

  /**
   * Frees what a check of this work holds (its slot, its timer) and makes any late answer be
   * ignored. Called when the work leaves `Screening`, `Checking` or `Blocked` by any road.
   */
  release(work: WorkRecord): void {
    work.token++;
    if (work.timer !== undefined) {
      this.#host.clock.clearTimeout(work.timer);
      work.timer = undefined;
    }
    if (work.checkSlot) {
      work.checkSlot = false;
      this.#inFlight--;
    }
  }

  /**
   * Calls a check and hands its answer to `then`, now or when it settles. An asynchronous
   * answer takes a slot; a late one (the work moved on, or the check timed out) is dropped.
   */
  ask(work: WorkRecord, check: Check | undefined, what: string, then: (work: WorkRecord, answer: Answer) => void): void {
    const token = work.token;
    const answer = callCheck(check, work, what);
    // A synchronous check may have cancelled its own work, or stopped the cue: re-check.
    if (work.token !== token) return;
    if (!(answer instanceof Promise)) {
      then(work, answer);
      return;
    }
    work.checkSlot = true;
    this.#inFlight++;
    const host = this.#host;
    if (this.#timeoutMs !== undefined) {
      work.timer = host.clock.setTimeout(() => {
        work.timer = undefined;
        if (work.token !== token) return;
        this.release(work);
        then(work, "timeout");
        host.pump();
      }, this.#timeoutMs);
    }
    void answer.then((value) => {
      if (work.token !== token) return;
      this.release(work);
      then(work, value);
      host.pump();
    });
  }

  #askReady(work: WorkRecord): void {
    // Submitted with `after`: it waits, unasked, until those works have completed.
    if (work.links !== undefined && work.links.waitingOn.length > 0) {
      this.#host.lifecycle.block(work, "waiting_for", undefined);
      return;
    }
    if (work.readyKnown) {
      work.readyKnown = false;
      this.#askStale(work);
      return;
    }
    work.token++;
    this.ask(work, readyCheckOf(work, this.#host.checks), "isReady", this.#afterReady);
  }

  readonly #afterReady = (work: WorkRecord, answer: Answer): void => {
    if (this.#backIfStopped(work)) return;
    if (answer === true) {
      this.#askStale(work);
      return;
    }
    const lifecycle = this.#host.lifecycle;
    if (answer === false) {
      // Declared artifacts say why: a missing input nothing produces, a waits-for cycle (under `strict`, an error).
      const fatal = work.artifacts?.fatal;
      if (fatal !== undefined) lifecycle.fail(work, fatal, this.#host.clock.now());
      else lifecycle.block(work, work.artifacts?.blockCause ?? "not_ready", undefined);
    } else if (answer === "timeout") lifecycle.block(work, "check_timeout", undefined);
    else lifecycle.block(work, "check_error", answer.error);
  };

  #askStale(work: WorkRecord): void {
    work.token++;
    // Submitted with `force`: run even if fresh.
    if (work.force) {
      this.#afterStale(work, true);
      return;
    }
    this.ask(work, staleCheckOf(work, this.#host.checks), "isStale", this.#afterStale);
  }

  readonly #afterStale = (work: WorkRecord, answer: Answer): void => {
    if (this.#backIfStopped(work)) return;
    const host = this.#host;
    if (answer === false) {
      host.lifecycle.skip(work, host.clock.now());
      return;
    }
    work.checkedGen = host.generation();
    if (work.phase === Phase.Checking) host.startChecked(work);
    else host.lifecycle.queue(work);
  };

  /** The cue stopped while the check ran: the work goes back to wait (a dispatch check gives back its reservation), its answer unused. */
  #backIfStopped(work: WorkRecord): boolean {
    if (this.#host.isStarted()) return false;
    if (work.phase === Phase.Checking) {
      this.#host.lifecycle.queue(work);
    } else {
      this.#host.lifecycle.move(work, Phase.Intake);
    }
    return true;
  }
}
