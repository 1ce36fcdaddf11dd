import type { Clock, TimerHandle } from "./clock.js";
import { Heap } from "../queue/heap.js";

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
  slot: number;
}

function earlier(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets queued promise callbacks and immediates run before the next timer fires. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock whose time moves only when told to. Timers fire in time order (ties in the order
 * they were set); between two timers every pending promise callback runs, so handlers that
 * wait on this clock (see {@link sleep}) behave as they would in real time.
 *
 * Handlers under a virtual clock must wait only on the clock: real I/O is not accounted for.
 * @example
 * const clock = new VirtualClock();
 * const cue = new Cue({ clock });
 * // ... submit work ...
 * await clock.runUntilIdle(() => cue.idle());
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Heap<VirtualTimer>(earlier);

  /** @param start the initial time in epoch milliseconds. @default 0 */
  constructor(start = 0) {
    this.#now = start;
  }

  /** The current virtual time. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at `now + max(ms, 0)`; `Infinity` (or NaN) never fires and sets no timer. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const at = Number.isNaN(ms) ? Infinity : this.#now + (ms > 0 ? ms : 0);
    const timer: VirtualTimer = { at, seq: this.#seq++, fn, cancelled: false, slot: -1 };
    if (Number.isFinite(at)) this.#timers.push(timer);
    else timer.cancelled = true;
    return timer;
  }

  /** Cancels a timer. */
  clearTimeout(handle: TimerHandle): void {
    const timer = handle as VirtualTimer | undefined;
    if (!timer || timer.cancelled) return;
    timer.cancelled = true;
    this.#timers.remove(timer);
  }

  /** How many timers are waiting. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** The time of the next timer, or `undefined` when none is set. */
  nextTimerAt(): number | undefined {
    return this.#timers.peek()?.at;
  }

  /** Fires the next timer (moving time forward to it). Returns false when there is none. */
  async step(): Promise<boolean> {
    await settle();
    const timer = this.#timers.pop();
    if (!timer) return false;
    if (timer.at > this.#now) this.#now = timer.at;
    timer.cancelled = true;
    timer.fn();
    await settle();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `time`, firing every timer due on the way. */
  async advanceTo(time: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.#timers.peek();
      if (!next || next.at > time) break;
      await this.step();
    }
    if (time > this.#now) this.#now = time;
    await settle();
  }

  /**
   * Fires timers, jumping time forward, until `done` resolves or no timer is left.
   * Resolves with `done`'s value; rejects if no timer is left while `done` is still pending,
   * since virtual time could then never move again (or after `maxSteps` timers).
   */
  async runUntilIdle<T>(done: () => Promise<T>, maxSteps = 10_000_000): Promise<T> {
    let finished = false;
    let value!: T;
    let failure: unknown;
    let failed = false;
    done().then(
      (v) => { finished = true; value = v; },
      (e: unknown) => { finished = true; failed = true; failure = e; },
    );
    await settle();
    for (let steps = 0; !finished; steps++) {
      if (steps >= maxSteps) throw new Error(`VirtualClock.runUntilIdle: gave up after ${maxSteps} timers`);
      if (!(await this.step())) {
        await settle();
        if (finished) break;
        throw new Error("VirtualClock.runUntilIdle: no timers left but the awaited condition has not settled (work blocked forever?)");
      }
    }
    if (failed) throw failure;
    return value;
  }
}
