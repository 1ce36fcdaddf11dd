/** Time spent in garbage collection, from Node's `gc` performance entries. */
import { PerformanceObserver } from "node:perf_hooks";
import { delay, now } from "./time.js";

interface Pause {
  start: number;
  duration: number;
}

let pauses: Pause[] = [];
let observer: PerformanceObserver | undefined;

function ensureObserving(): void {
  if (observer !== undefined) return;
  observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push({ start: entry.startTime, duration: entry.duration });
  });
  observer.observe({ entryTypes: ["gc"] });
}

/**
 * Runs `fn` and reports the GC pauses that began while it ran. Entries arrive asynchronously,
 * so they are matched by their start time, after a short wait for the last ones.
 */
export async function measureGc<T>(fn: () => Promise<T>): Promise<{ value: T; gcMs: number }> {
  ensureObserving();
  const start = now();
  const value = await fn();
  const end = now();
  await delay(5);
  let gcMs = 0;
  for (const p of pauses) if (p.start >= start && p.start < end) gcMs += p.duration;
  pauses = pauses.filter((p) => p.start >= end);
  return { value, gcMs };
}
