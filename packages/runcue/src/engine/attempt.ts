import { TimeoutError } from "../errors.js";
import type { Executor } from "../run/executor.js";
import { runChain, type Middleware } from "../run/middleware.js";
import type { Clock } from "../time/clock.js";
import type { Lifecycle } from "../work/lifecycle.js";
import { Phase } from "../work/phase.js";
import { Hold, type WorkRecord } from "../work/record.js";
import { isThenable } from "./checks.js";
import { decideOutcome } from "./outcome.js";
import type { Artifacts } from "../artifacts/manager.js";

const promiseThen = Promise.prototype.then;

/** A native promise with the native `then` (what an async handler returns): safe to call `then` on directly, the cheapest way. */
function isPlainPromise(value: unknown): value is Promise<unknown> {
  try {
    return value instanceof Promise && value.then === promiseThen;
  } catch {
    return false;
  }
}

const { NONE, RESERVED, INVOKED, COMMITTED } = Hold;

/** What running an attempt needs from the engine. */
export interface AttemptHost {
  readonly clock: Clock;
  readonly lifecycle: Lifecycle;
  readonly executor: Executor;
  readonly middleware: readonly Middleware[];
  readonly random: () => number;
  /** Something happened (for stall detection). */
  activity(now: number): void;
  /** Emits `pause` for the services paused (after the work moved on). */
  announcePause(work: WorkRecord, services: readonly string[], until: number, error: Error): void;
  /**
   * A work left `Running` (finished, failed, timed out, cancelled). `aborted`: its handler may
   * still be reacting to its signal, so the next dispatch waits a macrotask.
   */
  afterRunning(aborted: boolean): void;
  /** Declared artifacts: a work declaring outputs has them marked incomplete while it runs, and verified before it completes. */
  artifacts(): Artifacts;
}

/**
 * Runs attempts: calls the handler through the executor and the middleware, stamps the rate
 * start once the handler's synchronous part ran, enforces the task's timeout, ignores late
 * results (each attempt has a token), and settles into complete, retry, pushback or fail.
 */
export class Attempts {
  readonly #host: AttemptHost;

  constructor(host: AttemptHost) {
    this.#host = host;
  }

  /**
   * Starts a work that holds its slots and reserved starts. The `start` listener runs first and
   * may cancel it; then the handler runs.
   */
  start(work: WorkRecord, now: number): void {
    const host = this.#host;
    work.hold = RESERVED;
    host.lifecycle.start(work, now);
    if (work.hold === NONE) return; // a start listener cancelled it (its reservation went back)
    const token = ++work.token;
    host.activity(now);
    if (work.artifacts !== undefined) host.artifacts().starting(work);
    const timeoutMs = work.def.timeoutMs;
    if (timeoutMs !== undefined) work.timer = host.clock.setTimeout(() => this.#timedOut(work, token), timeoutMs);
    let result: unknown;
    let threw = false;
    try {
      if (host.middleware.length === 0) {
        work.hold = INVOKED;
        result = (work.def.executor ?? host.executor).run(work.def.handler, work);
      } else {
        result = this.#chain(work, token);
      }
    } catch (error) {
      threw = true;
      result = error;
    }
    if (work.token === token && work.hold === INVOKED) this.#commit(work);
    if (threw) this.#settle(work, token, false, result);
    else if (isPlainPromise(result)) {
      void result.then((value) => this.#settle(work, token, true, value), (error: unknown) => this.#settle(work, token, false, error));
    } else if (isThenable(result)) {
      // Any other thenable is adopted through a new promise: one whose `then` throws (or cannot be read) rejects it.
      void new Promise<unknown>((resolve) => resolve(result)).then((value) => this.#settle(work, token, true, value), (error: unknown) => this.#settle(work, token, false, error));
    } else this.#settle(work, token, true, result);
  }

  #chain(work: WorkRecord, token: number): Promise<unknown> {
    const host = this.#host;
    const ctx = { work, attempt: work.attempt, get signal() { return work.signal; } };
    return runChain(host.middleware, ctx, () => {
      if (work.token !== token) return undefined; // cancelled while a middleware awaited: the handler never runs
      work.hold = INVOKED;
      try {
        return (work.def.executor ?? host.executor).run(work.def.handler, work);
      } finally {
        if (work.token === token && work.hold === INVOKED) this.#commit(work);
      }
    });
  }

  /** The handler ran: its reserved starts become starts, stamped now (a fresh clock read on rate-limited lanes). */
  #commit(work: WorkRecord): void {
    work.hold = COMMITTED;
    const lane = work.lane;
    if (lane.timed) lane.commit(this.#host.clock.now(), work);
  }

  /**
   * Frees what a running work holds: its token (late results are ignored), its timer, its slots
   * (or, if its handler never ran, its whole reservation). False when this attempt already ended.
   */
  leave(work: WorkRecord, token = work.token): boolean {
    if (work.token !== token || work.hold === NONE) return false;
    work.token++;
    if (work.timer !== undefined) {
      this.#host.clock.clearTimeout(work.timer);
      work.timer = undefined;
    }
    const lane = work.lane;
    // Cancelled or timed out inside the handler's synchronous part: the start happened; stamp it now.
    if (work.hold === INVOKED) this.#commit(work);
    if (work.hold === COMMITTED) lane.release();
    else lane.cancel(work);
    work.hold = NONE;
    return true;
  }

  #settle(work: WorkRecord, token: number, ok: boolean, value: unknown): void {
    // Declared outputs are verified before the work completes (it keeps its slots meanwhile); a
    // cancel, timeout or stop during the check bumps the token and the answer is dropped.
    if (ok && work.artifacts !== undefined && work.artifacts.outputs.length > 0 && work.token === token && work.hold !== NONE) {
      const current = (): boolean => work.token === token;
      void this.#host.artifacts().verify(work, current).then(
        (missing) => this.#verified(work, token, missing, value),
        (error: unknown) => this.#verified(work, token, error instanceof Error ? error : new Error(String(error)), value),
      );
      return;
    }
    this.#settled(work, token, ok, value);
  }

