import { ConfigurationError, describeValue, messageOf } from "../errors.js";
import type { SubmitOptions } from "../options.js";
import { checkOptions } from "../validate.js";
import type { Lifecycle } from "../work/lifecycle.js";
import { Phase } from "../work/phase.js";
import type { WorkLinks, WorkRecord } from "../work/record.js";
import { DependencyError, FlowError } from "./flow-error.js";

type Mapping = (work: WorkRecord) => unknown;

/** A validated `then` or `otherwise` step. */
interface Step {
  readonly task: string;
  readonly map: Mapping | undefined;
  readonly options: SubmitOptions | undefined;
  /** `then` only: the params for the next work when this one is skipped. */
  readonly whenSkipped: Mapping | undefined;
}

/** The flow options of one submit, validated; `after` resolved to the works it names. */
export interface FlowSpec {
  readonly then: Step | undefined;
  readonly otherwise: Step | undefined;
  readonly after: readonly WorkRecord[];
}

/** What a work carries when it was submitted with flow options, or is waited for by one that was. */
export class FlowLinks implements WorkLinks {
  then: Step | undefined = undefined;
  otherwise: Step | undefined = undefined;
  /** The works it still waits for (`after`), in the order given. */
  waitingOn: WorkRecord[] = [];
  /** The works whose `after` names this one and that still wait for it. */
  dependants: WorkRecord[] = [];
  /** The id of the work its `then` or `otherwise` submitted. */
  next: string | undefined = undefined;
}

/** What flows need from the engine. */
export interface FlowHost {
  readonly lifecycle: Lifecycle;
  now(): number;
  /** True when a task of this name is registered. */
  hasTask(name: string): boolean;
  /** A work by id, if this cue still knows it. */
  get(id: string): WorkRecord | undefined;
  /** Submits a work (the engine's submit; it may throw a `ConfigurationError`). */
  submit(task: string, params: unknown, options: SubmitOptions | undefined): string;
  /** Submits a work of `task` that fails at once with `error` (a step that could not be taken). */
  submitFailed(task: string, params: unknown, error: Error): string;
  /** A waiting work may go on: run a dispatch pass soon. */
  kick(): void;
}

const SUBMIT_KEYS = ["priority", "delay", "key", "cost", "then", "otherwise", "after"];
const STEP_KEYS = [...SUBMIT_KEYS, "whenSkipped"];

/**
 * The peers' task flows on top of the lifecycle: `then` (submit the next task when a work
 * completes), `otherwise` (submit a fallback when it fails), and `after` (a work waits until
 * named works have completed; one that fails or is cancelled fails it with a `DependencyError`).
 * A work waiting for its `after` list sits in `Blocked` with cause `waiting_for`, outside the
 * rechecker's list: only its dependencies' ends move it, so waiting costs nothing per recheck.
 */
export class Flows {
  readonly #host: FlowHost;
  /** Works in `Blocked` waiting for their `after` list; kept by the engine's `Blocked` container. */
  held = 0;

  constructor(host: FlowHost) {
    this.#host = host;
  }

