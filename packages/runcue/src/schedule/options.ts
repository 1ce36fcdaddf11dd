import { ConfigurationError, describeValue } from "../errors.js";
import type { SubmitOptions } from "../options.js";
import { parseDuration, parsePositiveDuration, type Duration } from "../time/duration.js";
import { checkName, checkOptions } from "../validate.js";
import { cronTiming } from "./cron.js";
import type { Tick } from "./tick.js";
import { everyTiming, memoized, windowed, type Timing } from "./timing.js";

/**
 * What a schedule does when a tick comes while earlier work of the schedule is still pending or
 * running: `"skip"` submits nothing (the tick coalesces into that work, through its dedupe
 * key), `"queue"` holds the newest such tick and submits it when that work ends (so the
 * schedule's works never overlap and the latest tick still runs), `"allow"` submits anyway.
 */
export type OverlapMode = "skip" | "queue" | "allow";

/** A moment: epoch milliseconds, a `Date`, or a string `Date.parse` reads (ISO 8601, with `Z` or an offset). */
export type ScheduleTime = number | Date | string;

/** The long form of `catchUp`. */
export interface CatchUpOptions {
  /** Submit the ticks missed within this long before now. */
  within: Duration;
  /** Submit at most this many of them, the newest. @default unlimited */
  max?: number;
}

/** A task a schedule can submit: a handle from `cue.task()` (its params type carries over). */
export interface SchedulableTask<P> {
  /** The task name. */
  readonly name: string;
  /** Submits a work of the task (a function property, so params are checked strictly). */
  readonly submit: (params: P, options?: SubmitOptions) => Promise<string>;
}

/** Options of `cue.schedule(name, options)`. Exactly one of `every` and `cron` is required. */
export interface ScheduleOptions<P = unknown> {
  /** The task each tick submits: its name, or the handle `cue.task()` returned. */
  task: string | SchedulableTask<P>;
  /**
   * Tick at a fixed interval, on the instants `k × every` since the epoch (or since `startAt`
   * when given), so a restart lands on the same ticks. Absolute time: no time zone, no DST.
   * @example every: "5m"
   */
  every?: Duration;
  /**
   * Tick on a cron expression: five fields (minute hour day-of-month month weekday) or six
   * (seconds first), with names, ranges, steps, `L`, `W` and `#` as croner reads them. Needs the
   * optional peer dependency `croner`.
   * @example cron: "30 9 * * mon-fri"
   */
  cron?: string;
  /** The IANA time zone `cron` is read in. Only with `cron`. @default the process's local zone */
  tz?: string;
  /** The params of each tick's work: a value, or a function of the tick. @default `{}` */
  params?: NoInfer<P> | ((tick: Tick) => NoInfer<P>);
  /** What a tick does while earlier work of this schedule is pending or running. @default "skip" */
  overlap?: OverlapMode;
  /**
   * On `start()`, submit the ticks missed within this long before now (and after a late
   * wake-up, every missed tick within it rather than only the newest). Each is its own work
   * with a key per tick; staleness skips those already done. @default none
   */
  catchUp?: Duration | CatchUpOptions;
  /** Delay each tick's work by a random time in [0, jitter), from the cue's `random`. @default 0 */
  jitter?: Duration;
  /** No tick before this moment; with `every`, ticks are counted from it. @default none */
  startAt?: ScheduleTime;
  /** No tick at or after this moment. @default none */
  endAt?: ScheduleTime;
  /** Submit at most this many works, then finish. @default unlimited */
  limit?: number;
}

const SCHEDULE_OPTIONS = ["task", "every", "cron", "tz", "params", "overlap", "catchUp", "jitter", "startAt", "endAt", "limit"] as const;
const OVERLAP_MODES: readonly OverlapMode[] = ["skip", "queue", "allow"];

/** @internal a schedule's options, checked, with every default applied. */
export interface ResolvedSchedule {
  readonly name: string;
  readonly task: string;
  /** The ticks, windowed to [startAt, endAt). */
  readonly timing: Timing;
  readonly every: number | undefined;
  readonly cron: string | undefined;
  readonly tz: string | undefined;
  readonly params: (tick: Tick) => unknown;
  readonly overlap: OverlapMode;
  /** Catch-up window in ms (undefined: none) and the most ticks it submits. */
  readonly catchUpMs: number | undefined;
  readonly catchUpMax: number;
  readonly jitterMs: number;
  readonly limit: number;
}

function invalid(message: string): ConfigurationError {
  return new ConfigurationError("ERR_INVALID_OPTION", message);
}

function parseTime(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  let ms = Number.NaN;
  if (typeof value === "number") ms = value;
  else if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "string") ms = Date.parse(value);
  if (Number.isFinite(ms)) return ms;
  throw invalid(`Invalid ${what}: ${describeValue(value)} (expected epoch milliseconds, a valid Date, or an ISO 8601 string like "2026-12-01T00:00:00Z")`);
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1) return value;
  throw invalid(`Invalid ${what}: ${describeValue(value)} (expected an integer >= 1)`);
}

