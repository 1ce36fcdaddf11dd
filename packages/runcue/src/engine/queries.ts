import { ConfigurationError, RuncueError, describeValue } from "../errors.js";
import type { Limiter, ServiceStatus } from "../limits/limiter.js";
import type { ResolvedCueOptions } from "../options.js";
import type { Lane } from "../queue/lane.js";
import type { Clock } from "../time/clock.js";
import type { Lifecycle } from "../work/lifecycle.js";
import { checkOptions } from "../validate.js";
import { Phase, isPendingPhase } from "../work/phase.js";
import type { WorkRecord } from "../work/record.js";
import type { Work, WorkState } from "../work/work.js";
import { explain, type BlockedInfo, type ExplainContext } from "./explain.js";
import { summarize, type CueSummary } from "./summary.js";
import { awaitWith } from "./notices.js";
import type { WorkRegistry } from "./registry.js";
import type { Waiters } from "./waiters.js";

/** What the queries read. */
export interface QueryHost {
  readonly clock: Clock;
  readonly registry: WorkRegistry;
  readonly waiters: Waiters;
  readonly lifecycle: Lifecycle;
  readonly services: ReadonlyMap<string, Limiter>;
  readonly options: ResolvedCueOptions;
  readonly screening: { readonly saturated: boolean };
  readonly catalog: { readonly lanes: ReadonlyMap<string, Lane<WorkRecord>> };
  /** Works blocked waiting for their `after` list. */
  readonly flows: { readonly held: number };
  isStarted(): boolean;
}

/** Filters of `cue.list()`. */
export interface ListOptions {
  /** Only works in this state. */
  state?: WorkState;
  /** Only works of this task. */
  task?: string;
  /** At most this many. @default unlimited */
  limit?: number;
}

/** Counts from `cue.status()`. */
export interface CueStatus {
  /** True between `start()` and `stop()`. */
  started: boolean;
  /** Works not yet terminal and not running: queued + checking + blocked + delayed (+ waiting for their arrival check). */
  pending: number;
  /** Works whose handler runs. */
  running: number;
  /** Waiting in service queues. */
  queued: number;
  /** Readiness/staleness checks in progress (arrival and dispatch). */
  checking: number;
  /** Not ready, waiting for a recheck. */
  blocked: number;
  /** Waiting out a submit delay or a retry delay. */
  delayed: number;
  /** Finished works still kept for `get`/`wait`. */
  retained: number;
  /** Each service's usage. */
  services: ServiceStatus[];
}

const STATES: readonly WorkState[] = ["pending", "running", "completed", "failed", "cancelled"];

/** The read side of the engine: lookups, listings, status, explanations, and waiting for a work or for idle. Never changes state. */
export class Queries {
  readonly #engine: QueryHost;

  constructor(engine: QueryHost) {
    this.#engine = engine;
  }

