import type { Engine } from "../engine/engine.js";
import type { SubmitOptions } from "../options.js";
import type { Clock } from "../time/clock.js";
import type { WorkState } from "../work/work.js";
import type { TickEvent } from "./tick.js";

/**
 * @internal All a schedule may do with its cue: read the clock and the random source, submit
 * work, ask a work's state, be told when a work ends, and emit `tick`. These are the paths the
 * public `Cue` methods use (`submit`, `get`, `wait`, `on`); a schedule is a producer outside the
 * engine and never reaches into it.
 */
export interface ScheduleHost {
  readonly clock: Clock;
  readonly random: () => number;
  isStarted(): boolean;
  hasTask(name: string): boolean;
  taskNames(): string[];
  /** As `cue.submit`, synchronously: the work's id (with a matching `key`, the live work's id). */
  submit(task: string, params: unknown, options: SubmitOptions): string;
  /** The state of a work, or undefined once it is forgotten. */
  stateOf(id: string): WorkState | undefined;
  /** Calls `fn` once the work is terminal (or at once, on a later microtask, if it is or is unknown). */
  whenFinished(id: string, fn: () => void): void;
  /** Emits `tick`; false when nobody listens. */
  emit(event: TickEvent): boolean;
}

/** @internal The host a cue gives its schedules. */
export function engineHost(engine: Engine): ScheduleHost {
  return {
    clock: engine.clock,
    random: engine.options.random,
    isStarted: () => engine.isStarted(),
    hasTask: (name) => engine.catalog.tasks.has(name),
    taskNames: () => [...engine.catalog.tasks.keys()],
    submit: (task, params, options) => engine.submit(task, params, options),
    stateOf: (id) => engine.queries.get(id)?.state,
    whenFinished(id, fn) {
      engine.queries.wait(id, undefined).then(fn, fn);
    },
    emit(event) {
      if (!engine.events.has("tick")) return false;
      engine.events.emit("tick", event);
      return true;
    },
  };
}
