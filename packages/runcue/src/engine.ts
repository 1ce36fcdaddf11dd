import { callCheck, CheckSlots, isThenable } from "./check-slots.js";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";
import { parseDuration } from "./duration.js";
import { CancelledError, ConfigurationError, Permanent, RateLimited, Retry, RuncueError, TimeoutError } from "./errors.js";
import { Listeners } from "./events.js";
import { Heap } from "./heap.js";
import { Lane } from "./lane.js";
import type { ResolvedCueOptions } from "./options.js";
import { Service, type ServiceOptions } from "./service.js";
import { defineTask, type Check, type TaskDef, type TaskOptions } from "./task.js";
import { explain } from "./explain.js";
import type { BlockedInfo, CueStatus, PriorityContext, SubmitOptions } from "./types.js";
import { Rechecker } from "./rechecker.js";
import { Watchdog } from "./watchdog.js";
import { WorkRegistry } from "./registry.js";
import { isTerminal, WorkUnit, type Work, type WorkState } from "./work.js";



function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(`Handler threw a non-Error value: ${String(value)}`, { cause: value });
}

/** On the system clock, each rate start holds its slot this much longer than the interval (see RateWindow). */
const RATE_GUARD_MS = 1;

/**
 * @internal The scheduler behind {@link Cue}. Event-driven: a submit, a finished handler, a
 * freed slot or an opening rate window triggers a dispatch pass; timers are set only for known
 * future moments (next rate start, next delay, next recheck, next deadline).
 *
 * Where a pending work sits (`work.place`):
 * - `queued`: in its lane, waiting for slots/rate starts (checks run when it reaches the head)
 * - `checking`: holds its reservations while async isReady/isStale run
 * - `blocked`: isReady said no; in the blocked list until a recheck says yes
 * - `delayed`: in the delay heap (submit delay or retry wait)
 */
export class Engine {
  readonly options: ResolvedCueOptions;
  readonly clock: Clock;
  readonly listeners: Listeners;
  readonly #services = new Map<string, Service>();
  readonly #tasks = new Map<string, TaskDef>();
  readonly #lanes = new Map<string, Lane>();
  #laneList: Lane[] = [];
  readonly #registry: WorkRegistry;
  readonly #checks: CheckSlots;
  readonly #rechecker: Rechecker;
  readonly #delayed = new Heap<WorkUnit>((a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq));
  readonly #watchdog: Watchdog;

  #isReady: Check | undefined = undefined;
  #isStale: Check | undefined = undefined;
  #priority: ((ctx: PriorityContext) => number) | undefined = undefined;

  #seq = 0;
  #started = false;
  #pending = 0;
  #running = 0;
  #checking = 0;
  /** Bumped whenever a handler settles: artifacts may have changed since a work was screened. */
  #gen = 0;
  #intake: (WorkUnit | undefined)[] = [];
  #intakeHead = 0;
  #pumping = false;
  #pumpAgain = false;
  /** The last time read from the clock. */
  #now = 0;
  #pumpTimer: TimerHandle = undefined;
  #delayTimer: TimerHandle = undefined;
  #delayTimerAt = Infinity;
  #idleWaiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];