  #verified(work: WorkRecord, token: number, missing: Error | undefined, value: unknown): void {
    if (missing === undefined) this.#settled(work, token, true, value);
    else this.#settled(work, token, false, missing);
  }

  #settled(work: WorkRecord, token: number, ok: boolean, value: unknown): void {
    if (!this.leave(work, token)) return;
    const host = this.#host;
    const now = host.clock.now();
    host.activity(now);
    if (ok) host.lifecycle.complete(work, value, now);
    else this.#failed(work, value, now);
    host.afterRunning(false);
  }

  #timedOut(work: WorkRecord, token: number): void {
    work.timer = undefined;
    if (work.token !== token || work.phase !== Phase.Running) return;
    const host = this.#host;
    const limit = work.def.timeoutMs as number;
    const now = host.clock.now();
    const elapsed = now - (work.startedAt as number);
    const error = new TimeoutError("handler", `Handler timeout: task "${work.task}" (work ${work.id}, attempt ${work.attempt}) ran ${Math.round(elapsed)}ms, limit ${limit}ms`, limit, elapsed);
    this.leave(work, token);
    work.abort(error); // abort listeners run now and may cancel the work
    host.activity(now);
    if (work.phase === Phase.Running) this.#failed(work, error, now);
    host.afterRunning(true);
  }

  /** Pushback: pause the named service of the work's task, or all of them; returns the names paused. */
  #pause(work: WorkRecord, service: string | undefined, until: number): string[] {
    const paused: string[] = [];
    const lane = work.lane;
    lane.limiters.forEach((limiter, i) => {
      if (limiter === lane.claim || (service !== undefined && limiter.name !== service)) return;
      limiter.pause(until, lane.keys[i]); // with `per`, the server pushed back on this work's key
      paused.push(limiter.name);
    });
    return paused;
  }

  /** Retry, pushback or fail; the work has left `Running`'s resources but is still in phase `Running`. */
  #failed(work: WorkRecord, thrown: unknown, now: number): void {
    const host = this.#host;
    const outcome = decideOutcome(thrown, work.attempt, work.def.retry, host.random);
    switch (outcome.kind) {
      case "pushback": {
        const until = now + outcome.pauseMs;
        const paused = this.#pause(work, outcome.service, until);
        // Always through the delay heap, even for 0 ms: another attempt only after a macrotask,
        // so a handler that pushes back in a loop cannot starve the event loop. With no service
        // to pause, the work itself waits.
        host.lifecycle.retry(work, outcome.error, outcome.pauseMs, true, paused.length > 0 ? now : until, now);
        if (paused.length > 0) host.announcePause(work, paused, until, outcome.error);
        return;
      }
      case "retry":
        host.lifecycle.retry(work, outcome.error, outcome.delayMs, false, outcome.delayMs > 0 ? now + outcome.delayMs : undefined, now);
        return;
      case "fail":
        host.lifecycle.fail(work, outcome.error, now);
        return;
    }
  }
}
