import { ConfigurationError, describeValue } from "./errors.js";
import { Engine } from "./engine/engine.js";
import type { BlockedInfo } from "./engine/explain.js";
import type { CueStatus, ListOptions } from "./engine/queries.js";
import type { CueSummary } from "./engine/summary.js";
import type { Limiter } from "./limits/limiter.js";
import { SERVICE_OPTIONS, type ServiceOptions } from "./limits/service-options.js";
import { ServiceHandle } from "./service-handle.js";
import { resolveCueOptions, type CueOptions, type PriorityContext, type SubmitOptions } from "./options.js";
import type { Middleware } from "./run/middleware.js";
import { engineHost } from "./schedule/host.js";
import type { ScheduleOptions } from "./schedule/options.js";
import { Schedules, type ScheduleHandle, type ScheduleInfo } from "./schedule/schedules.js";
import type { TaskOptions } from "./task.js";
import { TaskHandleImpl, type TaskHandle } from "./task-handle.js";
import { CueEvents, type WaitOptions } from "./cue-events.js";
import type { AnyTasks, ParamsArg, TaskMap, TaskName, TasksOf, WorkOf } from "./typing.js";
import type { Clock } from "./time/clock.js";
import { parseOptionalDuration, type Duration } from "./time/duration.js";
import { checkFunction, checkName, checkOptions, checkSignal } from "./validate.js";
import type { Check, Handler, Work } from "./work/work.js";
import type { Artifact, ArtifactSet, PathsOf } from "./artifacts/descriptors.js";
import { explainWork, planWorks, type Explanation, type ExplainHost, type PlanEntry, type PlannedTask } from "./artifacts/explain.js";
import type { CheckReport } from "./artifacts/static-checks.js";

/** Options of {@link Cue.stop}. */
export interface StopOptions {
  /**
   * Wait at most this long for running work; then abort it through its `signal` and mark it
   * `cancelled`. @default wait for all running work
   */
  timeout?: Duration;
}



/** Turns a synchronous call's throw into a rejection (the promise-returning methods never throw). */
function settle<T>(fn: () => T): Promise<Awaited<T>> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error as Error);
  }
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
export class Cue<T extends TaskMap = AnyTasks> extends CueEvents<T> {
  readonly #engine: Engine;
  /** Made by the first `schedule()`: a cue without schedules pays nothing for them. */
  #schedules: Schedules | undefined = undefined;

  /**
   * @param options timeouts, warnings, clock and limits; all optional.
   * @throws ConfigurationError naming an unknown or invalid option.
   */
  constructor(options: CueOptions = {}) {
    const engine = new Engine(resolveCueOptions(options));
    super(engine.events);
    this.#engine = engine;
  }

  /** The clock this cue reads time from (handlers can `sleep(cue.clock, ms)` on it). */
  get clock(): Clock {
    return this.#engine.clock;
  }

