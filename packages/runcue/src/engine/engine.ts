import { CancelledError, ConfigurationError, describeValue, type TimeoutError } from "../errors.js";
import { Emitter } from "../events/emitter.js";
import type { ServiceOptions } from "../limits/service-options.js";
import type { Limiter } from "../limits/limiter.js";
import type { PriorityContext, ResolvedCueOptions, SubmitOptions } from "../options.js";
import { inlineExecutor, type Executor } from "../run/executor.js";
import type { Middleware } from "../run/middleware.js";
import type { TaskDef } from "../task.js";
import type { Clock, TimerHandle } from "../time/clock.js";
import { Lifecycle } from "../work/lifecycle.js";
import { Phase, isPendingPhase } from "../work/phase.js";
import { WorkRecord, type CueChecks } from "../work/record.js";
import { Attempts } from "./attempt.js";
import { Catalog } from "./catalog.js";
import { costOf } from "./cost-of.js";
import { Delays } from "./delays.js";
import { Dispatcher } from "./dispatcher.js";
import { LimitUpdates } from "./limit-updates.js";
import { Flows, type FlowSpec } from "../flows/flows.js";
import { readSubmitOptions } from "./submit-options.js";
import { emitPause, emitWait, failureLine, warnPending, warnStall } from "./notices.js";
import { Queries } from "./queries.js";
import { Rechecker } from "./rechecker.js";
import { WorkRegistry } from "./registry.js";
import { Screening } from "./screening.js";
import { Waiters } from "./waiters.js";
import { Watchdog } from "./watchdog.js";
import { checkForce, type Artifacts } from "../artifacts/manager.js";
import { linkArtifacts, registerTask } from "../artifacts/engine-link.js";

/** The params of a work submitted without any: one shared, frozen empty object (no allocation per submit). */
const NO_PARAMS = Object.freeze({});

/**
 * @internal The scheduler behind `Cue`. It wires the collaborators and owns the few decisions
 * that join them: where a submitted or due work goes, what a cancel or a stop does, and the
 * pump that runs dispatch passes without ever recursing.
 *
 * Collaborators, each behind a narrow host interface: `Lifecycle` (the only writer of a work's
 * phase, the counts and the lifecycle events), `Screening` (arrival and dispatch checks),
 * `Rechecker` (blocked works), `Delays`, `Dispatcher` (lanes and their limiters), `Attempts`
 * (handlers through the executor and middleware), `Watchdog` (deadlines and stalls), and
 * `WorkRegistry` (ids, keys, finished works, waiters).
 *
 * Event-driven: a submit, a finished handler, a freed slot or an opening rate window triggers a
 * dispatch pass; timers are set only for known future moments.
 */
export class Engine {
  readonly options: ResolvedCueOptions;
  readonly clock: Clock;
  readonly events: Emitter;
  readonly lifecycle: Lifecycle;
  readonly executor: Executor = inlineExecutor;
  readonly middleware: Middleware[] = [];
  readonly registry: WorkRegistry;
  readonly catalog: Catalog;
  readonly waiters = new Waiters();
  readonly screening: Screening;
  readonly rechecker: Rechecker;
  readonly delays: Delays;
  readonly dispatcher: Dispatcher;
  readonly attempts: Attempts;
  readonly watchdog: Watchdog;
  readonly queries: Queries;
  readonly flows: Flows;
  readonly limitUpdates: LimitUpdates;
  #artifacts: Artifacts | undefined = undefined;

  /** The cue-wide `isReady`/`isStale`, written by the facade. */
  readonly checks: CueChecks = { isReady: undefined, isStale: undefined };
  priority: ((ctx: PriorityContext) => number) | undefined = undefined;

  #seq = 0;
  #started = false;
  /** Bumped by each `start()`: a `stop()` begun before a restart must not touch the new run. */
  #run = 0;
  /** Bumped whenever a handler settles: artifacts may have changed since a work was screened. */
  #gen = 0;
  #pumping = false;
  #pumpAgain = false;
  #pumpTimer: TimerHandle = undefined;

