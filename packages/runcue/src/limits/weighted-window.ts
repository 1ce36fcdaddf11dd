import { leaves, leaveTime, type Window, type WindowEntry } from "./rate-window.js";
import type { ParsedRate } from "./rate.js";

/**
 * A sliding window that counts a measure of each start's cost (`"90000 tokens/min"`): a start
 * is admitted only if its weight fits in what is left of the window. Entries live in a FIFO of
 * `{ at, weight }` with a running sum; a start of weight 0 is not recorded. A committed entry
 * can be re-weighed while it is in the window (a reported cost settling an estimate).
 */
export class WeightedWindow implements Window {
  readonly limit: number;
  readonly intervalMs: number;
  readonly label: string;
  readonly measure: string;
  readonly #span: number;
  #entries: WindowEntry[] = [];
  #head = 0;
  #sum = 0;
  #reserved = 0;

  constructor(rate: ParsedRate & { measure: string }, guardMs = 0) {
    this.limit = rate.limit;
    this.intervalMs = rate.intervalMs;
    this.label = rate.label;
    this.measure = rate.measure;
    this.#span = rate.intervalMs + guardMs;
  }

  #prune(now: number): void {
    const entries = this.#entries;
    while (this.#head < entries.length && leaves((entries[this.#head] as WindowEntry).at, this.#span, now)) {
      const e = entries[this.#head] as WindowEntry;
      e.live = false;
      this.#sum -= e.weight;
      this.#head++;
    }
    if (this.#head === entries.length) {
      this.#entries = [];
      this.#head = 0;
      this.#sum = 0; // no rounding drift once empty
    } else if (this.#head >= 1024 && this.#head * 2 >= entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
  }

  used(now: number): number {
    this.#prune(now);
    return this.#sum + this.#reserved;
  }

  fits(now: number, weight: number): boolean {
    return this.used(now) + weight <= this.limit;
  }

  nextFreeAt(now: number, weight: number): number {
    this.#prune(now);
    let over = this.#sum + this.#reserved + weight - this.limit;
    if (over <= 0) return now;
    const entries = this.#entries;
    for (let i = this.#head; i < entries.length; i++) {
      const e = entries[i] as WindowEntry;
      over -= e.weight;
      if (over <= 0) return leaveTime(e.at, this.#span);
    }
    return Infinity; // reservations alone hold it full
  }

  reserve(weight: number): void {
    this.#reserved += weight;
  }

  unreserve(weight: number): void {
    this.#reserved = Math.max(0, this.#reserved - weight); // one made before an update() may land on a new window
  }

  get reserved(): number {
    return this.#reserved;
  }

  commit(at: number, weight: number, recorded = weight): WindowEntry | undefined {
    this.#reserved = Math.max(0, this.#reserved - weight);
    return this.record(at, recorded);
  }

  /**
   * Records a start in time order: a cost reported for a start estimated at 0 arrives after later
   * starts, and an entry out of order would leave the window late and make `nextFreeAt` answer a
   * time already past (a wake-up that finds the window still full, again and again).
   */
  record(at: number, weight: number): WindowEntry | undefined {
    if (weight <= 0) return undefined;
    const entry = { at, weight, live: true };
    const entries = this.#entries;
    let i = entries.length;
    while (i > this.#head && (entries[i - 1] as WindowEntry).at > at) i--;
    if (i === entries.length) entries.push(entry);
    else entries.splice(i, 0, entry);
    this.#sum += weight;
    return entry;
  }

  adjust(entry: WindowEntry, weight: number): void {
    if (!entry.live) return;
    this.#sum += weight - entry.weight;
    entry.weight = weight;
  }

  entries(now: number): WindowEntry[] {
    this.#prune(now);
    return this.#entries.slice(this.#head);
  }
}
