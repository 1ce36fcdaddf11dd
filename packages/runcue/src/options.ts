import { ConfigurationError, describeValue } from "./errors.js";
import type { CueEventName } from "./events/event-map.js";
import { memoryStore, type LimiterStore } from "./limits/store.js";
import { systemClock, type Clock } from "./time/clock.js";
import { parseOptionalDuration, parsePositiveDuration, type Duration } from "./time/duration.js";
import { checkFunction, checkOptions } from "./validate.js";
import type { TaskTypeCarrier } from "./typing.js";
import type { Work } from "./work/work.js";
import { resolveArtifactsOptions, type ArtifactsOptions, type ResolvedArtifactsOptions } from "./artifacts/options.js";

/** Options of `new Cue(options)`. All are optional. */
export interface CueOptions {
  /** Warn (event `pendingWarning`) about work pending longer than this. @default off */
  pendingWarnAfter?: Duration;
  /** Fail work pending longer than this with a `TimeoutError` ("Pending timeout"). @default off */
  pendingTimeout?: Duration;
  /** Warn (event `stall`) when work is pending and nothing has happened for this long. @default off */
  stallWarnAfter?: Duration;
  /** Fail all pending work with a `TimeoutError` ("Stall timeout") after a stall this long. @default off */
  stallTimeout?: Duration;
  /** The source of time and timers. @default the system clock */
  clock?: Clock;
  /** How often blocked (not ready) work is checked again when nothing else prompts it. @default 100 */
  recheckInterval?: Duration;
  /** How many asynchronous `isReady`/`isStale` calls may be in flight at once. @default 32 */
  checkConcurrency?: number;
  /**
   * An asynchronous `isReady`/`isStale` that has not settled after this long counts as not
   * ready / stale (as a throwing one does), and frees its `checkConcurrency` slot. @default off
   */
  checkTimeout?: Duration;
  /**
   * How many finished works are kept for `get`, `list` and `wait`; older ones are forgotten so
   * a long-running worker's memory stays flat. @default 10000
   */
  maxFinished?: number;
  /** Random numbers in [0, 1) for retry jitter. @default Math.random */
  random?: () => number;
  /**
   * Receives what event listeners throw or reject with (it never affects work). If it throws
   * itself, that goes to `console.error`.
   * @default prints to stderr with console.error
   */
  onListenerError?: (error: unknown, event: CueEventName) => void;
  /**
   * Where the services' limits live: this process (the default), or a store shared by many
   * processes. @default memoryStore
   */
  store?: LimiterStore;
  /**
   * How declared `inputs`/`outputs` are judged: `freshness` (`"mtime"`, Make's rule; or
   * `"changed"`, recorded stamps), the `state` file, the `root` of relative paths, `strict`.
   * @default { freshness: "mtime" } (no state, paths relative to the working directory)
   */
  artifacts?: ArtifactsOptions;
}

const CUE_OPTIONS = [
  "pendingWarnAfter", "pendingTimeout", "stallWarnAfter", "stallTimeout", "clock", "recheckInterval",
  "checkConcurrency", "checkTimeout", "maxFinished", "random", "onListenerError", "store", "artifacts",
] as const;

/** What `priority(ctx)` receives. */
export interface PriorityContext {
  /** The work being queued. */
  work: Work;
  /** Milliseconds since it was submitted. */
  waitTime: number;
  /** How many works are pending. */
  queueDepth: number;
}

/** Options of `submit`. */
export interface SubmitOptions<P = unknown, R = unknown, P2 = any, R2 = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Priority in [0, 1], higher first; overrides the cue's `priority` function. @default 0.5 */
  priority?: number;
  /** Hold the work this long before it may be dispatched. @default 0 */
  delay?: Duration;
  /** Dedupe key: while a work with this key is pending or running, submitting it again returns that work's id (and its flow options are ignored). */
  key?: string;
  /** What this work costs in windows counting a measure (`{ tokens: 1200 }`); wins over the task's `cost`. */
  cost?: Readonly<Record<string, number>>;
  /** Run even if fresh: its staleness check (declared artifacts, the task's `stale`, the cue's `isStale`) is not asked. @default false */
  force?: boolean;
  /**
   * When this work's handler completes, submit the next task: `[next]` passes the result as
   * its params, `[next, map]` passes `map(work)`, `[next, map, options]` also gives the next
   * work's submit options (which may chain further). The next work's id is on `work.next`.
   * A skipped work (its output was fresh) submits nothing unless `options.whenSkipped` maps it.
   * A failed or cancelled one submits nothing. @example { then: [parse, ({ result }) => ({ html: result.html })] }
   */
  then?: ThenStep<P, R, P2, R2>;
  /**
   * When this work fails for good (not when it is cancelled), submit a fallback: `[fallback]`
   * with the same params, `[fallback, map]` with `map(work)` (`work.error` says why).
   * The fallback's id is on `work.next`. @example { otherwise: [fallbackParse] }
   */
  otherwise?: OtherwiseStep<P, R, P2, R2>;
  /**
   * Ids of works this one waits for: it is ready only once all of them have completed (and its
   * own readiness check holds). If one fails or is cancelled, this work fails with a
   * `DependencyError`. An unknown or forgotten id is refused at submit.
   */
  after?: readonly string[];
}

