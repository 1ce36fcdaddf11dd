import { ConfigurationError } from "./errors.js";
import { parsePositiveDuration, type Duration } from "./duration.js";
import { RetryPolicy, type RetryOptions } from "./retry.js";
import type { Service } from "./service.js";
import type { Work } from "./work.js";

/** A readiness or staleness check: sync or async. */
export type Check<P = unknown> = (work: Work<P>) => boolean | Promise<boolean>;

/** A task handler: receives the work, returns (or resolves to) its result. */
export type Handler<P = unknown, R = unknown> = (work: Work<P, R>) => R | Promise<R>;

/** Options of {@link Cue.task}. */
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

/** @internal a registered task. */
export interface TaskDef {
  readonly name: string;
  readonly handler: Handler<unknown, unknown>;
  readonly services: readonly Service[];
  readonly laneKey: string;
  readonly ready: Check | undefined;
  readonly stale: Check | undefined;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
}

/** @internal validates options and resolves service names. */
export function defineTask(name: string, options: TaskOptions<never> | TaskOptions, handler: unknown, services: ReadonlyMap<string, Service>): TaskDef {
  if (typeof name !== "string" || name.length === 0) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid task name: ${JSON.stringify(name)} (expected a non-empty string)`);
  }
  if (typeof handler !== "function") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid handler for task "${name}": ${typeof handler} (expected a function)`);
  }
  const uses = options.uses === undefined ? [] : typeof options.uses === "string" ? [options.uses] : [...options.uses];
  const resolved = uses.map((s) => {
    const service = services.get(s);
    if (!service) {
      const known = [...services.keys()];
      throw new ConfigurationError("ERR_UNKNOWN_SERVICE", `Unknown service: "${s}" used by task "${name}" (registered: ${known.length ? known.map((k) => `"${k}"`).join(", ") : "none"}; register services before the tasks that use them)`);
    }
    return service;
  });
  const unique = [...new Set(resolved)].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const check of ["ready", "stale"] as const) {
    if (options[check] !== undefined && typeof options[check] !== "function") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${check} for task "${name}" (expected a function)`);
    }
  }
  return {
    name,
    handler: handler as Handler<unknown, unknown>,
    services: unique,
    laneKey: unique.map((s) => s.name).join("\u0000"),
    ready: options.ready as Check | undefined,
    stale: options.stale as Check | undefined,
    retry: new RetryPolicy(options.retry, name),
    timeoutMs: options.timeout === undefined ? undefined : parsePositiveDuration(options.timeout, `timeout of task "${name}"`),
  };
}
