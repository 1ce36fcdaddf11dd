import type { WorkUnit } from "./work.js";

/**
 * Works in the order they became pending, each with the time it did. Since pending spells
 * start at a monotonic "now", the queue is sorted by deadline for any fixed limit, and the
 * timeout and warning checks only ever look at its head. Entries whose work moved on (ran,
 * finished, or started a new pending spell) are dropped lazily.
 */
export class DeadlineQueue {
  #works: (WorkUnit | undefined)[] = [];
  #since: number[] = [];
  #head = 0;

  push(work: WorkUnit, since: number): void {
    this.#works.push(work);
    this.#since.push(since);
  }

  /** The oldest entry's work and start, or undefined. */
  peek(): { work: WorkUnit; since: number } | undefined {
    if (this.#head >= this.#works.length) return undefined;
    return { work: this.#works[this.#head] as WorkUnit, since: this.#since[this.#head] as number };
  }

  shift(): void {
    this.#works[this.#head] = undefined;
    this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#works.length) {
      this.#works = this.#works.slice(this.#head);
      this.#since = this.#since.slice(this.#head);
      this.#head = 0;
    }
  }
}
