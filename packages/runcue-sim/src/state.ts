import type { Cue, ServiceStatus, Work } from "runcue";
import type { SimEvent } from "./events.js";
import type { Attempt, WorkSpan } from "./timeline.js";

/** Totals of one service, from its tasks' events. */
export interface ServiceTotals {
  name: string;
  /** The service's rate limit as given, or null. */
  rate: string | null;
  started: number;
  completed: number;
  failed: number;
  retried: number;
  /** Sum of attempt durations (slot-milliseconds used). */
  busyMs: number;
}

/** The run's counters. */
export interface Counts {
  submitted: number;
  started: number;
  completed: number;
  skipped: number;
  failed: number;
  cancelled: number;
  retries: number;
  invalidations: number;
}

/** How long the recent-throughput window is (ETA uses it). */
const RECENT_MS = 5000;
/** How many events the live displays keep. */
const RECENT_EVENTS = 12;

interface Running {
  attempt: number;
  start: number;
}

/**
 * Everything the simulator knows about a run, collected from the cue's events and the
 * scenario's submissions: counters, per-service totals, the latest events and (for the HTML
 * report) every attempt. Times are milliseconds since the run started, on the run's clock.
 */
export class SimState {
  readonly counts: Counts = { submitted: 0, started: 0, completed: 0, skipped: 0, failed: 0, cancelled: 0, retries: 0, invalidations: 0 };
  readonly recent: SimEvent[] = [];
  readonly attempts: Attempt[] = [];
  readonly #spans = new Map<string, WorkSpan>();
  readonly #works = new Map<string, { task: string; label: string; at: number; logged: boolean }>();
  readonly #taskService = new Map<string, string>();
  readonly #services = new Map<string, ServiceTotals>();
  readonly #running = new Map<string, Running>();
  readonly #finishes: number[] = [];
  #finishHead = 0;
  readonly #listeners: ((event: SimEvent) => void)[] = [];
  readonly #progressListeners: ((at: number) => void)[] = [];
  readonly #now: () => number;
  readonly #keepTimeline: boolean;
  #planned = 0;
  readonly #plannedByTask = new Map<string, number>();
  #explain: ((work: Work) => string | undefined) | undefined = undefined;
  lastProgressAt = 0;

  /** @param now the run's elapsed time in ms. @param keepTimeline record every attempt (for the report). */
  constructor(now: () => number, keepTimeline: boolean) {
    this.#now = now;
    this.#keepTimeline = keepTimeline;
  }

