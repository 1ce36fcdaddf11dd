import { ConfigurationError, describeValue } from "./errors.js";
import { RetryPolicy, type RetryOptions } from "./engine/retry-policy.js";
import type { Limiter } from "./limits/limiter.js";
import type { Executor } from "./run/executor.js";
import { resolveWorker, type Isolation, type WorkerPoolOptions, type WorkerSpec } from "./run/worker-spec.js";
import { parsePositiveDuration, type Duration } from "./time/duration.js";
import { checkFunction, checkName, checkOptions } from "./validate.js";
import type { Check, Handler, Work } from "./work/work.js";
import type { Costs } from "./limits/costs.js";
import { parseDeclaration, type DerivedChecks, type TaskDeclaration } from "./artifacts/declaration.js";
import type { ArtifactDeclaration } from "./artifacts/descriptors.js";
import type { ReadyVerdict, StaleVerdict } from "./artifacts/reasons.js";

/** Options of `cue.task()`. */
export interface TaskOptions<P = unknown> {
  /** The service (or services) each run holds a slot and a rate start in. @default none */
  uses?: string | readonly string[];
  /**
   * This task's readiness check; wins over its declared artifacts and the cue's `isReady`. With
   * declared `inputs`/`outputs` it receives the derived verdict as its second argument.
   */
  ready?: (work: Work<P>, derived: ReadyVerdict) => boolean | Promise<boolean>;
  /**
   * This task's staleness check; wins over its declared artifacts and the cue's `isStale`. With
   * declared `inputs`/`outputs` it receives the derived verdict as its second argument, e.g.
   * `stale: (work, derived) => derived.stale || extra(work)`.
   */
  stale?: (work: Work<P>, derived: StaleVerdict) => boolean | Promise<boolean>;
  /**
   * What each work reads: named artifacts (`file`, `dir`, `glob`, `artifact`, `value`), or a
   * function of the params returning them. Templates (`"pages/{page}.png"`) are filled from
   * params. A work is ready when every input exists and no pending or running work of this cue
   * declares it as an output. @default none
   * @example
   * inputs: { image: file("pages/{page}.png") }
   */
  inputs?: ArtifactDeclaration<P>;
  /**
   * What each work writes. A work whose outputs are fresh (by the cue's `artifacts.freshness`)
   * is skipped; a handler that returns without writing one fails with `MissingOutputError`.
   * @default none
   * @example
   * outputs: { text: file("text/{page}.txt") }
   */
  outputs?: ArtifactDeclaration<P>;
  /** The code version: under `artifacts.freshness: "changed"`, a different version makes its outputs stale. @default none */
  version?: string | number;
  /** Retry policy. @default one attempt */
  retry?: RetryOptions;
  /** Each attempt fails with a `TimeoutError` after this long (its `signal` aborts). @default none */
  timeout?: Duration;
  /**
   * What a work costs in windows that count a measure (`"90000 tokens/min"`), e.g.
   * `(work) => ({ tokens: estimate(work.params) })`; settle it later with `work.report()`.
   * A submit's `cost` option wins. @default nothing (only starts count)
   */
  cost?: (work: Work<P>) => Costs;
  /**
   * Runs the handler off the event loop: a JavaScript module (a `file:` URL or an absolute path)
   * whose default export is the handler, `(work) => result`. The task then takes no handler
   * argument. Its handler gets a plain copy of the work (`id`, `task`, `params`, `attempt`) and
   * a working `signal`. @default none (the handler runs in this thread)
   * @example
   * cue.task("resize", { uses: "cpu", worker: new URL("./resize-worker.js", import.meta.url) });
   */
  worker?: URL | string;
  /** Where the `worker` module runs: a worker thread, or a child process. @default "thread" */
  isolation?: Isolation;
  /** The `worker` pool's abort grace and idle timeout. @default { abortGrace: "1s", idleTimeout: "10s" } */
  workerPool?: WorkerPoolOptions;
}

