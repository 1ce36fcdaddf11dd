import { ConfigurationError, describeValue } from "../errors.js";
import type { ScheduleHost } from "./host.js";
import { resolveSchedule, type OverlapMode } from "./options.js";
import { ScheduleRunner } from "./runner.js";

/** A registered schedule, returned by `cue.schedule()`. */
export interface ScheduleHandle {
  /** The schedule's name. */
  readonly name: string;
  /** True between `pause()` and `resume()`. */
  readonly paused: boolean;
  /**
   * When the next tick is due (epoch ms on the cue's clock), or undefined when the schedule is
   * finished (past `endAt`, `limit` reached, removed, or a cron expression with no later match).
   * While the cue is stopped: the first tick after now.
   */
  next(): number | undefined;
  /** The next `count` tick times, as {@link next} would give them one after another. Pure. */
  upcoming(count: number): number[];
  /**
   * Pauses: ticks still come due on time, but submit nothing (their `tick` event says `paused`).
   * @throws ConfigurationError after `remove()`.
   */
  pause(): this;
  /** Resumes after `pause()`: the next tick submits again. @throws ConfigurationError after `remove()`. */
  resume(): this;
  /** Removes the schedule for good: no more ticks, its name is free again. Work it submitted is not touched. */
  remove(): void;
}

/** One schedule as `cue.schedules()` lists it. */
export interface ScheduleInfo {
  /** The schedule's name. */
  readonly name: string;
  /** The task its ticks submit. */
  readonly task: string;
  /** The interval in ms, for an `every` schedule. */
  readonly every: number | undefined;
  /** The cron expression, for a `cron` schedule. */
  readonly cron: string | undefined;
  /** The time zone of `cron`, when one was given. */
  readonly tz: string | undefined;
  /** Its overlap mode. */
  readonly overlap: OverlapMode;
  /** When the next tick is due, or undefined when finished (see {@link ScheduleHandle.next}). */
  readonly next: number | undefined;
  /** When the last tick it handled was due. */
  readonly lastTick: number | undefined;
  /** The id of the last work it submitted. */
  readonly lastWorkId: string | undefined;
  /** How many works it has submitted. */
  readonly submitted: number;
  /** True while paused. */
  readonly paused: boolean;
}

function handleOf(runner: ScheduleRunner, forget: () => void): ScheduleHandle {
  const name = runner.spec.name;
  const live = (action: string): void => {
    if (runner.removed) throw new ConfigurationError("ERR_INVALID_OPTION", `Cannot ${action} schedule "${name}": it was removed`);
  };
  return {
    name,
    get paused() {
      return runner.paused;
    },
    next: () => runner.next(),
    upcoming(count) {
      if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
        throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid count for upcoming() of schedule "${name}": ${describeValue(count)} (expected an integer >= 0)`);
      }
      return runner.upcoming(count);
    },
    pause() {
      live("pause");
      runner.pause();
      return this;
    },
    resume() {
      live("resume");
      runner.resume();
      return this;
    },
    remove() {
      if (runner.removed) return;
      runner.remove();
      forget();
    },
  };
}

/**
 * @internal A cue's schedules: producers outside the engine that start and stop with the cue.
 * Made on the first `cue.schedule()`, so a cue without schedules pays nothing.
 */
export class Schedules {
  readonly #host: ScheduleHost;
  readonly #runners = new Map<string, ScheduleRunner>();

  constructor(host: ScheduleHost) {
    this.#host = host;
  }

  /** @throws ConfigurationError for bad options or a name already in use. */
  add(name: unknown, options: unknown): ScheduleHandle {
    if (typeof name === "string" && this.#runners.has(name)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Schedule "${name}" already exists (remove() it first, or choose another name)`);
    }
    const host = this.#host;
    const spec = resolveSchedule(name, options, host.clock.now(), (task) => host.hasTask(task), () => host.taskNames());
    const runner = new ScheduleRunner(spec, host);
    this.#runners.set(spec.name, runner);
    if (host.isStarted()) runner.start();
    return handleOf(runner, () => {
      if (this.#runners.get(spec.name) === runner) this.#runners.delete(spec.name);
    });
  }

  start(): void {
    for (const runner of this.#runners.values()) runner.start();
  }

  stop(): void {
    for (const runner of this.#runners.values()) runner.stop();
  }

  list(): ScheduleInfo[] {
    return [...this.#runners.values()].map((runner) => {
      const { spec } = runner;
      return {
        name: spec.name,
        task: spec.task,
        every: spec.every,
        cron: spec.cron,
        tz: spec.tz,
        overlap: spec.overlap,
        next: runner.next(),
        lastTick: runner.lastTickAt,
        lastWorkId: runner.lastWorkId,
        submitted: runner.submitted,
        paused: runner.paused,
      };
    });
  }
}
