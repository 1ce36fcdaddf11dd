import { ConfigurationError, describeValue } from "./errors.js";
import { RetryPolicy, type RetryOptions } from "./engine/retry-policy.js";
import type { Limiter } from "./limits/limiter.js";
import { parsePositiveDuration, type Duration } from "./time/duration.js";
import { checkFunction, checkName, checkOptions } from "./validate.js";
import type { Check, Handler } from "./work/work.js";

/** Options of `cue.task()`. */
export interface TaskOptions<P = unknown> {
  /** The service (or services) each run holds a slot and a rate start in. @default none */
  uses?: string | readonly string[];
  /** This task's readiness check; wins over the cue's `isReady`. */
  ready?: Check<P>;
  /** This task's staleness check; wins over the cue's `isStale`. */
  stale?: Check<P>;
  /** Retry policy. @default one attempt */
  retry?: RetryOptions;
  /** Each attempt fails with a `TimeoutError` after this long (its `signal` aborts). @default none */
  timeout?: Duration;
}

const TASK_OPTIONS = ["uses", "ready", "stale", "retry", "timeout"] as const;

/** @internal a registered task. */
export interface TaskDef {
  readonly name: string;
  readonly handler: Handler<unknown, unknown>;
  readonly limiters: readonly Limiter[];
  /** The services' names joined: tasks with the same services share a lane. */
  readonly laneKey: string;
  /** The services' names, sorted (frozen: handed out in events). */
  readonly serviceNames: readonly string[];
  readonly ready: Check | undefined;
  readonly stale: Check | undefined;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  /**
   * The lane of its services (set at registration; tasks with the same services share it): a
   * `Lane<WorkRecord>`, typed loosely so this file needs nothing of the engine's record.
   */
  readonly lane: object;
}

/** @internal validates options and resolves service names. */
export function defineTask(name: unknown, options: unknown, handler: unknown, services: ReadonlyMap<string, Limiter>): Omit<TaskDef, "lane"> {
  checkName(name, "task name");
  checkOptions(options, TASK_OPTIONS, `options of task "${name}"`);
  checkFunction(handler, `handler for task "${name}"`);
  const opts = (options ?? {}) as TaskOptions;
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
  return {
    name,
    handler: handler as Handler<unknown, unknown>,
    limiters: unique,
    laneKey: unique.map((s) => s.name).join("\u0000"),
    serviceNames: Object.freeze(unique.map((s) => s.name)),
    ready: opts.ready,
    stale: opts.stale,
    retry: new RetryPolicy(opts.retry, name),
    timeoutMs: opts.timeout === undefined ? undefined : parsePositiveDuration(opts.timeout, `timeout of task "${name}"`),
  };
}
