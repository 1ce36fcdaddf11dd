/**
 * The public shape of a work and of the functions users give a task. This file imports
 * nothing, so every module can depend on it without cycles.
 * @module
 */

/** The lifecycle state of a work unit. `completed`, `failed` and `cancelled` are terminal. */
export type WorkState = "pending" | "running" | "completed" | "failed" | "cancelled";

/** A unit of work: one submission of a task, as handed to handlers, checks and listeners. */
export interface Work<P = unknown, R = unknown> {
  /** Unique within its cue, assigned in submission order. */
  readonly id: string;
  /** The task name. */
  readonly task: string;
  /** The params given to `submit` (by reference, not copied); `{}` when none were given. */
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
  /** The error it failed or was cancelled with (or the last attempt's error while it waits to retry). */
  readonly error: Error | undefined;
  /** True when it completed by a skip (ready and not stale): no handler ran. */
  readonly skipped: boolean;
  /** The dedupe key given to `submit`, if any. */
  readonly key: string | undefined;
  /** The priority it was queued with, in [0, 1]. */
  readonly priority: number;
  /** The id of the work its `then` (on completion) or `otherwise` (on failure) submitted; undefined until then, or without such a step. */
  readonly next: string | undefined;
  /**
   * The resolved paths of its task's declared `inputs` and `outputs`, by name (a list entry gives
   * a list; `value()` inputs have none). `{}` when the task declares nothing. A handler whose
   * `work` is not annotated gets them typed from the declaration.
   */
  readonly paths: WorkPaths;
  /** Aborts when the work is cancelled, times out, or is abandoned by `stop({ timeout })`. */
  readonly signal: AbortSignal;
  /**
   * Settles the work's estimated cost with what it really used (`{ tokens: 1530 }`), while its
   * handler runs: windows counting that measure re-weigh its start.
   */
  report(actual: Readonly<Record<string, number>>): void;
}

/** Resolved artifact paths by declared name: a path, or a list of paths for a list entry. */
export type WorkPaths = Readonly<Record<string, string | readonly string[]>>;

/** A readiness or staleness check: sync or async. */
export type Check<P = unknown> = (work: Work<P>) => boolean | Promise<boolean>;

/** A task handler: receives the work, returns (or resolves to) its result. */
export type Handler<P = unknown, R = unknown> = (work: Work<P, R>) => R | Promise<R>;

/** True for `completed`, `failed` and `cancelled`. */
export function isTerminal(state: WorkState): boolean {
  return state === "completed" || state === "failed" || state === "cancelled";
}