function parseCatchUp(value: unknown, what: string): { ms: number | undefined; max: number } {
  if (value === undefined) return { ms: undefined, max: Infinity };
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    checkOptions(value, ["within", "max"], `catchUp of ${what}`);
    const { within, max } = value as CatchUpOptions;
    if (within === undefined) throw invalid(`Invalid catchUp of ${what}: ${describeValue(value)} (within is required, e.g. { within: "1h", max: 24 })`);
    return { ms: parsePositiveDuration(within, `catchUp.within of ${what}`), max: max === undefined ? Infinity : positiveInteger(max, `catchUp.max of ${what}`) };
  }
  return { ms: parsePositiveDuration(value as Duration, `catchUp of ${what}`), max: Infinity };
}

function taskName(value: unknown, what: string, hasTask: (name: string) => boolean, known: () => string[]): string {
  const name = typeof value === "string" ? value : typeof value === "object" && value !== null ? (value as { name?: unknown }).name : undefined;
  if (typeof name === "string" && hasTask(name)) return name;
  if (typeof value === "string" || typeof name === "string") {
    const registered = known();
    throw new ConfigurationError("ERR_UNKNOWN_TASK", `Unknown task: ${describeValue(name)} for ${what} (registered: ${registered.length ? registered.map((k) => `"${k}"`).join(", ") : "none"}; register the task before its schedule)`);
  }
  throw invalid(`Invalid task for ${what}: ${describeValue(value)} (expected a task name or the handle cue.task() returned)`);
}

/**
 * @internal Checks `cue.schedule(name, options)` and applies the defaults.
 * @throws ConfigurationError naming the value: a bad name or option, both or neither of `every`
 * and `cron`, `every: 0`, a malformed cron expression, an unknown time zone, an unknown task.
 */
export function resolveSchedule(name: unknown, options: unknown, now: number, hasTask: (name: string) => boolean, knownTasks: () => string[]): ResolvedSchedule {
  checkName(name, "schedule name");
  const what = `schedule "${name}"`;
  if (options === undefined) throw invalid(`Missing options for ${what} (expected { task, every } or { task, cron })`);
  checkOptions(options, SCHEDULE_OPTIONS, `options of ${what}`);
  const o = options as ScheduleOptions;
  const task = taskName(o.task, what, hasTask, knownTasks);
  if ((o.every === undefined) === (o.cron === undefined)) {
    throw invalid(`Invalid options of ${what}: ${o.every === undefined ? "neither every nor cron given" : "both every and cron given"} (expected exactly one: every: "5m" or cron: "0 3 * * *")`);
  }
  if (o.tz !== undefined && o.cron === undefined) throw invalid(`Invalid tz for ${what}: ${describeValue(o.tz)} (tz applies to cron only; every is absolute time)`);
  const overlap = o.overlap ?? "skip";
  if (!OVERLAP_MODES.includes(overlap)) throw invalid(`Invalid overlap for ${what}: ${describeValue(o.overlap)} (expected "skip", "queue" or "allow")`);
  const startAt = parseTime(o.startAt, `startAt of ${what}`);
  const endAt = parseTime(o.endAt, `endAt of ${what}`);
  if (startAt !== undefined && endAt !== undefined && endAt <= startAt) {
    throw invalid(`Invalid endAt of ${what}: ${describeValue(o.endAt)} (must be after startAt ${describeValue(o.startAt)})`);
  }
  const every = o.every === undefined ? undefined : parsePositiveDuration(o.every, `every of ${what}`);
  let base: Timing;
  if (every !== undefined) {
    base = everyTiming(every, startAt ?? 0);
  } else {
    base = cronTiming(o.cron, o.tz, what);
    // Asked once now, so a zone croner cannot use, or an expression that never matches, fails here.
    let first: number | undefined;
    try {
      first = base.next(now);
    } catch (error) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid cron for ${what}: ${JSON.stringify(o.cron)} could not be evaluated${o.tz === undefined ? "" : ` in ${o.tz}`}`, { cause: error });
    }
    if (first === undefined) throw invalid(`Invalid cron for ${what}: ${JSON.stringify(o.cron)} matches no time after ${new Date(now).toISOString()}`);
  }
  const params = o.params;
  const catchUp = parseCatchUp(o.catchUp, what);
  return {
    name,
    task,
    timing: memoized(windowed(base, startAt ?? -Infinity, endAt ?? Infinity)),
    every,
    cron: o.cron,
    tz: o.tz,
    params: typeof params === "function" ? (params as (tick: Tick) => unknown) : () => params,
    overlap,
    catchUpMs: catchUp.ms,
    catchUpMax: catchUp.max,
    jitterMs: o.jitter === undefined ? 0 : parseDuration(o.jitter, `jitter of ${what}`),
    limit: o.limit === undefined ? Infinity : positiveInteger(o.limit, `limit of ${what}`),
  };
}
