import { systemClock, type Clock } from "./clock.js";
import { ConfigurationError } from "./errors.js";
import { parseDuration, parseOptionalDuration, type Duration } from "./duration.js";
import type { CueEventName } from "./events.js";

/** Options of `new Cue(options)`. All are optional. */
export interface CueOptions {
  /** Warn (event `pendingWarning`) about work pending longer than this. @default off */
  pendingWarnAfter?: Duration;
  /** Fail work pending longer than this with a `TimeoutError` ("Pending timeout"). @default off */
  pendingTimeout?: Duration;
  /** Warn (event `stallWarning`) when work is pending and nothing has happened for this long. @default off */
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
   * How many finished works are kept for `get`, `list` and `wait`; older ones are forgotten so
   * a long-running worker's memory stays flat. @default 10000
   */
  maxFinished?: number;
  /** Random numbers in [0, 1) for retry jitter. @default Math.random */
  random?: () => number;
  /**
   * Receives exceptions thrown by event listeners (they never affect work).
   * @default prints to stderr with console.error
   */
  onListenerError?: (error: unknown, event: CueEventName) => void;
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
  maxFinished: number;
  random: () => number;
  onListenerError: (error: unknown, event: CueEventName) => void;
}

function positiveInteger(value: number | undefined, fallback: number, what: string, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${String(value)} (expected an integer >= ${allowZero ? 0 : 1})`);
  }
  return value;
}

/** @internal */
export function resolveCueOptions(options: CueOptions = {}): ResolvedCueOptions {
  if (typeof options !== "object" || options === null) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid Cue options: ${String(options)} (expected an object)`);
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock.now !== "function" || typeof clock.setTimeout !== "function" || typeof clock.clearTimeout !== "function") {
    throw new ConfigurationError("ERR_INVALID_OPTION", "Invalid clock (expected an object with now(), setTimeout() and clearTimeout())");
  }
  const recheckInterval = parseDuration(options.recheckInterval ?? 100, "recheckInterval");
  if (recheckInterval <= 0) throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid recheckInterval: ${String(options.recheckInterval)} (must be greater than zero)`);
  return {
    pendingWarnAfter: parseOptionalDuration(options.pendingWarnAfter, "pendingWarnAfter"),
    pendingTimeout: parseOptionalDuration(options.pendingTimeout, "pendingTimeout"),
    stallWarnAfter: parseOptionalDuration(options.stallWarnAfter, "stallWarnAfter"),
    stallTimeout: parseOptionalDuration(options.stallTimeout, "stallTimeout"),
    clock,
    recheckInterval,
    checkConcurrency: positiveInteger(options.checkConcurrency, 32, "checkConcurrency"),
    maxFinished: positiveInteger(options.maxFinished, 10_000, "maxFinished", true),
    random: options.random ?? Math.random,
    onListenerError: options.onListenerError ?? ((error, event) => {
      console.error(`runcue: a "${event}" listener threw:`, error);
    }),
  };
}
