import type { ParsedRate } from "./rate.js";

/** True when a start at `at` has left a window of `span` by `now`, by both ways of rounding. */
function leaves(at: number, span: number, now: number): boolean {
  return at + span <= now && now - at >= span;
}

/**
 * The first moment a start at `at` has left a window of `span`: `at + span`, nudged up by an
 * ulp or two where floating-point rounding would make `(at + span) - at` fall short of `span`
 * (fractional virtual times). So the wake-up timer set for this moment always finds the window
 * open, and an observer subtracting start times never sees N+1 in a window.
 */
function leaveTime(at: number, span: number): number {
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
export class RateWindow {
  readonly limit: number;
  readonly intervalMs: number;
  readonly label: string;
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
  available(now: number): boolean {
    return this.used(now) < this.limit;
  }

  /** Holds a start for a work whose checks are still running. */
  reserve(): void {
    this.#reserved++;
  }

  /** Gives back a reservation. */
  unreserve(): void {
    this.#reserved--;
  }

  /** Turns a reservation into a start at `now`. */
  commit(now: number): void {
    this.#reserved--;
    this.record(now);
  }

  /** Records a start at `now` (the caller checked {@link available}). */
  record(now: number): void {
    let tail = this.#head + this.#count;
    if (tail >= this.limit) tail -= this.limit;
    this.#starts[tail] = now;
    this.#count++;
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