  constructor(options: ResolvedCueOptions) {
    this.options = options;
    this.clock = options.clock;
    this.events = new Emitter(options.onListenerError);
    this.registry = new WorkRegistry(options.maxFinished);
    const isStarted = (): boolean => this.#started;
    const pump = (): void => this.#pump();
    this.lifecycle = new Lifecycle(this.events, {
      addDelayed: (w) => this.delays.add(w),
      removeDelayed: (w) => this.delays.remove(w),
      addIntake: (w) => this.screening.intake.push(w),
      removeIntake: (w) => this.screening.intake.remove(w),
      // A work waiting for its `after` list is moved by its dependencies' ends, never rechecked.
      addBlocked: (w) => {
        if (w.blockCause !== "waiting_for") this.rechecker.add(w);
        else this.flows.held++;
      },
      removeBlocked: (w) => {
        if (w.blockCause !== "waiting_for") this.rechecker.remove(w);
        else this.flows.held--;
        this.screening.release(w);
      },
      addQueued: (w) => this.#enqueue(w),
      removeQueued: (w) => w.lane.remove(w),
    }, {
      pendingStarted: (w, now) => this.watchdog.pendingStarted(w, now),
      pendingEnded: (w) => this.watchdog.pendingEnded(w),
      finished: (w) => {
        this.registry.finished(w);
        if (w.links !== undefined) this.flows.finished(w);
        if (w.artifacts !== undefined) this.artifacts.ended(w);
      },
      failedUnheard: (w, error) => console.warn(failureLine(w, error)),
      idle: () => this.waiters.idleReached(),
      leftChecking: (w, starting) => {
        const checking = w.phase === Phase.Checking;
        this.screening.release(w);
        if (checking && !starting) {
          w.lane.cancel(w);
          this.#pumpAgain = true; // a freed reservation may let another work go
        }
      },
    });
    this.screening = new Screening({
      clock: this.clock,
      lifecycle: this.lifecycle,
      isStarted,
      checks: this.checks,
      generation: () => this.#gen,
      startChecked: (w) => this.#startChecked(w),
      pump,
    }, options.checkConcurrency, options.checkTimeout);
    this.rechecker = new Rechecker({
      clock: this.clock,
      isStarted,
      checks: this.checks,
      unblocked: (w) => {
        w.readyKnown = true;
        this.lifecycle.move(w, Phase.Intake);
        this.#schedulePump();
      },
      artifacts: () => this.#artifacts,
      pump,
    }, this.screening, options.recheckInterval);
    this.delays = new Delays(this.clock, (w) => this.#arrive(w), () => {
      this.watchdog.activity(this.clock.now());
      this.#pump();
    });
    this.dispatcher = new Dispatcher({
      clock: this.clock,
      lifecycle: this.lifecycle,
      isStarted,
      needsDispatchCheck: (w) => w.checkedGen !== this.#gen && this.screening.hasChecks(w),
      checksSaturated: () => this.screening.saturated,
      dispatchCheck: (w) => this.screening.dispatchCheck(w),
      start: (w, now) => this.attempts.start(w, now),
      woke: (now) => this.watchdog.activity(now),
      laneDropped: (lane) => this.catalog.dropLane(lane),
      waiting: (lane, until, now) => emitWait(this.events, lane, until, now),
      pump,
    });
    this.attempts = new Attempts({
      clock: this.clock,
      lifecycle: this.lifecycle,
      executor: this.executor,
      middleware: this.middleware,
      random: options.random,
      activity: (now) => this.watchdog.activity(now),
      announcePause: (w, services, until, error) => emitPause(this.events, w, services, until, error),
      afterRunning: (aborted) => this.#afterRunning(aborted),
      artifacts: () => this.artifacts,
    });
    this.watchdog = new Watchdog({
      clock: this.clock,
      isStarted,
      pendingCount: () => this.lifecycle.pending,
      hasTimedOrActiveWork: () => this.#hasTimedOrActiveWork(),
      failPending: (w, error) => this.failPending(w, error),
      pendingWorks: () => this.queries.pendingWorks(),
      pendingWarning: (w, pendingMs, limitMs) => warnPending(this.events, w, pendingMs, limitMs),
      stallWarning: (sinceMs) => warnStall(this.events, sinceMs, this.lifecycle.pending, () => this.queries.debugBlocked()),
    }, options);
    this.queries = new Queries(this);
    this.flows = new Flows({
      lifecycle: this.lifecycle,
      now: () => this.clock.now(),
      hasTask: (name) => this.catalog.tasks.has(name),
      get: (id) => this.queries.get(id),
      submit: (task, params, options) => this.submit(task, params, options),
      submitFailed: (task, params, error) => this.submit(task, params, undefined, error),
      kick: () => this.#schedulePump(),
    });
    this.catalog = new Catalog(options.store, this.clock, (lane) => this.dispatcher.addLane(lane), (task) => this.queries.hasLiveWork(task), () => this.#schedulePump());
    this.limitUpdates = new LimitUpdates({
      clock: this.clock,
      lifecycle: this.lifecycle,
      catalog: this.catalog,
      pendingWorks: () => this.queries.pendingWorks(),
      kick: () => this.#schedulePump(),
    });
  }

