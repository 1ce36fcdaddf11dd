import { ConfigurationError, RuncueError, describeValue } from "../errors.js";
import type { TaskDef } from "../task.js";
import type { Clock } from "../time/clock.js";
import type { Work } from "../work/work.js";

let directSeq = 0;

/**
 * `run(params, { direct: true })`: calls a task's handler at once in this thread, outside the
 * cue (no queue, limits, checks, retries, events or middleware), with a work of its own
 * (`id` "direct-1", "direct-2", …; attempt 1; `paths` resolved from its declared artifacts,
 * which are neither checked nor verified). A worker task's module is imported and its
 * default export called here. Resolves with the result; rejects with what the handler threw.
 */
export async function runDirect(def: TaskDef, params: unknown, signal: AbortSignal | undefined, clock: Clock, paths: Work["paths"]): Promise<unknown> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) throw signal.reason;
  signal?.addEventListener("abort", onAbort, { once: true });
  const now = clock.now();
  const work: Work = {
    id: `direct-${++directSeq}`,
    task: def.name,
    params: params === undefined ? {} : params,
    attempt: 1,
    state: "running",
    createdAt: now,
    startedAt: now,
    completedAt: undefined,
    result: undefined,
    error: undefined,
    skipped: false,
    key: undefined,
    priority: 0.5,
    next: undefined,
    paths,
    signal: controller.signal,
    report: () => undefined, // no limits apply to a direct call: nothing to settle
  };
  try {
    const handler = def.worker === undefined ? def.handler : await workerDefault(def);
    return await handler(work);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

async function workerDefault(def: TaskDef): Promise<(work: Work) => unknown> {
  const url = (def.worker as { url: URL }).url;
  let mod: { default?: unknown };
  try {
    mod = (await import(url.href)) as { default?: unknown };
  } catch (error) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `The worker module of task "${def.name}" cannot be loaded: ${url.href}`, { cause: error });
  }
  if (typeof mod.default !== "function") {
    throw new RuncueError("ERR_INVALID_OPTION", `The worker module of task "${def.name}" (${url.href}) has no default export function (found ${describeValue(mod.default)})`);
  }
  return mod.default as (work: Work) => unknown;
}