/** A task to chain to: its handle (checked against the types of the flow) or its name. */
export type TaskRef<P = unknown, R = unknown> = TaskTypeCarrier<P, R> | string;

/** `unknown` loosened to `any`, so that an untyped result can feed any task. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose<T> = unknown extends T ? any : T;

/** A completed work, as a `then` mapping receives it: its result is there. */
export type CompletedWork<P, R> = Work<P, R> & { readonly result: R };

/** Options of a chained work: its own submit options, plus what to do when the work before it is skipped. */
export interface StepOptions<P, R, P2, R2> extends SubmitOptions<P2, R2> {
  /**
   * Called when the work before is skipped (it has no result): the params for the next work, or
   * `undefined` to submit nothing. Without it, a skipped work submits nothing.
   */
  whenSkipped?: (work: Work<P, R>) => P2 | undefined;
}

/** A `then` step: `[next]`, `[next, map]` or `[next, map, options]`. */
export type ThenStep<P, R, P2, R2> =
  | readonly [next: TaskRef<Loose<R>, R2>]
  | readonly [next: TaskRef<P2, R2>, map: (work: CompletedWork<P, R>) => P2, options?: StepOptions<P, R, P2, R2>];

/** An `otherwise` step: `[fallback]` (same params), `[fallback, map]` or `[fallback, map, options]`. */
export type OtherwiseStep<P, R, P2, R2> =
  | readonly [fallback: TaskRef<Loose<P>, R2>]
  | readonly [fallback: TaskRef<P2, R2>, map: (work: Work<P, R>) => P2, options?: SubmitOptions<P2, R2>];

/** @internal options with every default applied: the one place defaults live. */
export interface ResolvedCueOptions {
  pendingWarnAfter: number | undefined;
  pendingTimeout: number | undefined;
  stallWarnAfter: number | undefined;
  stallTimeout: number | undefined;
  clock: Clock;
  recheckInterval: number;
  checkConcurrency: number;
  checkTimeout: number | undefined;
  maxFinished: number;
  random: () => number;
  onListenerError: (error: unknown, event: CueEventName) => void;
  store: LimiterStore;
  /** The `artifacts` option resolved; undefined when not given (the defaults apply on first use). */
  artifacts: ResolvedArtifactsOptions | undefined;
}

function integer(value: unknown, fallback: number, what: string, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${describeValue(value)} (expected an integer >= ${min})`);
  }
  return value;
}

/** @internal */
export function resolveCueOptions(options: CueOptions = {}): ResolvedCueOptions {
  checkOptions(options, CUE_OPTIONS, "Cue options");
  const clock = options.clock ?? systemClock;
  if (typeof clock !== "object" || clock === null || typeof clock.now !== "function" || typeof clock.setTimeout !== "function" || typeof clock.clearTimeout !== "function") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid clock: ${describeValue(clock)} (expected an object with now(), setTimeout() and clearTimeout())`);
  }
  checkFunction(options.random, "random", true);
  checkFunction(options.onListenerError, "onListenerError", true);
  const store = options.store ?? memoryStore;
  if (typeof store !== "object" || store === null || typeof store.limiter !== "function") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid store: ${describeValue(store)} (expected an object with limiter(name, options, context))`);
  }
  return {
    pendingWarnAfter: parseOptionalDuration(options.pendingWarnAfter, "pendingWarnAfter"),
    pendingTimeout: parseOptionalDuration(options.pendingTimeout, "pendingTimeout"),
    stallWarnAfter: parseOptionalDuration(options.stallWarnAfter, "stallWarnAfter"),
    stallTimeout: parseOptionalDuration(options.stallTimeout, "stallTimeout"),
    clock,
    recheckInterval: parsePositiveDuration(options.recheckInterval ?? 100, "recheckInterval"),
    checkConcurrency: integer(options.checkConcurrency, 32, "checkConcurrency", 1),
    checkTimeout: options.checkTimeout === undefined ? undefined : parsePositiveDuration(options.checkTimeout, "checkTimeout"),
    maxFinished: integer(options.maxFinished, 10_000, "maxFinished", 0),
    random: options.random ?? Math.random,
    onListenerError: options.onListenerError ?? ((error, event) => {
      console.error(`runcue: a "${event}" listener threw:`, error);
    }),
    store,
    artifacts: options.artifacts === undefined ? undefined : resolveArtifactsOptions(options.artifacts),
  };
}

