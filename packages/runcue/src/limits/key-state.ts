import { leaves, RateWindow, type Window, type WindowEntry } from "./rate-window.js";
import type { ParsedRate } from "./rate.js";
import { WeightedWindow } from "./weighted-window.js";
import { weightOf, type LimitRequest } from "./costs.js";

/** A cap the server reported: at most `remaining` more (starts, or units of `measure`) until `resetAt`. */
export interface Observed {
  measure: string | undefined;
  remaining: number;
  resetAt: number;
}

/** One start, as a weighted window's settlement needs it: when it was, and its entry in each window (by index). */
export interface Started {
  readonly at: number;
  list: (WindowEntry | undefined)[];
}

/**
 * What an `update()` did to one new window: it took over the starts of the old window at index
 * `from` (of the same measure), each old entry becoming `moved.get(old)`. Undefined for a new
 * window that took over nothing.
 */
export interface CarriedWindow {
  readonly from: number;
  readonly moved: ReadonlyMap<WindowEntry, WindowEntry>;
}

/**
 * Makes the windows of one key from the service's rates (the burst windows included). The
 * system clock's guard is 1 ms or 0.1 % of the window, whichever is smaller: a 50 ms burst
 * window would otherwise lose 2 % of its rate to it.
 */
export function makeWindows(rates: readonly ParsedRate[], guardMs: number): Window[] {
  return rates.map((r) => {
    const guard = Math.min(guardMs, r.intervalMs / 1000);
    return r.measure === undefined ? new RateWindow(r, guard) : new WeightedWindow({ ...r, measure: r.measure }, guard);
  });
}

/**
 * The limit state of one key of a service (or of the whole service, without `per`): its running
 * count, its windows, its pause and what the server last reported.
 */
export class KeyState {
  active = 0;
  pausedUntil = 0;
  windows: Window[];
  observed: Observed[] = [];
  /**
   * Per work, when it started and the entries it left in weighted windows, so that a reported
   * cost re-weighs them; in start order, dropped once the start left every window. An `update()`
   * moves them to the entries the new windows took over (`carried`), so a report made after it
   * still settles the start.
   */
  readonly #started = new Map<object, Started>();

  constructor(windows: Window[]) {
    this.windows = windows;
  }

  /** A start of `work` committed at `at`, with its entries in the weighted windows (by index). */
  started(work: object, at: number, list: (WindowEntry | undefined)[]): void {
    // The longest window any start can still be in (the guard is at most 1 ms).
    let span = 0;
    for (const w of this.windows) if (w.measure !== undefined && w.intervalMs > span) span = w.intervalMs;
    for (const [old, s] of this.#started) {
      if (!leaves(s.at, span + 1, at)) break;
      this.#started.delete(old);
    }
    this.#started.set(work, { at, list });
  }

  /** The start of `work` still in a weighted window, or undefined. */
  startOf(work: object): Started | undefined {
    return this.#started.get(work);
  }

  /** An `update()` replaced the windows: each start's entries become those the new windows took over. */
  carried(windows: Window[], carried: readonly (CarriedWindow | undefined)[]): void {
    this.windows = windows;
    for (const s of this.#started.values()) {
      const old = s.list;
      // An old entry no new window took over has left its window: kept, it re-weighs nothing.
      s.list = carried.map((c) => {
        const entry = c === undefined ? undefined : old[c.from];
        return entry === undefined ? undefined : (c as CarriedWindow).moved.get(entry) ?? entry;
      });
    }
  }

  /** True when nothing of this key is running, reserved, paused or still in a window. */
  idle(now: number): boolean {
    if (this.active > 0 || now < this.pausedUntil) return false;
    for (const w of this.windows) if (w.used(now) > 0) return false;
    return this.observed.every((o) => o.resetAt <= now);
  }

  /** True when the server-reported caps admit this request at `now`; drops expired caps. */
  observedFits(now: number, request: LimitRequest): number | true {
    if (this.observed.length === 0) return true;
    this.observed = this.observed.filter((o) => o.resetAt > now);
    for (const o of this.observed) if (weightOf(request, o.measure) > o.remaining) return o.resetAt;
    return true;
  }

  /** Charges the server-reported caps for an admitted request (given back by `refundObserved`). */
  chargeObserved(request: LimitRequest, sign: 1 | -1): void {
    for (const o of this.observed) o.remaining -= sign * weightOf(request, o.measure);
  }
}