  /**
   * Registers a service: a bucket of limits that tasks run through, and returns its handle
   * (`update`, `observe`, `pause`, `status`). With a name only, returns the handle of a
   * registered service (or registers one without limits). Register services before the tasks
   * that use them.
   * @throws ConfigurationError on a malformed rate, a non-positive limit, an unknown option, or a duplicate name.
   * @example
   * const openai = cue.service("openai", { rate: ["500/min", "90000 tokens/min"], concurrent: 20, burst: 10 });
   * cue.service("knife", { concurrent: 1 });
   * cue.service("openai").pause("30s");
   */
  service(name: string, options?: ServiceOptions): ServiceHandle {
    checkName(name, "service name");
    const registered = this.#engine.services.get(name);
    if (options === undefined && registered !== undefined) return new ServiceHandle(registered, this.#engine);
    options ??= {};
    checkOptions(options, SERVICE_OPTIONS, `options of service "${name}"`);
    this.#engine.addService(name, options);
    return new ServiceHandle(this.#engine.services.get(name) as Limiter, this.#engine);
  }


  /**
   * Registers a task (registering a name again replaces its handler and options). Returns a
   * handle whose `submit` type-checks params against the handler's `Work<P>`.
   * @throws ConfigurationError naming an unknown service in `uses` or an invalid option.
   * @example
   * const ping = cue.task("ping", () => "pong");
   * const fetchPage = cue.task("fetch", { uses: "github", retry: { attempts: 3 } }, async (work: Work<{ url: string }>) => {
   *   const res = await fetch(work.params.url, { signal: work.signal });
   *   return res.text();
   * });
   * // No handler argument: the worker module's default export is the handler, run in a worker thread.
   * const resize = cue.task<{ path: string }, { bytes: number }>("resize", { uses: "cpu", worker: new URL("./resize-worker.js", import.meta.url) });
   */
  task<P = unknown, R = unknown, N extends string = string>(name: N, handler: Handler<P, R>): TaskHandle<P, Awaited<R>, N>;
  /** With declared `inputs`/`outputs`: an unannotated handler's `work.paths` is typed from them. */
  task<P, R, I extends ArtifactSet, O extends ArtifactSet, N extends string = string>(name: N, options: Omit<TaskOptions<P>, "inputs" | "outputs"> & { inputs?: I | ((params: P) => I); outputs?: O | ((params: P) => O) }, handler: (work: Work<P, R> & { readonly paths: PathsOf<I> & PathsOf<O> }) => R | Promise<R>): TaskHandle<P, Awaited<R>, N>;
  task<P = unknown, R = unknown, N extends string = string>(name: N, options: TaskOptions<P>, handler: Handler<P, R>): TaskHandle<P, Awaited<R>, N>;
  // One signature per form reads better than a union of a handler and worker options.
  // eslint-disable-next-line @typescript-eslint/unified-signatures
  task<P = unknown, R = unknown, N extends string = string>(name: N, options: TaskOptions<P> & { worker: URL | string }): TaskHandle<P, Awaited<R>, N>;
  task<P, R>(name: string, optionsOrHandler: TaskOptions<P> | Handler<P, R>, maybeHandler?: Handler<P, R>): TaskHandle<P, Awaited<R>> {
    const [options, handler] = typeof optionsOrHandler === "function" ? [{}, optionsOrHandler] : [optionsOrHandler, maybeHandler];
    const def = this.#engine.addTask(name, options, handler);
    return new TaskHandleImpl(this.#engine, def.name) as unknown as TaskHandle<P, Awaited<R>>;
  }

  /**
   * This cue, typed with the tasks of these handles: its checks, listeners, `get`, `wait`,
   * `list` and `submit` then narrow `work.params` and `work.result` by `work.task`, without
   * casts. It is the same cue (nothing is copied); only its type changes.
   * @throws ConfigurationError for a handle of another cue.
   * @example
   * const cue = new Cue().typed(fetchPage, parse);  // or: const typed = cue.typed(fetchPage, parse)
   * typed.isReady((work) => work.task !== "parse" || work.params.html.length > 0);
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  typed<H extends readonly TaskHandle<any, any, string>[]>(...handles: H): Cue<TasksOf<H>> {
    for (const handle of handles) {
      if (!(handle instanceof TaskHandleImpl) || handle.engine !== this.#engine) {
        throw new ConfigurationError("ERR_UNKNOWN_TASK", `typed() takes handles returned by this cue's task(); got ${describeValue((handle as { name?: unknown } | undefined)?.name ?? handle)}`);
      }
    }
    return this as unknown as Cue<TasksOf<H>>;
  }

  /**
   * Sets the readiness check: are this work's inputs valid? Not ready → it waits and is asked
   * again when other work finishes or every `recheckInterval`. Throwing (or rejecting, or
   * passing `checkTimeout`) counts as not ready. Registering again replaces it; a task's own
   * `ready` option wins.
   * @default every work is ready
   */
  isReady(check: (work: WorkOf<T>) => boolean | Promise<boolean>): this {
    checkFunction(check, "isReady check");
    this.#engine.checks.isReady = check as Check;
    return this;
  }

  /**
   * Sets the staleness check: is this work's output missing or invalid? Not stale (and ready)
   * → the work completes as skipped without running. Throwing counts as stale. Registering
   * again replaces it; a task's own `stale` option wins.
   * @default every work is stale (it runs)
   */
  isStale(check: (work: WorkOf<T>) => boolean | Promise<boolean>): this {
    checkFunction(check, "isStale check");
    this.#engine.checks.isStale = check as Check;
    return this;
  }

  /**
   * Sets the priority function, evaluated when a work enters its service queue (at submit, after
   * a delay or retry wait, after it becomes ready). Result clamped to [0, 1], higher first;
   * throwing or NaN gives 0.5. Equal priorities keep submission order.
   * @default every work 0.5 (FIFO)
   */
  priority(fn: (ctx: PriorityContext) => number): this {
    checkFunction(fn, "priority function");
    this.#engine.priority = fn;
    return this;
  }

  /**
   * Adds a middleware around every handler call (outermost first, in the order added); returns
   * a function that removes it. Tracing and logging packages hook in here.
   * @example
   * cue.use(async ({ work }, next) => {
   *   const result = await next();
   *   console.log(`${work.task} ${work.id} done`);
   *   return result;
   * });
   */
  use(middleware: Middleware): () => void {
    checkFunction(middleware, "middleware");
    const list = this.#engine.middleware;
    list.push(middleware);
    return () => {
      const i = list.indexOf(middleware);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /**
   * Submits a work of a registered task. Resolves with its id. With a `key` that matches a
   * pending or running work, resolves with that work's id and creates nothing. Without
   * params, `work.params` is `{}`.
   * @throws ConfigurationError (as a rejection) with `Unknown task` for an unregistered name, or for invalid options.
   */
  submit<N extends TaskName<T>>(task: N, ...args: [...ParamsArg<T[N]["params"]>, options?: SubmitOptions<T[N]["params"], T[N]["result"]>]): Promise<string>;
  submit(task: string, ...args: unknown[]): Promise<string> {
    // Inline rather than through settle(): submit is the hot path, and a closure per call shows.
    try {
      return Promise.resolve(this.#engine.submit(task, args[0], args[1] as SubmitOptions | undefined));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Registers a schedule: a producer that submits a work of `task` at each tick, on the cue's
   * clock. The work is ordinary work (screened by `isReady`/`isStale`, limited by services), so a
   * tick whose output is still fresh completes as skipped. Schedules tick while the cue is
   * started; adding one to a started cue starts it at once. `cron` needs the optional peer
   * dependency `croner` (loaded here, synchronously, on first use).
   * @throws ConfigurationError naming the value: a bad or duplicate name, both or neither of
   * `every` and `cron`, `every: 0`, a malformed cron expression, an unknown time zone, an
   * unknown task, croner not installed.
   * @example
   * cue.schedule("refresh-prices", { task: refresh, every: "5m", params: (tick) => ({ at: tick.scheduledAt }) });
   * cue.schedule("nightly", { task: "report", cron: "30 2 * * *", tz: "Europe/Berlin", catchUp: "2d" });
   */
  schedule<P = unknown>(name: string, options: ScheduleOptions<P>): ScheduleHandle {
    this.#schedules ??= new Schedules(engineHost(this.#engine));
    return this.#schedules.add(name, options);
  }

  /** Every schedule, in the order added: its next tick, last tick, last submitted work id, and whether it is paused. */
  schedules(): ScheduleInfo[] {
    return this.#schedules?.list() ?? [];
  }

  /**
   * Starts dispatching and the schedules (again, after `stop`). Calling it twice is harmless.
   * Dispatch starts at once; the promise says whether the store agrees: it resolves with the
   * cue once the store is ready (at once in memory; a shared store once connected, checked, and
   * its services' limits compared with every other cue's), and rejects with the store's error,
   * e.g. a `ConfigurationError` naming both limits of a service another cue registered
   * differently. Not awaiting it is fine: its rejection is never unhandled (the store reports
   * it too, and the service it is about starts nothing).
   */
  start(): Promise<this> {
    this.#engine.start();
    this.#schedules?.start();
    const store = this.#engine.options.store;
    const ready = store.ready === undefined ? Promise.resolve(this) : store.ready().then(() => this);
    ready.catch(() => undefined);
    return ready;
  }

  /**
   * Stops the schedules and dispatching, and waits for running work. Pending work stays pending; `start()`
   * resumes it. With `timeout`, running work still going after it is aborted and ends
   * `cancelled`. Harmless when not started. A `start()` before it resolves supersedes it:
   * it resolves then and cancels nothing. Once nothing runs, it ends the worker tasks' threads
   * and processes and resolves when they have exited.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    checkOptions(options, ["timeout"], "stop options");
    const timeoutMs = parseOptionalDuration(options.timeout, "stop timeout");
    this.#schedules?.stop();
    await this.#engine.stop(timeoutMs);
  }

  /** The work with this id, or undefined (unknown, or finished and forgotten). O(1). */
  get(id: string): Promise<WorkOf<T> | undefined> {
    return settle(() => this.#engine.queries.get(id) as WorkOf<T> | undefined);
  }

  /** Works in submission order, optionally filtered. */
  list(options: ListOptions = {}): Promise<WorkOf<T>[]> {
    return settle(() => this.#engine.queries.list(options) as WorkOf<T>[]);
  }

  /**
   * Cancels pending or running work (a running work's `signal` aborts and its late result is
   * ignored). Resolves false for finished or unknown ids. O(1).
   */
  cancel(id: string): Promise<boolean> {
    return settle(() => {
      const work = this.#engine.queries.get(id);
      return work !== undefined && this.#engine.cancel(work, `Work ${work.id} (${work.task}) was cancelled`);
    });
  }

  /**
   * Resolves with the work once it is terminal (at once if it already is).
   * @throws RuncueError `ERR_UNKNOWN_WORK` (as a rejection) for an id this cue does not know.
   */
  wait(id: string, options: WaitOptions = {}): Promise<WorkOf<T>> {
    return settle(() => {
      checkOptions(options, ["signal"], "wait options");
      checkSignal(options.signal, "wait options");
      if (typeof id !== "string") throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid work id: ${describeValue(id)} (expected a string id returned by submit)`);
      return this.#engine.queries.wait(id, options.signal) as Promise<WorkOf<T>>;
    });
  }

  /** Resolves when nothing is pending (queued, blocked, delayed) or running. */
  idle(options: WaitOptions = {}): Promise<void> {
    return settle(() => {
      checkOptions(options, ["signal"], "idle options");
      checkSignal(options.signal, "idle options");
      return this.#engine.queries.idle(options.signal);
    });
  }

  /** Asks every blocked work's readiness again now, instead of at the next `recheckInterval`. */
  recheck(): void {
    this.#engine.rechecker.recheck();
  }

  /**
   * Static checks of the task graph built from declared templates: `cycles` (task names),
   * `orphans` (inputs no task's output template produces: sources, or a missing task) and
   * `ambiguous` (overlapping output templates of different tasks). Declarations given as
   * functions of params are not seen. With `artifacts.strict`, cycles and ambiguities throw.
   * @throws ConfigurationError (`ERR_CYCLE`, `ERR_AMBIGUOUS_PRODUCER`) under `strict`.
   */
  check(): CheckReport {
    return this.#engine.artifacts.check();
  }

  /**
   * What a work of `task` with these params would do if submitted now: `run`, `skip`, `wait`
   * or `stuck`, with reasons (missing output, input newer, producer pending, no producer...).
   * Nothing is submitted; files are only stat'ed.
   * @example
   * const { verdict, reasons } = await cue.explain("extract", { page: 3 });
   */
  explain(task: PlannedTask, params?: unknown): Promise<Explanation> {
    return settle(() => explainWork(this.#explainHost(), task, params));
  }

  /**
   * A dry run (like `make -n`): what each of these works would do if submitted together now,
   * in the order given, and why. A work whose input a planned work rewrites runs after it.
   * @example
   * const plan = await cue.plan([[extract, { page: 3 }], [summarize, { doc: "q3", pages: 3 }]]);
   */
  plan(works: readonly (readonly [PlannedTask, unknown?])[]): Promise<PlanEntry[]> {
    return settle(() => planWorks(this.#explainHost(), works));
  }

  /**
   * Something outside the cue changed an artifact (another process wrote a file): re-screen the
   * works waiting on it now instead of at the next periodic recheck. Takes a path, an
   * `artifact()` key, or a descriptor without placeholders. Returns how many works it woke.
   */
  changed(what: Artifact | string): number {
    return this.#engine.artifacts.changed(what);
  }

  #explainHost(): ExplainHost {
    const engine = this.#engine;
    return { tasks: engine.catalog.tasks, checks: engine.checks, get artifacts() { return engine.artifacts; }, now: () => engine.clock.now() };
  }

  /**
   * Why each pending work is waiting: `not_ready`, `waiting_for`, `no_producer`, `cycle`,
   * `service_full`, `rate_limited` (with `until`), `delayed`, `retry_wait`, `queued` (next in
   * line), `stopped` (cue not started), and with a shared store `store_unavailable`, `reseeding`
   * and `key_held`. Never throws.
   */
  debugBlocked(): BlockedInfo[] {
    return this.#engine.queries.debugBlocked();
  }

  /**
   * A cheap picture of the cue for dashboards and metric scrapes: pending works by reason (with a
   * few examples each), per-service usage and queue length, and totals since the cue was made.
   * O(services), however many works are pending (unlike {@link debugBlocked}, which lists each).
   */
  summary(options: { examples?: number } = {}): CueSummary {
    return this.#engine.queries.summary(options);
  }

  /** Counts of work by where it waits, and each service's usage. */
  status(): CueStatus {
    return this.#engine.queries.status();
  }

}
