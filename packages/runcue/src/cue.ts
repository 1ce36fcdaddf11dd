import type { Clock } from "./clock.js";
import { parseOptionalDuration, type Duration } from "./duration.js";
import { Engine } from "./engine.js";
import type { BlockedInfo, CueStatus, PriorityContext, SubmitOptions } from "./types.js";
import type { CueEvents } from "./events.js";
import { resolveCueOptions, type CueOptions } from "./options.js";
import type { ServiceOptions } from "./service.js";
import type { Check, Handler, TaskOptions } from "./task.js";
import type { Work, WorkState } from "./work.js";

/** Filters of {@link Cue.list}. */
export interface ListOptions {
  /** Only works in this state. */
  state?: WorkState;
  /** Only works of this task. */
  task?: string;
  /** At most this many. @default unlimited */
  limit?: number;
}

/** Options of {@link Cue.stop}. */
export interface StopOptions {
  /**
   * Wait at most this long for running work; then abort it through its `signal` and mark it
   * `cancelled`. @default wait for all running work
   */
  timeout?: Duration;
}

/** Options of {@link Cue.wait} and {@link Cue.idle}. */
export interface WaitOptions {
  /** Stop waiting (reject with the signal's reason) when this aborts. Work is not affected. */
  signal?: AbortSignal;
}

/** A registered task, returned by {@link Cue.task}: a typed way to submit it. */
export interface TaskHandle<P, R> {
  /** The task name. */
  readonly name: string;
  /** Submits a work of this task; `params` are type-checked against the handler. */
  submit(params: P, options?: SubmitOptions): Promise<string>;
  /** Phantom: the handler's result type. */
  readonly __result?: R;
}

/**
 * An embedded coordinator for interdependent background work against rate-limited services.
 *
 * You say what the work is (tasks), what limits apply (services), and when work can run
 * (`isReady`) or can be skipped (`isStale`); the cue decides when each work runs.
 * @example
 * const cue = new Cue();
 * cue.service("openai", { rate: "60/min", concurrent: 5 });
 * const extract = cue.task("extract", { uses: "openai" }, async (work: Work<{ path: string }>) => ocr(work.params.path));
 * cue.isStale((work) => !existsSync(outputOf(work)));
 * cue.start();
 * await extract.submit({ path: "page-1.png" });
 * await cue.idle();
 * await cue.stop();
 */
export class Cue {
  readonly #engine: Engine;

  /** @param options timeouts, warnings, clock and limits; all optional. */
  constructor(options: CueOptions = {}) {
    this.#engine = new Engine(resolveCueOptions(options));
  }

  /** The clock this cue reads time from (handlers can `sleep(cue.clock, ms)` on it). */
  get clock(): Clock {
    return this.#engine.clock;
  }

  /**
   * Registers a service: a bucket of limits that tasks run through. Register services before
   * the tasks that use them.
   * @throws ConfigurationError on a malformed rate, a non-positive limit, or a duplicate name.
   * @example
   * cue.service("openai", { rate: ["60/min", "1000/day"], concurrent: 5 });
   * cue.service("knife", { concurrent: 1 });
   */
  service(name: string, options: ServiceOptions = {}): this {
    this.#engine.addService(name, options);
    return this;
  }

  /**
   * Registers a task (registering a name again replaces its handler and options). Returns a
   * handle whose `submit` type-checks params against the handler's `Work<P>`.
   * @throws ConfigurationError naming an unknown service in `uses`.
   * @example
   * const ping = cue.task("ping", () => "pong");
   * const fetchPage = cue.task("fetch", { uses: "github", retry: { attempts: 3 } }, async (work: Work<{ url: string }>) => {
   *   const res = await fetch(work.params.url, { signal: work.signal });
   *   return res.text();
   * });
   */
  task<P = unknown, R = unknown>(name: string, handler: Handler<P, R>): TaskHandle<P, Awaited<R>>;
  task<P = unknown, R = unknown>(name: string, options: TaskOptions<P>, handler: Handler<P, R>): TaskHandle<P, Awaited<R>>;
  task<P, R>(name: string, optionsOrHandler: TaskOptions<P> | Handler<P, R>, maybeHandler?: Handler<P, R>): TaskHandle<P, Awaited<R>> {
    const [options, handler] = typeof optionsOrHandler === "function" ? [{}, optionsOrHandler] : [optionsOrHandler ?? {}, maybeHandler];
    this.#engine.addTask(name, options as TaskOptions<never>, handler);
    return { name, submit: (params: P, submitOptions?: SubmitOptions) => this.submit(name, params, submitOptions) };
  }

  /**
   * Sets the readiness check: are this work's inputs valid? Not ready → it waits and is asked
   * again when other work finishes or every `recheckInterval`. Throwing (or rejecting) counts as
   * not ready. Registering again replaces it; a task's own `ready` option wins.
   * @default every work is ready
   */
  isReady(check: Check): this {
    this.#engine.setReady(check);
    return this;
  }

