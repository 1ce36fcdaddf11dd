import { ConfigurationError, describeValue } from "./errors.js";
import type { CueEventName } from "./events/event-map.js";
import { memoryStore, type LimiterStore } from "./limits/store.js";
import { systemClock, type Clock } from "./time/clock.js";
import { parseOptionalDuration, parsePositiveDuration, type Duration } from "./time/duration.js";
import { checkFunction, checkOptions } from "./validate.js";
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
export interface SubmitOptions {
  /** Priority in [0, 1], higher first; overrides the cue's `priority` function. @default 0.5 */
  priority?: number;
  /** Hold the work this long before it may be dispatched. @default 0 */
  delay?: Duration;
  /** Dedupe key: while a work with this key is pending or running, submitting it again returns that work's id. */
  key?: string;
  /** What this work costs in windows counting a measure (`{ tokens: 1200 }`); wins over the task's `cost`. */
  cost?: Readonly<Record<string, number>>;
  /** Run even if fresh: its staleness check (declared artifacts, the task's `stale`, the cue's `isStale`) is not asked. @default false */
  force?: boolean;
}

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

