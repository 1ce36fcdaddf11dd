import { ConfigurationError, RuncueError, describeValue } from "./errors.js";
import type { Engine } from "./engine/engine.js";
import { EVENT_NAMES, type CueListener, type WorkEventName } from "./events/event-map.js";
import type { SubmitOptions } from "./options.js";
import type { TaskDef } from "./task.js";
import type { NamedWork, ParamsArg, TaskTypeCarrier } from "./typing.js";
import { checkFunction, checkOptions, checkSignal } from "./validate.js";
import type { Work } from "./work/work.js";
import { runDirect } from "./run/direct.js";

/** Options of {@link TaskHandle.run}: a submit's options, plus `direct` and `signal`. */
export interface RunOptions extends Omit<SubmitOptions, "then" | "otherwise"> {
  /**
   * Call the handler at once, in this process, bypassing the queue, limits, checks, retries,
   * events and middleware (pulsar-queue's `execute`, Kuu's direct call): for tests and debugging.
   * A worker task's module is imported and called in this thread. @default false
   */
  direct?: boolean;
  /** Stop waiting (reject with the signal's reason) when this aborts; with `direct`, the handler's `work.signal` aborts too. */
  signal?: AbortSignal;
}

/**
 * A registered task, returned by `cue.task()`: a typed way to submit it, wait for its works,
 * run it for its result, and listen to its works' events. `P` is what its handler takes, `R`
 * what it returns, `N` its name.
 */
export interface TaskHandle<P = unknown, R = unknown, N extends string = string> extends TaskTypeCarrier<P, R, N> {
  /** The task name. */
  readonly name: N;
  /**
   * Submits a work of this task; `params` are type-checked against the handler (and may be left
   * out when it takes none). Resolves with the work's id. Flow options (`then`, `otherwise`) are
   * typed from both tasks.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  submit<P2 = any, R2 = any>(...args: [...ParamsArg<P>, options?: SubmitOptions<P, R, P2, R2>]): Promise<string>;
  /** The same, for callers generic in `P` (where the optional-params form cannot be resolved). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  submit<P2 = any, R2 = any>(params: P, options?: SubmitOptions<P, R, P2, R2>): Promise<string>;
  /**
   * Submits a work and resolves with its result once it completes; rejects with its error when
   * it fails or is cancelled, and with `ERR_NO_RESULT` when it is skipped (its output was fresh,
   * so no handler ran and there is no result). With `{ direct: true }`, calls the handler now.
   */
  run(...args: [...ParamsArg<P>, options?: RunOptions]): Promise<R>;
  /** The same, for callers generic in `P`. */
  run(params: P, options?: RunOptions): Promise<R>;
  /** Resolves with the work once it is terminal. Rejects for an unknown id or a work of another task. */
  wait(id: string, options?: { signal?: AbortSignal }): Promise<NamedWork<N, P, R>>;
  /** The work with this id if it is one of this task's, else undefined. */
  get(id: string): Promise<NamedWork<N, P, R> | undefined>;
  /** Listens to an event of this task's works only (typed params and result); returns a remover. */
  on<E extends WorkEventName>(event: E, listener: CueListener<E, NamedWork<N, P, R>>): () => void;
}

const WORK_EVENTS: readonly string[] = ["submit", "queue", "block", "start", "complete", "fail", "skip", "retry", "cancel", "pause", "pendingWarning"];
const RUN_OPTIONS = ["priority", "delay", "key", "cost", "after", "direct", "signal"];

/** @internal the handle of a registered task. */
export class TaskHandleImpl implements TaskHandle<unknown, unknown, string> {
  readonly name: string;
  /** @internal the engine it belongs to (`cue.typed()` checks it). */
  readonly engine: Engine;

  constructor(engine: Engine, name: string) {
    this.engine = engine;
    this.name = name;
  }

  submit(params?: unknown, options?: SubmitOptions): Promise<string> {
    try {
      return Promise.resolve(this.engine.submit(this.name, params, options));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async run(params?: unknown, options: RunOptions = {}): Promise<unknown> {
    checkOptions(options, RUN_OPTIONS, `run options of task "${this.name}"`);
    checkSignal(options.signal, `run options of task "${this.name}"`);
    const { direct, signal, ...submitOptions } = options;
    if (direct !== undefined && typeof direct !== "boolean") throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid direct: ${describeValue(direct)} (expected true or false)`);
    if (direct === true) {
      const def = this.#def();
      const paths = def.derived === undefined ? {} : this.engine.artifacts.resolve(def.derived.declaration, params, undefined).paths;
      return runDirect(def, params, signal, this.engine.clock, paths);
    }
    const id = this.engine.submit(this.name, params, submitOptions);
    const work = await this.engine.queries.wait(id, signal);
    if (work.state === "completed") {
      if (work.skipped) throw new RuncueError("ERR_NO_RESULT", `${this.name} (work ${work.id}) was skipped (ready and not stale), so it has no result; submit and wait accept skips`);
      return work.result;
    }
    throw work.error ?? new RuncueError("ERR_INTERNAL", `${this.name} (work ${work.id}) ended ${work.state} without an error`);
  }

  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<Work> {
    checkOptions(options, ["signal"], "wait options");
    checkSignal(options.signal, "wait options");
    if (typeof id !== "string") throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid work id: ${describeValue(id)} (expected a string id returned by submit)`);
    const known = this.engine.queries.get(id);
    if (known !== undefined && known.task !== this.name) throw this.#foreign(known);
    return this.engine.queries.wait(id, options.signal);
  }

  get(id: string): Promise<Work | undefined> {
    const work = this.engine.queries.get(id);
    return Promise.resolve(work !== undefined && work.task === this.name ? work : undefined);
  }

  on<E extends WorkEventName>(event: E, listener: CueListener<E>): () => void {
    if (!WORK_EVENTS.includes(event)) {
      const valid = EVENT_NAMES.includes(event) ? " (it is a cue-wide event: use cue.on)" : "";
      throw new ConfigurationError("ERR_INVALID_OPTION", `Unknown event for task "${this.name}": ${describeValue(event)}${valid} (expected one of ${WORK_EVENTS.join(", ")})`);
    }
    checkFunction(listener, `listener of "${event}" on task "${this.name}"`);
    const name = this.name;
    const filtered = ((payload: { work: Work }) => (payload.work.task === name ? listener(payload as never) : undefined)) as CueListener<E>;
    return this.engine.events.on(event, filtered);
  }

  #def(): TaskDef {
    return this.engine.catalog.tasks.get(this.name) as TaskDef;
  }

  #foreign(work: Work): ConfigurationError {
    return new ConfigurationError("ERR_UNKNOWN_WORK", `Work ${work.id} is a work of task "${work.task}", not of "${this.name}" (wait for it with cue.wait or that task's handle)`);
  }
}