  /** Validates the flow options of a submit (nested steps too) and resolves `after`. Throws `ConfigurationError`. */
  parse(options: SubmitOptions, where = "submit options"): FlowSpec {
    const then = options.then === undefined ? undefined : this.#step(options.then, `${where}: then`, true);
    const otherwise = options.otherwise === undefined ? undefined : this.#step(options.otherwise, `${where}: otherwise`, false);
    const after: WorkRecord[] = [];
    if (options.after !== undefined) {
      const ids: unknown = options.after;
      if (!Array.isArray(ids)) throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${where}: after: ${describeValue(ids)} (expected an array of work ids returned by submit)`);
      for (const id of ids as unknown[]) {
        const work = typeof id === "string" ? this.#host.get(id) : undefined;
        if (work === undefined) {
          throw new ConfigurationError("ERR_UNKNOWN_WORK", `Invalid ${where}: after names ${describeValue(id)}, which this cue does not know (never submitted here, or finished and forgotten after maxFinished newer works)`);
        }
        if (!after.includes(work)) after.push(work);
      }
    }
    return { then, otherwise, after };
  }

  #step(value: unknown, where: string, isThen: boolean): Step {
    if (!Array.isArray(value) || value.length < 1 || value.length > 3) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${where}: ${describeValue(value)} (expected [task], [task, map] or [task, map, options])`);
    }
    const [ref, map, options] = value as unknown[];
    const task = typeof ref === "string" ? ref : typeof ref === "object" && ref !== null && typeof (ref as { name?: unknown }).name === "string" ? (ref as { name: string }).name : undefined;
    if (task === undefined || !this.#host.hasTask(task)) {
      throw new ConfigurationError("ERR_UNKNOWN_TASK", `Invalid ${where}: ${describeValue(ref)} is not a task of this cue (expected a task handle or the name of a registered task)`);
    }
    if (map !== undefined && typeof map !== "function") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${where}: the mapping ${describeValue(map)} is not a function (expected (work) => params)`);
    }
    let whenSkipped: Mapping | undefined;
    if (options !== undefined) {
      checkOptions(options, isThen ? STEP_KEYS : SUBMIT_KEYS, `${where} options`);
      const o = options as SubmitOptions & { whenSkipped?: unknown };
      if (o.whenSkipped !== undefined && typeof o.whenSkipped !== "function") {
        throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${where} options: whenSkipped ${describeValue(o.whenSkipped)} is not a function (expected (work) => params | undefined)`);
      }
      whenSkipped = o.whenSkipped as Mapping | undefined;
      // Validate nested steps now, so a typo deep in a chain is refused at the first submit.
      if (o.then !== undefined) this.#step(o.then, `${where} → then`, true);
      if (o.otherwise !== undefined) this.#step(o.otherwise, `${where} → otherwise`, false);
      if (o.after !== undefined && !Array.isArray(o.after)) throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${where} options: after: ${describeValue(o.after)} (expected an array of work ids)`);
    }
    let next: (SubmitOptions & { whenSkipped?: unknown }) | undefined;
    if (options !== undefined) {
      next = { ...(options as SubmitOptions) };
      delete next.whenSkipped;
    }
    return { task, map: map as Mapping | undefined, options: next, whenSkipped };
  }

  /**
   * Links a new work to its flow: its steps, and the works of `after` not yet completed. Returns
   * the error to fail it with at once when one of them already failed or was cancelled.
   */
  attach(work: WorkRecord, spec: FlowSpec): Error | undefined {
    const links = new FlowLinks();
    links.then = spec.then;
    links.otherwise = spec.otherwise;
    work.links = links;
    for (const dep of spec.after) {
      if (dep.phase === Phase.Completed) continue;
      if (dep.phase === Phase.Failed || dep.phase === Phase.Cancelled) return dependencyError(work, dep);
      links.waitingOn.push(dep);
      (dep.links ??= new FlowLinks()).dependants.push(work);
    }
    return undefined;
  }

  /** A work became terminal (before its event): its dependants go on or fail; its `then`/`otherwise` step is taken. */
  finished(work: WorkRecord): void {
    const links = work.links as FlowLinks;
    if (links.dependants.length > 0) this.#release(work, links);
    const phase = work.phase;
    if (phase === Phase.Completed && links.then !== undefined) this.#take(work, links, links.then, work.skipped ? links.then.whenSkipped : links.then.map, !work.skipped);
    else if (phase === Phase.Failed && links.otherwise !== undefined) this.#take(work, links, links.otherwise, links.otherwise.map, false);
  }

  #release(dep: WorkRecord, links: FlowLinks): void {
    const dependants = links.dependants;
    links.dependants = [];
    const ok = dep.phase === Phase.Completed;
    const lifecycle = this.#host.lifecycle;
    for (const work of dependants) {
      const waiting = (work.links as FlowLinks).waitingOn;
      const i = waiting.indexOf(dep);
      if (i < 0) continue;
      waiting.splice(i, 1);
      if (work.phase >= Phase.Running) continue; // not pending any more (cancelled, failed by another dependency)
      if (!ok) {
        lifecycle.fail(work, dependencyError(work, dep), this.#host.now());
      } else if (waiting.length === 0 && work.phase === Phase.Blocked && work.blockCause === "waiting_for") {
        lifecycle.move(work, Phase.Intake);
        this.#host.kick();
      }
    }
  }

  /**
   * Submits the step's task. `map` gives the params (none: the result for `then`, the same params
   * for `otherwise`); for a skipped work only `whenSkipped` does, and `undefined` submits nothing.
   */
  #take(work: WorkRecord, links: FlowLinks, step: Step, map: Mapping | undefined, completed: boolean): void {
    const host = this.#host;
    let params: unknown;
    try {
      if (map !== undefined) params = map(work);
      else if (completed) params = work.result;
      else if (work.phase === Phase.Failed) params = work.params;
      else return; // skipped, and no whenSkipped mapping
    } catch (error) {
      links.next = host.submitFailed(step.task, undefined, new FlowError(`The mapping of ${work.task} (work ${work.id}) to ${step.task} threw: ${messageOf(error)}`, work.id, error));
      return;
    }
    if (work.skipped && params === undefined) return;
    try {
      links.next = host.submit(step.task, params, step.options);
    } catch (error) {
      const message = messageOf(error);
      links.next = host.submitFailed(step.task, params, new FlowError(`The step from ${work.task} (work ${work.id}) to ${step.task} was refused: ${message}`, work.id, error));
    }
  }
}

function dependencyError(work: WorkRecord, dep: WorkRecord): DependencyError {
  const how = dep.phase === Phase.Cancelled ? "was cancelled" : "failed";
  const why = dep.error === undefined ? "" : `: ${dep.error.message}`;
  return new DependencyError(`${work.task} (work ${work.id}) cannot run: work ${dep.id} (${dep.task}) in its after list ${how}${why}`, dep.id, dep.error);
}
