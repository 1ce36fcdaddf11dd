/**
 * What a worker task asks for, checked at `cue.task()`: the module (a file that exists), where it
 * runs (`isolation`) and its pool's timings. Everything that can be checked without loading the
 * module is checked here; whether its default export is a function is known only once a worker
 * has loaded it (see `worker-pool.ts`).
 * @module
 */
import { statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigurationError, describeValue } from "../errors.js";
import { parseDuration, type Duration } from "../time/duration.js";
import { checkOptions } from "../validate.js";

/** Where a worker task's handler runs: a worker thread (the default) or a child process. */
export type Isolation = "thread" | "process";

/** Options of a worker task's pool (`workerPool` in the task's options). */
export interface WorkerPoolOptions {
  /**
   * After a cancel or a handler timeout aborts a work's signal, how long its worker may take to
   * return before it is terminated and replaced.
   * @default "1s"
   */
  abortGrace?: Duration;
  /**
   * How long a worker may sit idle before it exits (a new one starts when work comes).
   * @default "10s"
   */
  idleTimeout?: Duration;
}

/** @internal a worker task's resolved settings. */
export interface WorkerSpec {
  /** The module, as a `file:` URL. */
  readonly url: URL;
  readonly isolation: Isolation;
  readonly abortGraceMs: number;
  readonly idleTimeoutMs: number;
  /** Tasks with the same key share a pool. */
  readonly key: string;
}

const DEFAULT_ABORT_GRACE_MS = 1000;
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
const POOL_OPTIONS = ["abortGrace", "idleTimeout"];

/**
 * The compiled worker entry (`dist/run/worker-entry.js`). Run from the TypeScript sources (the
 * test suite does), this module is `src/run/worker-spec.ts` and the entry is taken from `dist`,
 * so the package must be built first; installed, it sits next to this module.
 */
export const WORKER_ENTRY: URL = import.meta.url.endsWith(".ts")
  ? new URL("../../dist/run/worker-entry.js", import.meta.url)
  : new URL("./worker-entry.js", import.meta.url);

/** The module's URL: a `file:` URL (or its string), or an absolute path. */
function moduleUrl(task: string, worker: unknown): URL {
  const expected = `(expected a file: URL or an absolute path, e.g. new URL("./resize-worker.js", import.meta.url))`;
  let url: URL | undefined;
  if (worker instanceof URL) url = worker;
  else if (typeof worker === "string" && worker.startsWith("file:")) url = URL.canParse(worker) ? new URL(worker) : undefined;
  else if (typeof worker === "string" && isAbsolute(worker)) url = pathToFileURL(worker);
  if (url === undefined || url.protocol !== "file:") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid worker for task "${task}": ${describeValue(worker instanceof URL ? worker.href : worker)} ${expected}`);
  }
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch (error) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid worker for task "${task}": ${JSON.stringify(url.href)} ${expected}`, { cause: error });
  }
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined || !stat.isFile()) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Worker module not found for task "${task}": ${JSON.stringify(url.href)} (${stat === undefined ? "no such file" : "not a file"})`);
  }
  return url;
}

/**
 * Checks a task's `worker`, `isolation` and `workerPool` options; undefined for an in-process
 * task (which must then have neither `isolation` nor `workerPool`).
 * @throws ConfigurationError naming the value: a relative path, a missing file, an unknown
 * isolation, a handler given as well as a worker.
 */
export function resolveWorker(task: string, options: { worker?: unknown; isolation?: unknown; workerPool?: unknown }, hasHandler: boolean): WorkerSpec | undefined {
  const { worker, isolation, workerPool } = options;
  if (worker === undefined) {
    for (const [name, value] of [["isolation", isolation], ["workerPool", workerPool]] as const) {
      if (value !== undefined) throw new ConfigurationError("ERR_INVALID_OPTION", `Option ${name} of task "${task}" (given ${describeValue(value)}) needs a worker module (the worker option)`);
    }
    return undefined;
  }
  if (hasHandler) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Task "${task}" has both a handler and a worker module (give one: the worker module's default export is the handler)`);
  }
  const url = moduleUrl(task, worker);
  if (isolation !== undefined && isolation !== "thread" && isolation !== "process") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid isolation for task "${task}": ${describeValue(isolation)} (expected "thread" or "process")`);
  }
  checkOptions(workerPool, POOL_OPTIONS, `workerPool of task "${task}"`);
  const pool = (workerPool ?? {}) as WorkerPoolOptions;
  const abortGraceMs = pool.abortGrace === undefined ? DEFAULT_ABORT_GRACE_MS : parseDuration(pool.abortGrace, `workerPool.abortGrace of task "${task}"`);
  const idleTimeoutMs = pool.idleTimeout === undefined ? DEFAULT_IDLE_TIMEOUT_MS : parseDuration(pool.idleTimeout, `workerPool.idleTimeout of task "${task}"`);
  const resolved = isolation ?? "thread";
  return { url, isolation: resolved, abortGraceMs, idleTimeoutMs, key: `${resolved} ${abortGraceMs} ${idleTimeoutMs} ${url.href}` };
}