  constructor(options: ResolvedCueOptions) {
    this.options = options;
    this.clock = options.clock;
    this.listeners = new Listeners(options.onListenerError);
    this.#registry = new WorkRegistry(options.maxFinished);
    this.#checks = new CheckSlots(options.checkConcurrency);
    this.#rechecker = new Rechecker({
      clock: this.clock,
      isStarted: () => this.#started,
      readyCheck: (work) => work.def.ready ?? this.#isReady,
      unblocked: (work) => {
        this.#toIntake(work);
        this.#schedulePump();
      },
      pump: () => this.#pump(),
    }, this.#checks, options.recheckInterval);
    this.#watchdog = new Watchdog(this, options);
  }

  // ---------------------------------------------------------------- registration

  addService(name: string, options: ServiceOptions = {}): void {
    if (this.#services.has(name)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Service "${name}" is already registered (register each service once, before the tasks that use it)`);
    }
    this.#services.set(name, new Service(name, options, this.clock === systemClock ? RATE_GUARD_MS : 0));
  }

  addTask(name: string, options: TaskOptions<never>, handler: unknown): TaskDef {
    const def = defineTask(name, options, handler, this.#services);
    const existing = this.#tasks.get(name);
    if (existing && existing.laneKey !== def.laneKey && this.#hasLiveWork(name)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Task "${name}" has pending or running work; it cannot be re-registered with different services`);
    }
    this.#tasks.set(name, def);
    if (!this.#lanes.has(def.laneKey)) {
      const lane = new Lane(def.laneKey, def.services);
      this.#lanes.set(def.laneKey, lane);
      this.#laneList = [...this.#lanes.values()];
    }
    return def;
  }

  #hasLiveWork(task: string): boolean {
    for (const w of this.#registry.values()) if (w.task === task && !isTerminal(w.state)) return true;
    return false;
  }

  setReady(fn: Check | undefined): void { this.#isReady = fn; }
  setStale(fn: Check | undefined): void { this.#isStale = fn; }
  setPriority(fn: ((ctx: PriorityContext) => number) | undefined): void { this.#priority = fn; }

  // ---------------------------------------------------------------- counts used by the watchdog

  get started(): boolean { return this.#started; }
  get pendingCount(): number { return this.#pending; }
  /** True while something will happen without outside help: a handler or check runs, or a timed wait exists. */
  get hasTimedOrActiveWork(): boolean {
    if (this.#running > 0 || this.#checking > 0 || this.#delayed.size > 0 || this.#intakeHead < this.#intake.length) return true;
    if (this.#checks.inFlight > 0) return true;
    for (const lane of this.#laneList) if (lane.size > 0) return true;
    return false;
  }

  // ---------------------------------------------------------------- submit

  submit(taskName: string, params: unknown, options: SubmitOptions | undefined): string {
    const def = this.#tasks.get(taskName);
    if (!def) {
      const known = [...this.#tasks.keys()];
      throw new ConfigurationError("ERR_UNKNOWN_TASK", `Unknown task: "${String(taskName)}" (registered: ${known.length ? known.map((k) => `"${k}"`).join(", ") : "none"})`);
    }
    const key = options?.key;
    if (key !== undefined) {
      if (typeof key !== "string") throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid key: ${String(key)} (expected a string)`);
      const existing = this.#registry.byKey(key);
      if (existing) return existing.id;
    }
    let fixed: number | undefined;
    if (options?.priority !== undefined) {
      if (typeof options.priority !== "number" || Number.isNaN(options.priority)) {
        throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid priority: ${String(options.priority)} (expected a number in [0, 1])`);
      }
      fixed = Math.min(1, Math.max(0, options.priority));
    }
    const delay = options?.delay === undefined ? 0 : parseDuration(options.delay, "delay");
    const now = this.clock.now();
    const work = new WorkUnit(++this.#seq, def, params, now, key, fixed);
    this.#registry.add(work);
    if (this.#pending === 0 && this.#running === 0) this.#watchdog.activity(now);
    this.#pending++;
    this.#watchdog.pendingStarted(work, now);
    if (delay > 0) {
      this.#toDelayed(work, now + delay, false);
    } else if (this.#hasChecks(def)) {
      this.#toIntake(work);
      this.#schedulePump();
    } else {
      this.#enqueue(work, now);
      this.#schedulePump();
    }
    return work.id;
  }

  #hasChecks(def: TaskDef): boolean {
    return (def.ready ?? this.#isReady ?? def.stale ?? this.#isStale) !== undefined;
  }

  /** Queues a work for its readiness/staleness screening, which runs before it waits for limits. */
  #toIntake(work: WorkUnit): void {
    work.place = "intake";
    this.#intake.push(work);
  }

  /** Screens works waiting in intake, oldest first, within the async check bound. */
  #screenIntake(): void {
    const intake = this.#intake;
    while (this.#intakeHead < intake.length && this.#started) {
      if (this.#checks.saturated) return;
      const work = intake[this.#intakeHead] as WorkUnit | undefined;
      intake[this.#intakeHead++] = undefined;
      if (work === undefined || work.place !== "intake") continue;
      this.#check(work, this.clock.now(), false);
    }
    if (this.#intakeHead > 0) {
      this.#intake = [];
      this.#intakeHead = 0;
    }
  }

  #enqueue(work: WorkUnit, now: number): void {
    if (work.fixedPriority !== undefined) {
      work.priority = work.fixedPriority;
    } else if (this.#priority !== undefined) {
      let p: number;
      try {
        p = Number(this.#priority({ work, waitTime: now - work.createdAt, queueDepth: this.#pending }));
      } catch {
        p = 0.5;
      }
      work.priority = Number.isNaN(p) ? 0.5 : Math.min(1, Math.max(0, p));
    }
    work.place = "queued";
    (this.#lanes.get(work.def.laneKey) as Lane).push(work);
  }

  #toDelayed(work: WorkUnit, dueAt: number, retryWait: boolean): void {
    work.place = "delayed";
    work.dueAt = dueAt;
    work.retryWait = retryWait;
    this.#delayed.push(work);
    this.#armDelayTimer();
  }

  #armDelayTimer(): void {
    if (!this.#started) return;
    const next = this.#delayed.peek();
    const at = next ? next.dueAt : Infinity;
    if (at === this.#delayTimerAt) return;
    if (this.#delayTimer !== undefined) this.clock.clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    this.#delayTimerAt = at;
    if (at === Infinity) return;
    this.#delayTimer = this.clock.setTimeout(() => {
      this.#delayTimer = undefined;
      this.#delayTimerAt = Infinity;
      this.#releaseDue();
    }, at - this.clock.now());
  }

  #releaseDue(): void {
    const now = this.clock.now();
    let moved = false;
    for (let w = this.#delayed.peek(); w && w.dueAt <= now; w = this.#delayed.peek()) {
      this.#delayed.pop();
      if (this.#hasChecks(w.def)) this.#toIntake(w);
      else this.#enqueue(w, now);
      moved = true;
    }
    if (moved) this.#watchdog.activity(now);
    this.#armDelayTimer();
    this.#pump();
  }

  // ---------------------------------------------------------------- dispatch

  #time(): number {
    return (this.#now = this.clock.now());
  }

  #schedulePump(): void {
    if (this.#pumpTimer !== undefined || !this.#started) return;
    this.#pumpTimer = this.clock.setTimeout(() => {
      this.#pumpTimer = undefined;
      this.#pump();
    }, 0);
  }

  /**
   * Starts as much work as the services allow. Re-entrant calls (a sync handler finishing inside
   * the loop) only flag another round, so the stack stays flat.
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
        if (this.#intakeHead < this.#intake.length) this.#screenIntake();
        this.#dispatchRound();
      } while (this.#pumpAgain && this.#started);
    } finally {
      this.#pumping = false;
    }
  }

  #dispatchRound(): void {
    const lanes = this.#laneList;
    const single = lanes.length === 1 ? lanes[0] : undefined;
    // Reading the clock costs ~50 ns, as much as the rest of a dispatch: read it once per round,
    // again after each start on a rate-limited lane (rate windows need exact start times), and
    // take the fresher time a synchronous handler's finish read.
    let now = this.#time();
    for (;; now = this.#now) {
      if (!this.#started) return;
      let lane: Lane | undefined;
      if (single !== undefined) {
        if (single.size === 0) return;
        if (!single.canStart(now)) {
          this.#armLaneWake(single, now);
          return;
        }
        lane = single;
      } else {
        let best: WorkUnit | undefined;
        for (let i = 0; i < lanes.length; i++) {
          const l = lanes[i] as Lane;
          if (l.size === 0) continue;
          const head = l.peek() as WorkUnit;
          if (best !== undefined && !(head.priority > best.priority || (head.priority === best.priority && head.seq < best.seq))) {
            if (!l.canStart(now)) this.#armLaneWake(l, now);
            continue;
          }
          if (!l.canStart(now)) {
            this.#armLaneWake(l, now);
            continue;
          }
          best = head;
          lane = l;
        }
        if (lane === undefined) return;
      }
      const head = lane.peek() as WorkUnit;
      // Screened since the last handler settled (or no checks at all): its answers still stand.
      if (head.checkedGen === this.#gen || !this.#hasChecks(head.def)) {
        this.#start(lane.pop() as WorkUnit, now, false);
      } else {
        if (this.#checks.saturated) return;
        this.#check(lane.pop() as WorkUnit, now, true);
      }
      if (lane.timed) this.#time();
    }
  }

  #armLaneWake(lane: Lane, now: number): void {
    let at = now;
    for (const s of lane.services) {
      if (s.active >= s.concurrent) return; // a finishing work will pump
      const t = s.nextFreeAt(now);
      if (t > at) at = t;
    }
    if (at === Infinity || at <= now || at >= lane.wakeAt) return;
    if (lane.wakeTimer !== undefined) this.clock.clearTimeout(lane.wakeTimer);
    lane.wakeAt = at;
    lane.wakeTimer = this.clock.setTimeout(() => {
      lane.wakeTimer = undefined;
      lane.wakeAt = Infinity;
      this.#watchdog.activity(this.clock.now());
      this.#pump();
    }, at - now);
  }

  /**
   * Asks isReady, then isStale. `dispatch` checks run when a work reaches the head of its lane
   * after other handlers settled: they hold the work's slots and rate starts meanwhile, and a
   * yes starts it. Screening checks (`dispatch` false) run when a work arrives: a yes queues it
   * for its services. Either way, not ready blocks it and not stale skips it.
   */
  #check(work: WorkUnit, now: number, dispatch: boolean): void {
    if (dispatch) {
      for (const s of work.def.services) s.acquire();
      work.place = "checking";
      this.#checking++;
    } else {
      work.place = "screening";
    }
    const token = ++work.run;
    const ok = callCheck(work.def.ready ?? this.#isReady, work, false);
    if (isThenable(ok)) {
      this.#checks.inFlight++;
      ok.then(
        (v) => { this.#checks.inFlight--; this.#afterReady(work, token, Boolean(v)); this.#pump(); },
        () => { this.#checks.inFlight--; this.#afterReady(work, token, false); this.#pump(); },
      );
      return;
    }
    this.#afterReady(work, token, Boolean(ok), now);
  }

  #afterReady(work: WorkUnit, token: number, ok: boolean, now?: number): void {
    if (work.run !== token || (work.place !== "checking" && work.place !== "screening")) return;
    if (!ok || !this.#started) {
      this.#checkDone(work, ok ? "requeue" : "blocked", now ?? this.clock.now());
      return;
    }
    const isStale = callCheck(work.def.stale ?? this.#isStale, work, true);
    if (isThenable(isStale)) {
      this.#checks.inFlight++;
      isStale.then(
        (v) => { this.#checks.inFlight--; this.#afterStale(work, token, Boolean(v)); this.#pump(); },
        () => { this.#checks.inFlight--; this.#afterStale(work, token, true); this.#pump(); },
      );
      return;
    }
    this.#afterStale(work, token, Boolean(isStale), now);
  }

  #afterStale(work: WorkUnit, token: number, isStale: boolean, now = this.clock.now()): void {
    if (work.run !== token || (work.place !== "checking" && work.place !== "screening")) return;
    this.#checkDone(work, !this.#started ? "requeue" : isStale ? "go" : "skip", now);
  }

  /** Where a checked work goes next. */
  #checkDone(work: WorkUnit, outcome: "go" | "skip" | "blocked" | "requeue", now: number): void {
    const dispatch = work.place === "checking";
    if (dispatch && outcome === "go") {
      this.#checking--;
      this.#start(work, now, true);
      return;
    }
    if (dispatch) this.#unreserve(work);
    switch (outcome) {
      case "skip":
        this.#skip(work, now);
        return;
      case "blocked":
        this.#rechecker.add(work);
        return;
      case "requeue":
        if (dispatch) this.#enqueue(work, now);
        else this.#toIntake(work);
        return;
      case "go":
        work.checkedGen = this.#gen;
        this.#enqueue(work, now);
        return;
    }
  }

  #unreserve(work: WorkUnit): void {
    for (const s of work.def.services) s.release(true);
    this.#checking--;
    // A freed reservation may let another lane go.
    this.#pumpAgain = true;
  }

  /**
   * Runs a work's handler. Its slots are taken before; its rate starts are reserved before and
   * recorded after the handler's synchronous part returns, with a fresh clock read: a recorded
   * start is then never earlier than the handler's first line, so starts timed by the handler
   * itself (even across a GC pause between the two) never show more than N in a window.
   */
  #start(work: WorkUnit, now: number, reserved: boolean): void {
    const services = work.def.services;
    let timed = false;
    for (let i = 0; i < services.length; i++) {
      const s = services[i] as Service;
      if (!reserved) s.acquire();
      if (s.windows.length > 0) timed = true;
    }
    work.transition("running");
    work.place = "running";
    work.startedAt = now;
    this.#pending--;
    this.#running++;
    this.#watchdog.activity(now);
    const token = ++work.run;
    this.listeners.emit("start", work);
    if (work.run !== token || work.state !== "running") {
      // A start listener cancelled it: the handler never ran, so its rate starts are not used.
      if (timed) for (const s of services) for (const w of s.windows) w.unreserve();
      return;
    }
    const timeoutMs = work.def.timeoutMs;
    if (timeoutMs !== undefined) work.timer = this.clock.setTimeout(() => this.#onHandlerTimeout(work, token), timeoutMs);
    let result: unknown;
    let threw = false;
    try {
      result = work.def.handler(work);
    } catch (error) {
      threw = true;
      result = error;
    }
    if (timed) {
      const at = this.#time();
      for (let i = 0; i < services.length; i++) (services[i] as Service).commit(at);
    }
    if (threw) {
      this.#finish(work, token, false, result);
    } else if (isThenable(result)) {
      result.then(
        (value) => this.#finish(work, token, true, value),
        (error: unknown) => this.#finish(work, token, false, error),
      );
    } else {
      this.#finish(work, token, true, result);
    }
  }

  /** Frees what a running work holds; false when this attempt was already settled. */
  #leaveRunning(work: WorkUnit, token: number): boolean {
    if (work.run !== token || work.state !== "running") return false;
    work.run++;
    if (work.timer !== undefined) {
      this.clock.clearTimeout(work.timer);
      work.timer = undefined;
    }
    const services = work.def.services;
    for (let i = 0; i < services.length; i++) (services[i] as Service).active--;
    this.#running--;
    this.#gen++;
    return true;
  }

  #finish(work: WorkUnit, token: number, ok: boolean, value: unknown): void {
    if (!this.#leaveRunning(work, token)) return;
    const now = this.#time();
    this.#watchdog.activity(now);
    if (ok) {
      work.transition("completed");
      work.place = "done";
      work.result = value;
      work.error = undefined;
      work.completedAt = now;
      this.listeners.emit("complete", work, value, now - (work.startedAt as number));
      this.#terminal(work);
    } else {
      this.#attemptFailed(work, toError(value), now);
    }
    this.#afterFinish();
  }

  /**
   * After a work left `running`. `aborted` (cancel, timeout): the next dispatch waits for a
   * macrotask, so the aborted handler's own cleanup (promise callbacks reacting to its signal)
   * runs before another work takes its slot.
   */
  #afterFinish(aborted = false): void {
    this.#rechecker.finished();
    if (this.#drainWaiters.length > 0 && this.#running === 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of waiters) w();
    }
    if (aborted) this.#schedulePump();
    else this.#pump();
  }

  #onHandlerTimeout(work: WorkUnit, token: number): void {
    work.timer = undefined;
    const limit = work.def.timeoutMs as number;
    const now = this.clock.now();
    const elapsed = now - (work.startedAt as number);
    const error = new TimeoutError("handler", `Handler timeout: task "${work.task}" (work ${work.id}, attempt ${work.attempt}) ran ${Math.round(elapsed)}ms, limit ${limit}ms`, limit, elapsed);
    if (!this.#leaveRunning(work, token)) return;
    work.abort(error);
    this.#watchdog.activity(now);
    this.#attemptFailed(work, error, now);
    this.#afterFinish(true);
  }

  /** Decides between retry, requeue after pushback, and failure. The work has left `running`. */
  #attemptFailed(work: WorkUnit, error: Error, now: number): void {
    if (error instanceof RateLimited) {
      let pause: number;
      try {
        pause = parseDuration(error.retryAfter, "RateLimited retryAfter");
      } catch {
        pause = 1000;
      }
      const targets = error.service !== undefined ? work.def.services.filter((s) => s.name === error.service) : work.def.services;
      for (const s of targets) s.pausedUntil = Math.max(s.pausedUntil, now + pause);
      this.#backToPending(work, error, pause, now, targets.length === 0, false);
      return;
    }
    const policy = work.def.retry;
    if (!(error instanceof Permanent) && work.attempt < policy.attempts) {
      let delay: number;
      if (error instanceof Retry && error.delay !== undefined) {
        try {
          delay = parseDuration(error.delay, "Retry delay");
        } catch {
          delay = policy.delayAfter(work.attempt, this.options.random);
        }
      } else {
        delay = policy.delayAfter(work.attempt, this.options.random);
      }
      this.#backToPending(work, error, delay, now, delay > 0, true);
      return;
    }
    this.#fail(work, error, now);
  }

  #backToPending(work: WorkUnit, error: Error, delayMs: number, now: number, delayed: boolean, countsAttempt: boolean): void {
    work.transition("pending");
    if (countsAttempt) work.attempt++;
    work.error = error;
    work.resetSignal();
    this.#pending++;
    work.pendingSince = now;
    work.warned = false;
    this.#watchdog.pendingStarted(work, now);
    this.listeners.emit("retry", work, error, delayMs);
    if (work.state !== "pending") return; // a retry listener cancelled it
    if (delayed) this.#toDelayed(work, now + delayMs, true);
    else this.#enqueue(work, now);
  }

  #fail(work: WorkUnit, error: Error, now: number): void {
    work.transition("failed");
    work.place = "done";
    work.error = error;
    work.completedAt = now;
    this.listeners.emit("failure", work, error);
    this.#terminal(work);
  }

  #skip(work: WorkUnit, now: number): void {
    work.transition("completed");
    work.place = "done";
    work.skipped = true;
    work.completedAt = now;
    this.#pending--;
    this.#watchdog.activity(now);
    this.listeners.emit("skip", work);
    this.#terminal(work);
  }

  /** Bookkeeping once a work is terminal: key, retention, waiters, idle. */
  #terminal(work: WorkUnit): void {
    this.#registry.finished(work);
    if (this.#pending === 0 && this.#running === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  // ---------------------------------------------------------------- blocked work

  /** Starts a sweep over every blocked work now (also run every `recheckInterval`). */
  recheck(): void {
    this.#rechecker.recheck();
  }

  // ---------------------------------------------------------------- cancel, timeouts

  cancel(id: string): boolean {
    const work = this.#registry.get(id);
    if (!work || isTerminal(work.state)) return false;
    const now = this.clock.now();
    const error = new CancelledError(`Work ${work.id} (${work.task}) was cancelled`);
    if (work.state === "running") {
      this.#leaveRunning(work, work.run);
      work.abort(error);
      this.#endRunning(work, error, now);
      return true;
    }
    this.#removePending(work);
    work.transition("cancelled");
    work.place = "done";
    work.error = error;
    work.completedAt = now;
    this.listeners.emit("cancel", work);
    this.#terminal(work);
    this.#pump();
    return true;
  }

  /** A running work (already out of `running` accounting) ends `cancelled`. */
  #endRunning(work: WorkUnit, error: Error, now: number): void {
    work.transition("cancelled");
    work.place = "done";
    work.error = error;
    work.completedAt = now;
    this.listeners.emit("cancel", work);
    this.#terminal(work);
    this.#afterFinish(true);
  }

  /** Takes a pending work out of wherever it waits; `#pending` is decremented. */
  #removePending(work: WorkUnit): void {
    switch (work.place) {
      case "queued":
        (this.#lanes.get(work.def.laneKey) as Lane).remove(work);
        break;
      case "checking":
        work.run++;
        this.#unreserve(work);
        break;
      case "screening":
      case "intake":
        work.run++; // an in-flight screening's answer is ignored; an intake slot is skipped
        break;
      case "blocked":
        this.#rechecker.remove(work);
        work.run++;
        break;
      case "delayed":
        this.#delayed.remove(work);
        this.#armDelayTimer();
        break;
      default:
        break;
    }
    this.#pending--;
  }

  /** Fails a pending work with a timeout (pending or stall). */
  failPending(work: WorkUnit, error: TimeoutError): void {
    if (work.state !== "pending") return;
    this.#removePending(work);
    this.#fail(work, error, this.clock.now());
    this.#schedulePump();
  }

  /** Every pending work, oldest first. */
  *pendingWorks(): IterableIterator<WorkUnit> {
    for (const w of this.#registry.values()) if (w.state === "pending") yield w;
  }

  // ---------------------------------------------------------------- lifecycle

  start(): void {
    if (this.#started) return;
    this.#started = true;
    const now = this.clock.now();
    this.#watchdog.start(now);
    this.#armDelayTimer();
    this.#rechecker.start();
    this.#schedulePump();
  }

  async stop(timeoutMs: number | undefined): Promise<void> {
    if (this.#started) {
      this.#started = false;
      for (const t of [this.#pumpTimer, this.#delayTimer]) if (t !== undefined) this.clock.clearTimeout(t);
      this.#pumpTimer = this.#delayTimer = undefined;
      this.#delayTimerAt = Infinity;
      this.#rechecker.stop();
      for (const lane of this.#laneList) {
        if (lane.wakeTimer !== undefined) this.clock.clearTimeout(lane.wakeTimer);
        lane.wakeTimer = undefined;
        lane.wakeAt = Infinity;
      }
      this.#watchdog.stop();
    }
    if (this.#running === 0) return;
    const drained = new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    if (timeoutMs === undefined) {
      await drained;
      return;
    }
    let timer: TimerHandle;
    const expired = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, timeoutMs);
    });
    await Promise.race([drained, expired]);
    this.clock.clearTimeout(timer);
    if (this.#running === 0) return;
    const now = this.clock.now();
    for (const work of [...this.#registry.values()]) {
      if (work.state !== "running") continue;
      const error = new CancelledError(`Work ${work.id} (${work.task}) was abandoned: stop() timed out after ${timeoutMs}ms`);
      this.#leaveRunning(work, work.run);
      work.abort(error);
      this.#endRunning(work, error, now);
    }
  }

  // ---------------------------------------------------------------- queries

  get(id: string): WorkUnit | undefined {
    return this.#registry.get(id);
  }

  list(filter: { state?: WorkState; task?: string; limit?: number }): WorkUnit[] {
    const out: WorkUnit[] = [];
    const limit = filter.limit ?? Infinity;
    if (limit <= 0) return out;
    for (const w of this.#registry.values()) {
      if (filter.state !== undefined && w.state !== filter.state) continue;
      if (filter.task !== undefined && w.task !== filter.task) continue;
      out.push(w);
      if (out.length >= limit) break;
    }
    return out;
  }

  wait(id: string, signal: AbortSignal | undefined): Promise<Work> {
    const work = this.#registry.get(id);
    if (!work) {
      return Promise.reject(new RuncueError("ERR_UNKNOWN_WORK", `Unknown work id: "${String(id)}" (never submitted to this cue, or finished and forgotten after maxFinished newer works)`));
    }
    if (isTerminal(work.state)) return Promise.resolve(work);
    return this.#awaitWith<Work>(signal, (resolve) => this.#registry.onFinished(work, resolve));
  }

  idle(signal: AbortSignal | undefined): Promise<undefined> {
    if (this.#pending === 0 && this.#running === 0) return Promise.resolve(undefined);
    return this.#awaitWith<undefined>(signal, (resolve) => {
      const fn = (): void => resolve(undefined);
      this.#idleWaiters.push(fn);
      return () => {
        const i = this.#idleWaiters.indexOf(fn);
        if (i >= 0) this.#idleWaiters.splice(i, 1);
      };
    });
  }

  #awaitWith<T>(signal: AbortSignal | undefined, register: (resolve: (v: T) => void) => () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        unregister();
        reject(signal?.reason);
      };
      const unregister = register((v) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(v);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  status(): CueStatus {
    const now = this.clock.now();
    let queued = 0;
    for (const lane of this.#laneList) queued += lane.size;
    return {
      started: this.#started,
      pending: this.#pending,
      running: this.#running,
      queued,
      checking: this.#checking,
      blocked: this.#rechecker.size,
      delayed: this.#delayed.size,
      retained: this.#registry.retained,
      services: [...this.#services.values()].map((s) => s.status(now)),
    };
  }

  debugBlocked(): BlockedInfo[] {
    const out: BlockedInfo[] = [];
    const ctx = {
      now: this.clock.now(),
      started: this.#started,
      checksSaturated: this.#checks.saturated,
      checkConcurrency: this.options.checkConcurrency,
    };
    for (const work of this.#registry.values()) {
      if (work.state !== "pending") continue;
      try {
        out.push(explain(work, ctx));
      } catch (error) {
        out.push({ work, reason: "queued", details: `Could not explain: ${String(error)}` });
      }
    }
    return out;
  }
}
