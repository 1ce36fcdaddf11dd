/** Timing and heap helpers shared by the cases. */

/** High-resolution time in milliseconds. */
export const now = (): number => performance.now();

/** Resolves after the current macrotask, letting pending timers and I/O callbacks run. */
export function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves after `ms` real milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type GcFunction = () => void;

/** Runs a full garbage collection when node was started with `--expose-gc`; otherwise does nothing. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (gc === undefined) return;
  gc();
  gc();
}

/** True when `collectGarbage` really collects. */
export function gcAvailable(): boolean {
  return typeof (globalThis as { gc?: GcFunction }).gc === "function";
}

/** Heap bytes in use after a full collection. */
export function settledHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** Polls `condition` once per macrotask until it holds, failing after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!condition()) {
    if (now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await nextTick();
  }
}

/** A promise with its resolve function, for "resolve when the last job finished". */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

/** Creates a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