  /**
   * Sets the staleness check: is this work's output missing or invalid? Not stale (and ready)
   * → the work completes as skipped without running. Throwing counts as stale. Registering
   * again replaces it; a task's own `stale` option wins.
   * @default every work is stale (it runs)
   */
  isStale(check: Check): this {
    this.#engine.setStale(check);
    return this;
  }

  /**
   * Sets the priority function, evaluated when a work enters its service queue (at submit, after
   * a delay or retry wait, after it becomes ready). Result clamped to [0, 1], higher first;
   * throwing or NaN gives 0.5. Equal priorities keep submission order.
   * @default every work 0.5 (FIFO)
   */
  priority(fn: (ctx: PriorityContext) => number): this {
    this.#engine.setPriority(fn);
    return this;
  }

  /** Listens for work starting (before its handler). Returns a function that removes the listener. */
  onStart(listener: CueEvents["start"]): () => void {
    return this.#engine.listeners.add("start", listener);
  }

  /** Listens for handlers returning: `(work, result, durationMs)`. Returns a remover. */
  onComplete(listener: CueEvents["complete"]): () => void {
    return this.#engine.listeners.add("complete", listener);
  }

  /** Listens for final failures (no retries left, `Permanent`, timeouts): `(work, error)`. Returns a remover. */
  onFailure(listener: CueEvents["failure"]): () => void {
    return this.#engine.listeners.add("failure", listener);
  }

  /** Listens for cancels: `cancel(id)`, or running work abandoned by `stop({ timeout })`. Returns a remover. */
  onCancel(listener: CueEvents["cancel"]): () => void {
    return this.#engine.listeners.add("cancel", listener);
  }

  /** Listens for skips (ready and not stale; no handler ran). Returns a remover. */
  onSkip(listener: CueEvents["skip"]): () => void {
    return this.#engine.listeners.add("skip", listener);
  }

  /** Listens for retries: `(work, error, delayMs)`; also fired when `RateLimited` requeues a work. Returns a remover. */
  onRetry(listener: CueEvents["retry"]): () => void {
    return this.#engine.listeners.add("retry", listener);
  }

  /**
   * Listens for works pending longer than `pendingWarnAfter`: `(work, pendingMs)`, once per
   * pending spell. Without any listener the warning is printed with console.warn.
   */
  onPendingWarning(listener: CueEvents["pendingWarning"]): () => void {
    return this.#engine.listeners.add("pendingWarning", listener);
  }

  /**
   * Listens for stalls longer than `stallWarnAfter`: `(msSinceProgress, pendingCount)`, once per
   * stall. Without any listener the warning is printed with console.warn.
   */
  onStallWarning(listener: CueEvents["stallWarning"]): () => void {
    return this.#engine.listeners.add("stallWarning", listener);
  }

  /**
   * Submits a work of a registered task. Resolves with its id. With a `key` that matches a
   * pending or running work, resolves with that work's id and creates nothing.
   * @throws ConfigurationError (as a rejection) with `Unknown task` for an unregistered name.
   */
  submit<P = unknown>(task: string, params?: P, options?: SubmitOptions): Promise<string> {
    try {
      return Promise.resolve(this.#engine.submit(task, params, options));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Starts dispatching (again, after `stop`). Calling it twice is harmless. */
  start(): this {
    this.#engine.start();
    return this;
  }

  /**
   * Stops dispatching and waits for running work. Pending work stays pending; `start()`
   * resumes it. With `timeout`, running work still going after it is aborted and ends
   * `cancelled`. Harmless when not started.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    await this.#engine.stop(parseOptionalDuration(options.timeout, "stop timeout"));
  }

  /** The work with this id, or undefined (unknown, or finished and forgotten). O(1). */
  async get(id: string): Promise<Work | undefined> {
    return this.#engine.get(id);
  }

  /** Works in submission order, optionally filtered. */
  async list(options: ListOptions = {}): Promise<Work[]> {
    return this.#engine.list(options);
  }

  /**
   * Cancels pending or running work (a running work's `signal` aborts and its late result is
   * ignored). Resolves false for finished or unknown ids. O(1).
   */
  async cancel(id: string): Promise<boolean> {
    return this.#engine.cancel(id);
  }

  /**
   * Resolves with the work once it is terminal (at once if it already is).
   * @throws RuncueError `ERR_UNKNOWN_WORK` (as a rejection) for an id this cue does not know.
   */
  wait(id: string, options: WaitOptions = {}): Promise<Work> {
    return this.#engine.wait(id, options.signal);
  }

  /** Resolves when nothing is pending (queued, blocked, delayed) or running. */
  idle(options: WaitOptions = {}): Promise<void> {
    return this.#engine.idle(options.signal);
  }

  /** Asks every blocked work's readiness again now, instead of at the next `recheckInterval`. */
  recheck(): void {
    this.#engine.recheck();
  }

  /**
   * Why each pending work is waiting: `not_ready`, `service_full`, `rate_limited` (with `until`),
   * `delayed`, `retry_wait`, `queued` (next in line), or `stopped` (cue not started). Never throws.
   */
  debugBlocked(): BlockedInfo[] {
    return this.#engine.debugBlocked();
  }

  /** Counts of work by where it waits, and each service's usage. */
  status(): CueStatus {
    return this.#engine.status();
  }
}
