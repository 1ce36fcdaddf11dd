/**
 * Types that follow a work from its task's handler to every place the cue hands it out: the
 * cue-level checks, listeners, `get`, `wait` and `list` narrow `work.params` and `work.result`
 * by `work.task`. Types only; nothing here exists at run time.
 * @module
 */
import type { Work } from "./work/work.js";

/** What a cue knows of one task: the params its handler takes and the result it returns. */
export interface TaskType<P = unknown, R = unknown> {
  readonly params: P;
  readonly result: R;
}

/** Task name → {@link TaskType}: what a typed cue knows of its tasks (see `cue.typed()`). */
export type TaskMap = { readonly [name: string]: TaskType<unknown, unknown> };

/** The task map of a cue used without types: any name, params and result `unknown`. */
export type AnyTasks = { readonly [name: string]: TaskType<unknown, unknown> };

/** The task names of a map (`string` for an untyped cue). */
export type TaskName<T extends TaskMap> = keyof T & string;

/** A work of task `N`: `work.task` is the literal name, so a check on it narrows params and result. */
export type NamedWork<N extends string, P, R> = Work<P, R> & { readonly task: N };

/**
 * A work of any task of `T`, as a union discriminated by `task`: `if (work.task === "fetch")`
 * narrows `work.params` and `work.result`. For an untyped cue, plain {@link Work}.
 */
export type WorkOf<T extends TaskMap> = string extends TaskName<T>
  ? Work
  : { [N in TaskName<T>]: NamedWork<N, T[N]["params"], T[N]["result"]> }[TaskName<T>];

/** The result type a completed work of `W` carries (distributes over a union of works). */
export type ResultOf<W> = W extends Work<unknown, infer R> ? R : unknown;

/** Something that names a task and carries its types: a task handle. */
export interface TaskTypeCarrier<P = unknown, R = unknown, N extends string = string> {
  readonly name: N;
  /** Phantom: never set; carries the params and result types. */
  readonly __types?: (params: P) => R;
}

/**
 * The task map of a list of task handles, e.g. for a function that takes a typed cue:
 * `function wire(cue: Cue<TasksOf<[typeof fetchPage, typeof parse]>>)`.
 */
export type TasksOf<H extends readonly TaskTypeCarrier<never, unknown>[]> = {
  readonly [K in H[number] as K["name"]]: K extends TaskTypeCarrier<infer P, infer R, string> ? TaskType<P, R> : never;
};

/**
 * The arguments of a submit of a task whose handler takes `P`: params may be left out when the
 * handler takes none (`P` is `unknown`, `undefined`, or an object with no required key).
 */
export type ParamsArg<P> = unknown extends P ? [params?: P] : [P] extends [undefined] ? [params?: P] : Record<string, never> extends P ? [params?: P] : [params: P];
