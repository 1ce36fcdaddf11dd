/**
 * The source of time. runcue reads the time and sets timers only through a clock, so tests
 * and the simulator can run on {@link VirtualClock}.
 */
export interface Clock {
  /** The current time in epoch milliseconds (fractions allowed). */
  now(): number;
  /**
   * Calls `fn` once after `ms` milliseconds. `ms <= 0` means "on the next macrotask", after
   * everything already queued at the current time.
   */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

interface ImmediateHandle { immediate: NodeJS.Immediate }

const origin = performance.timeOrigin;

/** The real clock: `performance.now()` on the epoch, Node timers, `setImmediate` for `ms <= 0`. */
export const systemClock: Clock = {
  now: () => origin + performance.now(),
  setTimeout(fn, ms) {
    if (ms <= 0) return { immediate: setImmediate(fn) } satisfies ImmediateHandle;
    // Rounded up: Node timers have whole-millisecond resolution, and firing early would
    // find a rate window still closed. Timers keep the process alive while work waits.
    return setTimeout(fn, Math.ceil(ms));
  },
  clearTimeout(handle) {
    if (handle === undefined || handle === null) return;
    if (typeof handle === "object" && "immediate" in handle) clearImmediate((handle as ImmediateHandle).immediate);
    else clearTimeout(handle as NodeJS.Timeout);
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