  isStarted(): boolean {
    return this.#started;
  }

  /** Limits changed from outside (update, observe, pause): run a dispatch pass soon. */
  kick(): void {
    this.#schedulePump();
  }

  get services(): ReadonlyMap<string, Limiter> {
    return this.catalog.services;
  }

  /** The options a service has now (for `service.update()`, which merges with them). */
  serviceOptions(name: string): ServiceOptions {
    return this.catalog.serviceOptions(name);
  }

  /** A service took new limits (`service.update()`): see {@link LimitUpdates}. */
  serviceUpdated(limiter: Limiter, options: ServiceOptions): void {
    this.limitUpdates.serviceUpdated(limiter, options);
  }

  // ---------------------------------------------------------------- registration

  addService(name: string, options: ServiceOptions | undefined): void {
    this.catalog.addService(name, options);
  }

  addTask(name: unknown, options: unknown, handler: unknown): TaskDef {
    return registerTask(this.#artifacts, () => this.artifacts, name, options, () => this.catalog.addTask(name, options, handler));
  }

  /** Declared artifacts of this cue, made on first use (a cue whose tasks declare nothing pays nothing). */
  get artifacts(): Artifacts {
    return (this.#artifacts ??= linkArtifacts(this));
  }

  // ---------------------------------------------------------------- submit

  /** Submits a work; with `failWith` (a flow step that could not be taken), it fails at once with that error. */
  submit(taskName: string, params: unknown, options: SubmitOptions | undefined, failWith?: Error): string {
    const def = typeof taskName === "string" ? this.catalog.tasks.get(taskName) : undefined;
    if (!def) {
      const known = [...this.catalog.tasks.keys()];
      throw new ConfigurationError("ERR_UNKNOWN_TASK", `Unknown task: ${describeValue(taskName)} (registered: ${known.length ? known.map((k) => `"${k}"`).join(", ") : "none"})`);
    }
    let key: string | undefined;
    let fixed: number | undefined;
    let delay = 0;
    let flow: FlowSpec | undefined;
    if (options !== undefined) {
      const read = readSubmitOptions(options, this.flows, (k) => this.registry.byKey(k)?.id);
      if (typeof read === "string") return read; // its key is held by a pending or running work
      ({ key, priority: fixed, delayMs: delay, flow } = read);
    }
    const now = this.clock.now();
    const work = new WorkRecord(this.#seq + 1, def, params === undefined ? NO_PARAMS : params, now, key, fixed);
    if (failWith === undefined) {
      work.lane = this.catalog.laneFor(work);
      if (options?.cost !== undefined || def.cost !== undefined) work.cost = costOf(work, options?.cost);
      if (options?.force !== undefined) work.force = checkForce(options.force);
      if (def.derived !== undefined) this.artifacts.attach(work, key);
    } else {
      // It never queues: no user code (`per`, `cost`, templates) that could throw again here.
      work.lane = def.lane as WorkRecord["lane"];
    }
    this.#seq++;
    this.registry.add(work);
    const refused = failWith ?? (flow === undefined ? undefined : this.flows.attach(work, flow));
    if (this.lifecycle.isIdle) this.watchdog.activity(now);
    if (delay > 0) {
      work.dueAt = now + delay;
      this.lifecycle.submitted(work, Phase.Delayed, now);
    } else {
      this.lifecycle.submitted(work, this.#screened(work) ? Phase.Intake : Phase.Queued, now);
      this.#schedulePump();
    }
    // A work of its `after` list had already failed or been cancelled (or a flow step failed).
    if (refused !== undefined && work.phase < Phase.Running) this.lifecycle.fail(work, refused, now);
    return work.id;
  }

  /** A work goes through screening (its checks, or its `after` list), not straight to its lane. */
  #screened(work: WorkRecord): boolean {
    return this.screening.hasChecks(work) || (work.links !== undefined && work.links.waitingOn.length > 0);
  }

  /** A delayed work is due: to its arrival check, or straight to its lane. */
  #arrive(work: WorkRecord): void {
    if (this.#screened(work)) this.lifecycle.move(work, Phase.Intake);
    else this.lifecycle.queue(work);
  }

  /** Puts a work in its lane, at the priority it has now (the lane is the `Queued` container). */
  #enqueue(work: WorkRecord): void {
    if (work.fixedPriority !== undefined) {
      work.priority = work.fixedPriority;
    } else if (this.priority !== undefined) {
      let p: number;
      try {
        p = Number(this.priority({ work, waitTime: this.clock.now() - work.createdAt, queueDepth: this.lifecycle.pending }));
      } catch {
        p = 0.5;
      }
      work.priority = Number.isNaN(p) ? 0.5 : Math.min(1, Math.max(0, p));
    }
    work.lane = this.catalog.liveLane(work.lane);
    work.lane.push(work);
    this.limitUpdates.queued(work);
  }

  // ---------------------------------------------------------------- the pump

  #schedulePump(): void {
    if (this.#pumpTimer !== undefined || !this.#started) return;
    this.#pumpTimer = this.clock.setTimeout(() => {
      this.#pumpTimer = undefined;
      this.#pump();
    }, 0);
  }