const TASK_OPTIONS = ["uses", "ready", "stale", "retry", "timeout", "cost", "worker", "isolation", "workerPool", "inputs", "outputs", "version"] as const;

/** @internal a registered task. */
export interface TaskDef {
  readonly name: string;
  readonly handler: Handler<unknown, unknown>;
  readonly limiters: readonly Limiter[];
  /** The services' names joined: tasks with the same services share a lane. */
  readonly laneKey: string;
  /** The services' names, sorted (frozen: handed out in events). */
  readonly serviceNames: readonly string[];
  /** Some service has `per`: each work's lane depends on its keys. */
  readonly keyed: boolean;
  /** The task's `cost` option. */
  readonly cost: ((work: Work) => Costs) | undefined;
  readonly ready: Check | undefined;
  readonly stale: Check | undefined;
  /** Its `inputs`, `outputs` and `version`, validated; undefined when it declares none. */
  readonly declared: TaskDeclaration | undefined;
  /** With declarations: the checks derived from them (composed with `ready`/`stale`), set by the engine at registration. */
  derived: DerivedChecks | undefined;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  /** A worker task's module and pool settings; undefined when the handler runs in process. */
  readonly worker: WorkerSpec | undefined;
  /** How its handler is called, when not by the cue's executor: a worker task's pool. */
  readonly executor: Executor | undefined;
  /**
   * The lane of its services (set at registration; tasks with the same services share it): a
   * `Lane<WorkRecord>`, typed loosely so this file needs nothing of the engine's record.
   */
  readonly lane: object;
}

/**
 * @internal validates options and resolves service names. A worker task has no handler here:
 * its pool's executor supplies it (see the catalog).
 */
export function defineTask(name: unknown, options: unknown, handler: unknown, services: ReadonlyMap<string, Limiter>): Omit<TaskDef, "lane" | "handler" | "executor"> & { handler: Handler<unknown, unknown> | undefined } {
  checkName(name, "task name");
  checkOptions(options, TASK_OPTIONS, `options of task "${name}"`);
  const opts = (options ?? {}) as TaskOptions;
  const worker = resolveWorker(name, opts, handler !== undefined);
  if (worker === undefined) checkFunction(handler, `handler for task "${name}"`);
  const uses = opts.uses === undefined ? [] : typeof opts.uses === "string" ? [opts.uses] : Array.isArray(opts.uses) ? [...(opts.uses as unknown[])] : undefined;
  if (uses === undefined) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid uses for task "${name}": ${describeValue(opts.uses)} (expected a service name or an array of them)`);
  }
  const resolved = uses.map((s) => {
    const service = typeof s === "string" ? services.get(s) : undefined;
    if (!service) {
      const known = [...services.keys()];
      throw new ConfigurationError("ERR_UNKNOWN_SERVICE", `Unknown service: ${describeValue(s)} used by task "${name}" (registered: ${known.length ? known.map((k) => `"${k}"`).join(", ") : "none"}; register services before the tasks that use them)`);
    }
    return service;
  });
  const unique = [...new Set(resolved)].sort((a, b) => (a.name < b.name ? -1 : 1));
  checkFunction(opts.ready, `ready of task "${name}"`, true);
  checkFunction(opts.stale, `stale of task "${name}"`, true);
  checkFunction(opts.cost, `cost of task "${name}"`, true);
  const declared = parseDeclaration(name, opts.inputs, opts.outputs, opts.version);
  return {
    name,
    declared,
    derived: undefined,
    handler: handler as Handler<unknown, unknown> | undefined,
    limiters: unique,
    laneKey: unique.map((s) => s.name).join("\u0000"),
    serviceNames: Object.freeze(unique.map((s) => s.name)),
    keyed: unique.some((s) => s.keyed),
    cost: opts.cost,
    ready: opts.ready as Check | undefined,
    stale: opts.stale as Check | undefined,
    retry: new RetryPolicy(opts.retry, name),
    timeoutMs: opts.timeout === undefined ? undefined : parsePositiveDuration(opts.timeout, `timeout of task "${name}"`),
    worker,
  };
}
