/** An item of a {@link DeadlineQueue}: it remembers its position for O(1) removal. */
export interface DeadlineItem {
  /** Absolute position of its entry, or -1. */
  deadlinePos: number;
}

/**
 * Items in the order their spells began, each with the time it did. Spells begin at a
 * monotonic "now", so for any fixed limit the queue is sorted by deadline and a check looks at
 * its head only. Two independent cursors read it (pending warnings and pending timeouts).
 * An item that leaves (its spell ended) is cleared from its slot at once, so the queue never
 * holds finished works in memory.
 */
export class DeadlineQueue<T extends DeadlineItem> {
  #items: (T | undefined)[] = [];
  #since: number[] = [];
  /** Absolute position of `#items[0]`. */
  #base = 0;
  readonly #heads: number[];

  /** @param cursors how many independent readers (each reads with its own index). */
  constructor(cursors: number) {
    this.#heads = new Array<number>(cursors).fill(0);
  }

  push(item: T, since: number): void {
    item.deadlinePos = this.#base + this.#items.length;
    this.#items.push(item);
    this.#since.push(since);
  }

  /** Clears `item`'s entry, if it has one here. */
  drop(item: T): void {
    const i = item.deadlinePos - this.#base;
    if (i >= 0 && this.#items[i] === item) this.#items[i] = undefined;
    item.deadlinePos = -1;
  }

  /** The oldest live entry for cursor `c`, or undefined. */
  peek(c: number): { item: T; since: number } | undefined {
    const items = this.#items;
    let h = this.#heads[c] as number;
    while (h < items.length && items[h] === undefined) h++;
    this.#heads[c] = h;
    if (h >= items.length) return undefined;
    return { item: items[h] as T, since: this.#since[h] as number };
  }

  /** Moves cursor `c` past its head. */
  advance(c: number): void {
    this.#heads[c] = (this.#heads[c] as number) + 1;
    this.#compact();
  }

  #compact(): void {
    const low = Math.min(...this.#heads);
    if (low >= 1024 && low * 2 >= this.#items.length) {
      this.#items = this.#items.slice(low);
      this.#since = this.#since.slice(low);
      this.#base += low;
      for (let i = 0; i < this.#heads.length; i++) this.#heads[i] = (this.#heads[i] as number) - low;
    }
  }
}
