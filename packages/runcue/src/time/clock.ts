/**
 * The source of time. runcue reads the time and sets timers only through a clock, so tests
 * and the simulator can run on {@link VirtualClock}.
 */
export interface Clock {
  /** The current time in epoch milliseconds (fractions allowed). */
  now(): number;
  /**
   * Calls `fn` once after `ms` milliseconds. `ms <= 0` means "on the next macrotask", after
   * everything already queued at the current time. `ms = Infinity` means never.
   */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** Node's timers overflow above this (they fire after 1 ms instead), so longer waits re-arm. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A system-clock timer: an immediate, a Node timeout, or a chain of them for long waits. */
class SystemTimer {
  immediate: NodeJS.Immediate | undefined = undefined;
  timeout: NodeJS.Timeout | undefined = undefined;
  cleared = false;
}

/** `performance` is a lazy getter on the global object in Node 20: read it once. */
const perf = performance;
const origin = perf.timeOrigin;

function armLong(timer: SystemTimer, fn: () => void, dueAt: number): void {
  const left = dueAt - (origin + perf.now());
  if (left <= MAX_TIMER_MS) {
    // Rounded up: Node timers have whole-millisecond resolution, and firing early would
    // find a rate window still closed.
    timer.timeout = setTimeout(fn, Math.max(1, Math.ceil(left)));
    return;
  }
  timer.timeout = setTimeout(() => {
    if (!timer.cleared) armLong(timer, fn, dueAt);
  }, MAX_TIMER_MS);
}

/**
 * The real clock: `performance.now()` on the epoch, Node timers, `setImmediate` for `ms <= 0`.
 * Waits longer than Node's timer limit (about 24.8 days) are re-armed in steps; `Infinity` (or
 * NaN) sets no timer at all. Timers keep the process alive while work waits.
 */
export const systemClock: Clock = {
  now: () => origin + perf.now(),
  setTimeout(fn, ms) {
    const timer = new SystemTimer();
    if (ms <= 0) timer.immediate = setImmediate(fn);
    else if (ms <= MAX_TIMER_MS) timer.timeout = setTimeout(fn, Math.ceil(ms));
    else if (Number.isFinite(ms)) armLong(timer, fn, origin + perf.now() + ms);
    return timer;
  },
  clearTimeout(handle) {
    if (!(handle instanceof SystemTimer)) return;
    handle.cleared = true;
    if (handle.immediate !== undefined) clearImmediate(handle.immediate);
    if (handle.timeout !== undefined) clearTimeout(handle.timeout);
  },
};

/**
 * Resolves after `ms` on the given clock; rejects with the signal's reason if it aborts first.
 * Handlers that should also run under a {@link VirtualClock} wait with this.
 * @example
 * await sleep(cue.clock, 250, work.signal);
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
