import { inspect } from "node:util";
import type { HeapItem } from "./heap.js";
import type { TaskDef } from "./task.js";

/** The lifecycle state of a work unit. `completed`, `failed` and `cancelled` are terminal. */
export type WorkState = "pending" | "running" | "completed" | "failed" | "cancelled";

/** A unit of work: one submission of a task, as handed to handlers, checks and listeners. */
export interface Work<P = unknown, R = unknown> {
  /** Unique within its cue, assigned in submission order. */
  readonly id: string;
  /** The task name. */
  readonly task: string;
  /** The params given to `submit` (by reference, not copied). */
  readonly params: P;
  /** Which attempt this is, counting from 1. */
  readonly attempt: number;
  /** The current state. */
  readonly state: WorkState;
  /** When it was submitted (epoch ms, from the cue's clock). */
  readonly createdAt: number;
  /** When the current (or last) attempt started; unset for skipped or never-started work. */
  readonly startedAt: number | undefined;
  /** When it reached a terminal state. */
  readonly completedAt: number | undefined;
  /** The handler's return value, once completed. */
  readonly result: R | undefined;
  /** The error it failed or was cancelled with. */
  readonly error: Error | undefined;
  /** True when it completed by a skip (ready and not stale): no handler ran. */
  readonly skipped: boolean;
  /** The dedupe key given to `submit`, if any. */
  readonly key: string | undefined;
  /** The priority it was queued with, in [0, 1]. */
  readonly priority: number;
  /** Aborts when the work is cancelled, times out, or is abandoned by `stop({ timeout })`. */
  readonly signal: AbortSignal;
}

/** Where a pending work sits inside the engine. */
export type Place = "new" | "intake" | "screening" | "queued" | "checking" | "blocked" | "delayed" | "running" | "done";

const TERMINAL = new Set<WorkState>(["completed", "failed", "cancelled"]);

/**
 * The legal state changes: pending → running | completed (skip) | failed (timeout) | cancelled;
 * running → completed | failed | cancelled | pending (retry, pushback); terminal states never change.
 */
function isLegal(from: WorkState, to: WorkState): boolean {
  switch (from) {
    case "pending":
      return to !== "pending";
    case "running":
      return to !== "running";
    default:
      return false;
  }
}

/** True for `completed`, `failed` and `cancelled`. */
export function isTerminal(state: WorkState): boolean {
  return TERMINAL.has(state);
}

/**
 * The engine's record of a work. It is the object users see as {@link Work}; the fields below
 * the public ones are the engine's bookkeeping and are not part of the API.
 */
export class WorkUnit implements Work<unknown, unknown>, HeapItem {
  readonly task: string;
  readonly params: unknown;
  attempt = 1;
  state: WorkState = "pending";
  readonly createdAt: number;
  startedAt: number | undefined = undefined;
  completedAt: number | undefined = undefined;
  result: unknown = undefined;
  error: Error | undefined = undefined;
  skipped = false;
  readonly key: string | undefined;
  priority = 0.5;

  /** @internal submission order; ties in priority go to the lower seq. */
  readonly seq: number;
  /** @internal */
  readonly def: TaskDef;
  /** @internal index in whichever heap holds it. */
  heapIndex = -1;
  /** @internal */
  place: Place = "new";
  /** @internal explicit priority from submit, if given. */
  readonly fixedPriority: number | undefined;
  /** @internal when it is due (delay or retry wait). */
  dueAt = 0;
  /** @internal true while waiting out a retry delay (vs. a submit delay). */
  retryWait = false;
  /** @internal when it last became pending (submit or retry), for pending timeouts. */
  pendingSince: number;
  /** @internal pending warning already fired for this pending spell. */
  warned = false;
  /** @internal neighbours in the blocked list. */
  prev: WorkUnit | undefined = undefined;
  next: WorkUnit | undefined = undefined;
  /** @internal per-attempt token: results of a superseded attempt are ignored. */
  run = 0;
  /** @internal handler timeout timer. */
  timer: unknown = undefined;
  /** @internal the engine generation at its last passed screening; -1 when never screened. */
  checkedGen = -1;
  /** @internal an async recheck of this blocked work is in flight. */
  rechecking = false;
  #controller: AbortController | undefined = undefined;

  constructor(seq: number, def: TaskDef, params: unknown, now: number, key: string | undefined, fixedPriority: number | undefined) {
    this.seq = seq;
    this.task = def.name;
    this.def = def;
    this.params = params;
    this.createdAt = now;
    this.pendingSince = now;
    this.key = key;
    this.fixedPriority = fixedPriority;
  }

  /** The decimal form of `seq`, made on demand (a string per pending work would cost memory). */
  get id(): string {
    return String(this.seq);
  }

  /** Created on first use, so works whose handlers never look cost no AbortController. */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** @internal aborts the signal (only if someone created it). */
  abort(reason: unknown): void {
    if (this.#controller) this.#controller.abort(reason);
    else {
      this.#controller = new AbortController();
      this.#controller.abort(reason);
    }
  }

  /** @internal a fresh signal for a new attempt. */
  resetSignal(): void {
    if (this.#controller?.signal.aborted) this.#controller = undefined;
  }

  /** @internal the one place state changes; throws on an illegal transition. */
  transition(to: WorkState): void {
    if (!isLegal(this.state, to)) {
      throw new Error(`runcue internal error: illegal work state change ${this.state} -> ${to} (work ${this.id})`);
    }
    this.state = to;
  }

  /** The public fields only. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id, task: this.task, params: this.params, attempt: this.attempt, state: this.state,
      createdAt: this.createdAt, startedAt: this.startedAt, completedAt: this.completedAt,
      result: this.result, error: this.error === undefined ? undefined : { name: this.error.name, message: this.error.message },
      skipped: this.skipped, key: this.key, priority: this.priority,
    };
  }

  [inspect.custom](depth: number, options: object): string {
    return `Work ${inspect(this.toJSON(), { ...options, depth: depth < 0 ? 0 : depth })}`;
  }
}