  /**
   * Screens arrivals and starts as much work as the limits allow. Re-entrant calls (a handler
   * or listener finishing inside the loop) only flag another round, so the stack stays flat.
   */
  #pump(): void {
    if (!this.#started) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        if (this.screening.intake.size > 0) this.screening.drainIntake();
        this.dispatcher.round();
      } while (this.#pumpAgain && this.#started);
    } finally {
      this.#pumping = false;
    }
  }

  #afterRunning(aborted: boolean): void {
    this.#gen++;
    this.rechecker.finished();
    if (this.waiters.draining && this.lifecycle.running === 0) this.waiters.drained();
    if (aborted) this.#schedulePump();
    else this.#pump();
  }

  /**
   * A dispatch check said go. If a pushback paused one of its services while the check ran, the
   * work gives its reservation back and queues again (its lane waits for the pause to end).
   */
  #startChecked(work: WorkRecord): void {
    const now = this.clock.now();
    if (work.lane.pausedUntil(now) > now) {
      this.lifecycle.queue(work);
      return;
    }
    this.attempts.start(work, now);
  }

  #hasTimedOrActiveWork(): boolean {
    const c = this.lifecycle.counts;
    return this.lifecycle.running > 0 || (c[Phase.Checking] as number) > 0 || (c[Phase.Screening] as number) > 0 ||
      this.delays.size > 0 || this.screening.intake.size > 0 || this.screening.inFlight > 0 || this.dispatcher.hasTimedWait;
  }

  // ---------------------------------------------------------------- cancel, timeouts

  /** Cancels a pending or running work; false when it is unknown or already finished. */
  cancel(work: WorkRecord, message: string): boolean {
    const phase = work.phase;
    if (phase === Phase.Running) {
      const error = new CancelledError(message);
      this.attempts.leave(work);
      this.lifecycle.cancel(work, error, this.clock.now());
      work.abort(error);
      this.#afterRunning(true);
      return true;
    }
    if (!isPendingPhase(phase) || phase === Phase.New) return false;
    this.lifecycle.cancel(work, new CancelledError(message), this.clock.now());
    this.#schedulePump();
    return true;
  }

  /** Fails a pending work with a timeout (pending or stall). */
  failPending(work: WorkRecord, error: TimeoutError): void {
    if (!isPendingPhase(work.phase) || work.phase === Phase.New) return;
    this.lifecycle.fail(work, error, this.clock.now());
    this.#schedulePump();
  }

  // ---------------------------------------------------------------- start and stop

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#run++;
    // A stop() still waiting from before this start is over: its run was superseded.
    this.waiters.drained();
    const now = this.clock.now();
    this.watchdog.start(now);
    this.delays.start();
    this.rechecker.start();
    this.#schedulePump();
  }

  /** Stops dispatching and waits for (or abandons) running work; then the worker pools close, unless a start() came meanwhile. */
  async stop(timeoutMs: number | undefined): Promise<void> {
    await this.#halt(timeoutMs);
    await this.#artifacts?.flush();
    if (!this.#started) await this.catalog.pools.close();
  }

  async #halt(timeoutMs: number | undefined): Promise<void> {
    const run = this.#run;
    if (this.#started) {
      this.#started = false;
      if (this.#pumpTimer !== undefined) this.clock.clearTimeout(this.#pumpTimer);
      this.#pumpTimer = undefined;
      this.delays.stop();
      this.rechecker.stop();
      this.dispatcher.stop();
      this.watchdog.stop();
    }
    if (this.lifecycle.running === 0) return;
    const drained = this.waiters.untilDrained();
    if (timeoutMs === undefined) return drained;
    let timer: TimerHandle;
    const expired = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, timeoutMs);
    });
    await Promise.race([drained, expired]);
    this.clock.clearTimeout(timer);
    // Restarted meanwhile: the running works belong to the new run now.
    if (this.#run !== run || this.#started || this.lifecycle.running === 0) return;
    for (const work of this.queries.runningWorks()) {
      this.cancel(work, `Work ${work.id} (${work.task}) was abandoned: stop() timed out after ${timeoutMs}ms`);
    }
  }
}
