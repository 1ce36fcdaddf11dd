import type { ParsedRate } from "./rate.js";

/**
 * A sliding window over recent starts, counting starts or a measure of their cost. Each start
 * occupies `weight` (1 for a count window) from its time until the interval (plus a guard)
 * has passed. A start may be reserved first and committed or given back later; the invariant
 * `weights in window + reserved <= limit` holds at every moment.
 */
export interface Window {
  readonly limit: number;
  readonly intervalMs: number;
  readonly label: string;
  /** The measure it counts, or undefined for starts. */
  readonly measure: string | undefined;
  /** Weight in the window ending at `now`, plus reservations. */
  used(now: number): number;
  /** True when `weight` more fits at `now`. */
  fits(now: number, weight: number): boolean;
  /** The earliest time `weight` more would fit, given no new starts (`Infinity` while reservations alone fill it). */
  nextFreeAt(now: number, weight: number): number;
  reserve(weight: number): void;
  unreserve(weight: number): void;
  /** A reserved start of `weight` happened at `at` and weighs `recorded` (a reported cost, else the same); returns its entry where the window can re-weigh it later. */
  commit(at: number, weight: number, recorded?: number): WindowEntry | undefined;
  /** Records a start without a reservation (when carrying history over to a new window). */
  record(at: number, weight: number): WindowEntry | undefined;
  /** Re-weighs a committed start (a reported cost); nothing happens once it left the window. */
  adjust(entry: WindowEntry, weight: number): void;
  /** The starts still in the window, oldest first (a weighted window's own entries, which `adjust` re-weighs). */
  entries(now: number): WindowEntry[];
  /** Weight reserved and not yet committed or given back. */
  readonly reserved: number;
}

/** A start recorded by a weighted window. */
export interface WindowEntry {
  at: number;
  weight: number;
  /** False once it left the window. */
  live: boolean;
}

/** True when a start at `at` has left a window of `span` by `now`, by both ways of rounding. */
export function leaves(at: number, span: number, now: number): boolean {
  return at + span <= now && now - at >= span;
}

/**
 * The first moment a start at `at` has left a window of `span`: `at + span`, nudged up by an
 * ulp or two where floating-point rounding would make `(at + span) - at` fall short of `span`
 * (fractional virtual times). So the wake-up timer set for this moment always finds the window
 * open, and an observer subtracting start times never sees N+1 in a window.
 */
export function leaveTime(at: number, span: number): number {
  let t = at + span;
  while (t - at < span) t += Math.abs(t) * Number.EPSILON;
  return t;
}

/**
 * An exact sliding-window log: at most `limit` starts in any window of `intervalMs`.
 * Start times live in a ring buffer of `limit` slots, so memory is bounded by the limit.
 * A start may be reserved first (while readiness is checked) and committed or released later;
 * the invariant `starts in window + reserved <= limit` holds at every moment.
 */
export class RateWindow implements Window {
  readonly limit: number;
  readonly intervalMs: number;
  readonly label: string;
  readonly measure: string | undefined = undefined;
  /** The interval plus the guard: how long a start occupies its slot. */
  readonly #span: number;
  readonly #starts: Float64Array;
  #head = 0;
  #count = 0;
  #reserved = 0;

  /**
   * @param guardMs extra time each start keeps its slot. On a real clock a start is timestamped
   * a few microseconds before the handler's first line runs (and the request reaches the
   * server later still); without a guard an observer timing the handlers can see N+1 starts in
   * a window by a microsecond. 1 ms costs 0.1 % of a per-second rate.
   */
  constructor(rate: ParsedRate, guardMs = 0) {
    this.limit = rate.limit;
    this.intervalMs = rate.intervalMs;
    this.#span = rate.intervalMs + guardMs;
    this.label = rate.label;
    this.#starts = new Float64Array(rate.limit);
  }

  /**
   * Drops starts that left the window. The test is `start + span <= now`, the very sum
   * {@link nextFreeAt} returns: with fractional times, `now - span` can round differently and
   * leave a window closed at the moment its wake-up timer fires.
   */
  #prune(now: number): void {
    const span = this.#span;
    const starts = this.#starts;
    while (this.#count > 0 && leaves(starts[this.#head] as number, span, now)) {
      this.#head = this.#head + 1 === this.limit ? 0 : this.#head + 1;
      this.#count--;
    }
  }

  /** Starts inside the window ending at `now`, plus reservations. */
  used(now: number): number {
    this.#prune(now);
    return this.#count + this.#reserved;
  }

  /** True when one more start (or reservation) fits at `now`. */
  fits(now: number): boolean {
    return this.used(now) < this.limit;
  }

  /** Holds `n` starts (1 for a work whose checks are still running). */
  reserve(n = 1): void {
    this.#reserved += n;
  }

  /** Gives back a reservation (never below zero: one made before an `update()` may land on a new window). */
  unreserve(): void {
    if (this.#reserved > 0) this.#reserved--;
  }

  get reserved(): number {
    return this.#reserved;
  }

  /** Turns a reservation into a start at `now`. */
  commit(now: number): undefined {
    if (this.#reserved > 0) this.#reserved--;
    return this.record(now);
  }

  /** Records a start at `now` (the caller checked {@link fits}); the oldest goes if the ring is full. */
  record(now: number): undefined {
    if (this.#count === this.limit) {
      this.#head = this.#head + 1 === this.limit ? 0 : this.#head + 1;
      this.#count--;
    }
    let tail = this.#head + this.#count;
    if (tail >= this.limit) tail -= this.limit;
    this.#starts[tail] = now;
    this.#count++;
    return undefined;
  }

  /** Count windows weigh every start 1: a reported cost changes nothing. */
  adjust(): void {
    // nothing to re-weigh
  }

  entries(now: number): WindowEntry[] {
    this.#prune(now);
    const out: WindowEntry[] = [];
    for (let i = 0; i < this.#count; i++) {
      let j = this.#head + i;
      if (j >= this.limit) j -= this.limit;
      out.push({ at: this.#starts[j] as number, weight: 1, live: true });
    }
    return out;
  }

  /**
   * When the next start will fit, given no new starts: `now` if one fits already, the moment
   * the oldest start leaves the window, or `Infinity` when only reservations hold it full.
   */
  nextFreeAt(now: number): number {
    this.#prune(now);
    if (this.#count + this.#reserved < this.limit) return now;
    if (this.#count === 0) return Infinity;
    return leaveTime(this.#starts[this.#head] as number, this.#span);
  }
}