  /** Calls `listener` for every event (the verbose log). */
  onEvent(listener: (event: SimEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** Calls `listener` whenever a work starts or finishes (stall detection). */
  onProgress(listener: (at: number) => void): void {
    this.#progressListeners.push(listener);
  }

  /**
   * Subscribes to the cue's event map, so every work is seen whoever submits it (the scenario,
   * a handler, a retry); returns a function that unsubscribes. Attach before the scenario
   * submits anything.
   */
  attach(cue: Cue): () => void {
    const off = [
      cue.on("submit", ({ work, services }) => this.#submitted(work, services)),
      cue.on("start", ({ work }) => this.#started(work)),
      cue.on("complete", ({ work, result, durationMs }) => this.#completed(work, result, durationMs)),
      cue.on("fail", ({ work, error }) => this.#failed(work, error)),
      cue.on("skip", ({ work }) => this.#skipped(work)),
      cue.on("retry", ({ work, error, delayMs }) => this.#retried(work, error, delayMs)),
      cue.on("cancel", ({ work, error }) => this.#cancelled(work, error)),
    ];
    return () => off.forEach((f) => f());
  }

  /** Adds a row per service the cue has, with its rate labels as the cue gives them. */
  addServices(services: readonly ServiceStatus[]): void {
    for (const s of services) {
      if (!this.#services.has(s.name)) this.addService(s.name, s.rates.length === 0 ? null : s.rates.map((r) => r.label).join(" + "));
    }
  }

  /** Remembers which service a task runs through (the first one, if several). */
  taskUses(task: string, services: readonly string[]): void {
    const first = services[0];
    if (first !== undefined) this.#taskService.set(task, first);
  }

  /** Adds a service row. */
  addService(name: string, rate: string | null): void {
    this.#services.set(name, { name, rate, started: 0, completed: 0, failed: 0, retried: 0, busyMs: 0 });
  }

  get services(): ServiceTotals[] {
    return [...this.#services.values()];
  }

  /** Adjusts how many works the run expects (of `task`, when the scenario says). */
  plan(delta: number, task?: string): void {
    this.#planned += delta;
    if (task !== undefined) this.#plannedByTask.set(task, (this.#plannedByTask.get(task) ?? 0) + delta);
  }

  /** The tasks the scenario planned works of. */
  plannedTasks(): string[] {
    return [...this.#plannedByTask.keys()];
  }

  /** Works of `task` the scenario expects in all, or undefined when it did not say. */
  plannedFor(task: string): number | undefined {
    return this.#plannedByTask.get(task);
  }

  /** The service a task runs through (the first one, if several), or undefined. */
  serviceOf(task: string): string | undefined {
    return this.#taskService.get(task);
  }

  /** Works expected in all: the scenario's plan, or what was submitted if more. */
  get expected(): number {
    return Math.max(this.#planned, this.counts.submitted);
  }

  /** Works that ended: completed, skipped, failed or cancelled. */
  get done(): number {
    const c = this.counts;
    return c.completed + c.skipped + c.failed + c.cancelled;
  }

  /** True when `id` was already submitted (a dedupe key joined it). */
  knows(id: string): boolean {
    return this.#works.has(id);
  }

  /** Names a submitted work for the displays (what it is about, such as `item_0007`) and logs its `queued` event. */
  label(id: string, label: string): void {
    const known = this.#works.get(id);
    if (known === undefined) return;
    known.label = label;
    this.#logQueued(id, known);
  }

  /** Records a submission by hand (the cue's `submit` event does this for a running cue). */
  queued(id: string, task: string, label: string): void {
    this.#submitted({ id, task }, []);
    this.label(id, label);
  }

  /** True when the work has a label (a dedupe key joined an earlier submission). */
  hasLabel(id: string): boolean {
    return (this.#works.get(id)?.label ?? "") !== "";
  }

  #submitted(work: Pick<Work, "id" | "task">, services: readonly string[]): void {
    const { id, task } = work;
    const at = this.#now();
    this.#works.set(id, { task, label: "", at, logged: false });
    const first = services[0];
    if (first !== undefined && !this.#taskService.has(task)) this.#taskService.set(task, first);
    this.counts.submitted++;
    if (this.#keepTimeline) this.#spans.set(id, { id, task, submitted: at, ended: undefined, skipped: false });
  }

  /** The `queued` line, once per work: when the scenario names it, or at its first other event. */
  #logQueued(id: string, known: { task: string; label: string; at: number; logged: boolean }): void {
    if (known.logged) return;
    known.logged = true;
    this.#emit({ at: known.at, kind: "queued", task: known.task, id, details: known.label });
  }

  /** Records that work `by` invalidated `artifact`. */
  invalidated(by: Work, artifact: string): void {
    this.counts.invalidations++;
    this.#emit({ at: this.#now(), kind: "invalidated", task: by.task, id: by.id, details: `${artifact} (${this.labelOf(by.id)})` });
  }

  /** Sets the scenario's explanation of not-ready work. */
  explainWith(fn: (work: Work) => string | undefined): void {
    this.#explain = fn;
  }

  /** What a not-ready work waits for, in the scenario's terms, if it says. */
  explain(work: Work): string | undefined {
    try {
      return this.#explain?.(work);
    } catch {
      return undefined;
    }
  }

  /** The label a work was submitted with. */
  labelOf(id: string): string {
    return this.#works.get(id)?.label ?? "";
  }

  #cancelled(w: Work, error: Error): void {
    const at = this.#now();
    this.counts.cancelled++;
    this.#endAttempt(w.id, w.task, at, "cancelled");
    this.#endSpan(w.id, at, false);
    this.#emit({ at, kind: "cancelled", task: w.task, id: w.id, details: /abandoned/.test(error.message) ? "abandoned at stop" : error.message });
  }

  /** Works ended per second over the last few seconds. */
  recentThroughput(): number {
    const now = this.#now();
    const from = now - RECENT_MS;
    while (this.#finishHead < this.#finishes.length && (this.#finishes[this.#finishHead] as number) < from) this.#finishHead++;
    if (this.#finishHead > 4096) {
      this.#finishes.splice(0, this.#finishHead);
      this.#finishHead = 0;
    }
    const window = Math.min(RECENT_MS, now);
    return window <= 0 ? 0 : ((this.#finishes.length - this.#finishHead) * 1000) / window;
  }

  /** Every work's submit and end times (only when the timeline is kept). */
  spans(): WorkSpan[] {
    return [...this.#spans.values()];
  }

  #taskOf(id: string): string {
    return this.#works.get(id)?.task ?? "";
  }

  #service(task: string): ServiceTotals | undefined {
    const name = this.#taskService.get(task);
    return name === undefined ? undefined : this.#services.get(name);
  }

  #emit(event: SimEvent): void {
    this.recent.push(event);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    for (const l of this.#listeners) l(event);
  }

  #progress(at: number): void {
    this.lastProgressAt = at;
    for (const l of this.#progressListeners) l(at);
  }

  #finished(at: number): void {
    this.#finishes.push(at);
    this.#progress(at);
  }

  #started(w: Work): void {
    const known = this.#works.get(w.id);
    if (known !== undefined) this.#logQueued(w.id, known);
    const at = this.#now();
    this.counts.started++;
    const service = this.#service(w.task);
    if (service) service.started++;
    this.#running.set(w.id, { attempt: w.attempt, start: at });
    this.#progress(at);
    this.#emit({ at, kind: "started", task: w.task, id: w.id, details: this.labelOf(w.id) + (w.attempt > 1 ? ` (attempt ${w.attempt})` : "") });
  }

  #completed(w: Work, result: unknown, ms: number): void {
    const at = this.#now();
    this.counts.completed++;
    const service = this.#service(w.task);
    if (service) service.completed++;
    this.#endAttempt(w.id, w.task, at, "completed");
    this.#endSpan(w.id, at, false);
    this.#finished(at);
    this.#emit({ at, kind: "completed", task: w.task, id: w.id, details: `${Math.round(ms)}ms${describeResult(result)}` });
  }

  #failed(w: Work, error: Error): void {
    const at = this.#now();
    this.counts.failed++;
    const service = this.#service(w.task);
    if (service) service.failed++;
    this.#endAttempt(w.id, w.task, at, "failed");
    this.#endSpan(w.id, at, false);
    this.#finished(at);
    this.#emit({ at, kind: "failed", task: w.task, id: w.id, details: error.message });
  }

  #skipped(w: Work): void {
    const at = this.#now();
    this.counts.skipped++;
    this.#endSpan(w.id, at, true);
    this.#finished(at);
    this.#emit({ at, kind: "skipped", task: w.task, id: w.id, details: `${this.labelOf(w.id)} is up to date` });
  }

  #retried(w: Work, error: Error, delay: number): void {
    const at = this.#now();
    this.counts.retries++;
    const service = this.#service(w.task);
    if (service) service.retried++;
    this.#endAttempt(w.id, w.task, at, "retried");
    this.#progress(at);
    this.#emit({ at, kind: "retried", task: w.task, id: w.id, details: `attempt ${w.attempt} in ${Math.round(delay)}ms after: ${error.message}` });
  }

  #endAttempt(id: string, task: string, at: number, outcome: Attempt["outcome"], known?: Running): void {
    const run = known ?? this.#running.get(id);
    if (run === undefined) return;
    this.#running.delete(id);
    const name = task === "" ? this.#taskOf(id) : task;
    const service = this.#service(name);
    if (service) service.busyMs += at - run.start;
    if (!this.#keepTimeline) return;
    this.attempts.push({ id, task: name, label: this.labelOf(id), service: service?.name ?? "(none)", attempt: run.attempt, start: run.start, end: at, outcome });
  }

  #endSpan(id: string, at: number, skipped: boolean): void {
    const span = this.#spans.get(id);
    if (span === undefined) return;
    span.ended = at;
    span.skipped = skipped;
  }
}

/** ` [outlier] note` from a handler's result, when it has those fields. */
function describeResult(result: unknown): string {
  if (typeof result !== "object" || result === null) return "";
  const r = result as { outlier?: unknown; note?: unknown };
  return (r.outlier === true ? " [outlier]" : "") + (typeof r.note === "string" ? ` ${r.note}` : "");
}