  /** @throws ConfigurationError for an id that is not a string. */
  get(id: unknown): WorkRecord | undefined {
    if (typeof id !== "string") throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid work id: ${describeValue(id)} (expected a string id returned by submit)`);
    return this.#engine.registry.get(id);
  }

  list(filter: ListOptions): WorkRecord[] {
    checkOptions(filter, ["state", "task", "limit"], "list options");
    const { state, task, limit = Infinity } = filter;
    if (state !== undefined && !STATES.includes(state)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid state filter: ${describeValue(state)} (expected one of ${STATES.join(", ")})`);
    }
    if (task !== undefined && typeof task !== "string") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid task filter: ${describeValue(task)} (expected a task name)`);
    }
    if (typeof limit !== "number" || Number.isNaN(limit) || limit < 0 || (limit !== Infinity && !Number.isInteger(limit))) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid limit: ${describeValue(limit)} (expected a non-negative integer)`);
    }
    const out: WorkRecord[] = [];
    if (limit === 0) return out;
    for (const w of this.#engine.registry.values()) {
      if (state !== undefined && w.state !== state) continue;
      if (task !== undefined && w.task !== task) continue;
      out.push(w);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Every pending work, oldest first. */
  *pendingWorks(): IterableIterator<WorkRecord> {
    for (const w of this.#engine.registry.values()) if (isPendingPhase(w.phase)) yield w;
  }

  /** Every running work (a copy: callers may cancel while they go). */
  runningWorks(): WorkRecord[] {
    const out: WorkRecord[] = [];
    for (const w of this.#engine.registry.values()) if (w.phase === Phase.Running) out.push(w);
    return out;
  }

  hasLiveWork(task: string): boolean {
    for (const w of this.#engine.registry.values()) if (w.task === task && (isPendingPhase(w.phase) || w.phase === Phase.Running)) return true;
    return false;
  }

  status(): CueStatus {
    const engine = this.#engine;
    const now = engine.clock.now();
    const c = engine.lifecycle.counts;
    return {
      started: engine.isStarted(),
      pending: engine.lifecycle.pending,
      running: engine.lifecycle.running,
      queued: c[Phase.Queued] as number,
      checking: (c[Phase.Checking] as number) + (c[Phase.Screening] as number),
      blocked: c[Phase.Blocked] as number,
      delayed: c[Phase.Delayed] as number,
      retained: engine.registry.retained,
      services: [...engine.services.values()].map((s) => s.status(now)),
    };
  }

  /** A cheap picture for dashboards and scrapes: see {@link summarize}. */
  summary(options: { examples?: number } = {}): CueSummary {
    checkOptions(options, ["examples"], "summary options");
    const examples = options.examples ?? 3;
    if (typeof examples !== "number" || !Number.isInteger(examples) || examples < 0) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid examples: ${describeValue(examples)} (expected a non-negative integer)`);
    }
    const engine = this.#engine;
    const now = engine.clock.now();
    const ctx = this.#explainContext(now);
    return summarize({
      lifecycle: engine.lifecycle,
      services: engine.services,
      lanes: engine.catalog.lanes.values(),
      isStarted: () => engine.isStarted(),
      pendingWorks: () => this.pendingWorks(),
      waitingFor: engine.flows.held,
      reasonOf: (work) => explain(work, ctx).reason,
    }, now, examples);
  }

  #explainContext(now: number): ExplainContext {
    const engine = this.#engine;
    return {
      now,
      started: engine.isStarted(),
      checksSaturated: engine.screening.saturated,
      checkConcurrency: engine.options.checkConcurrency,
      checkTimeout: engine.options.checkTimeout,
    };
  }

  debugBlocked(): BlockedInfo[] {
    const engine = this.#engine;
    const out: BlockedInfo[] = [];
    const ctx = this.#explainContext(engine.clock.now());
    for (const work of this.pendingWorks()) {
      try {
        out.push(explain(work, ctx));
      } catch (error) {
        out.push({ work, reason: "queued", details: `Could not explain: ${describeValue(error)}` });
      }
    }
    return out;
  }

  /** Resolves with the work once it is terminal (at once if it is); rejects for an id this cue does not know. */
  wait(id: string, signal: AbortSignal | undefined): Promise<Work> {
    const work = this.get(id);
    if (!work) {
      return Promise.reject(new RuncueError("ERR_UNKNOWN_WORK", `Unknown work id: ${describeValue(id)} (never submitted to this cue, or finished and forgotten after maxFinished newer works)`));
    }
    if (!isPendingPhase(work.phase) && work.phase !== Phase.Running) return Promise.resolve(work);
    return awaitWith<Work>(signal, (resolve) => this.#engine.registry.onFinished(work, resolve));
  }

  /** Resolves when nothing is pending or running. */
  idle(signal: AbortSignal | undefined): Promise<undefined> {
    if (this.#engine.lifecycle.isIdle) return Promise.resolve(undefined);
    return awaitWith<undefined>(signal, (resolve) => this.#engine.waiters.onIdle(() => resolve(undefined)));
  }
}
