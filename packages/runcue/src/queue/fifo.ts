/** An item that remembers its position in a {@link Fifo}, for O(1) removal. */
export interface FifoItem {
  /** Absolute position in the FIFO holding it, or -1 when in none. */
  slot: number;
}

/**
 * A first-in first-out queue with O(1) push, shift and removal of any item. A removed item's
 * slot is cleared at once (so the queue never holds a cancelled work's memory) and skipped
 * when the head reaches it. Positions are absolute, so compaction never touches the items.
 */
export class Fifo<T extends FifoItem> {
  #items: (T | undefined)[] = [];
  /** Absolute position of `#items[0]`. */
  #base = 0;
  #head = 0;
  #live = 0;

  get size(): number {
    return this.#live;
  }

  /** The newest live item is the last pushed one while it is live. */
  get tail(): T | undefined {
    if (this.#live === 0) return undefined;
    return this.#items[this.#items.length - 1];
  }

  push(item: T): void {
    item.slot = this.#base + this.#items.length;
    this.#items.push(item);
    this.#live++;
  }

  peek(): T | undefined {
    if (this.#live === 0) return undefined;
    const items = this.#items;
    let item = items[this.#head];
    while (item === undefined) item = items[++this.#head];
    return item;
  }

  shift(): T | undefined {
    const item = this.peek();
    if (item === undefined) return undefined;
    this.#items[this.#head++] = undefined;
    this.#live--;
    item.slot = -1;
    this.#compact();
    return item;
  }

  /** Removes `item` if this FIFO holds it. */
  remove(item: T): boolean {
    const i = item.slot - this.#base;
    if (i < 0 || this.#items[i] !== item) return false;
    if (i === this.#head) {
      this.shift();
      return true;
    }
    this.#items[i] = undefined;
    item.slot = -1;
    this.#live--;
    // Trailing holes would make `tail` lie: trim them.
    const items = this.#items;
    while (items.length > this.#head && items[items.length - 1] === undefined) items.pop();
    this.#compact();
    return true;
  }

  #compact(): void {
    if (this.#live === 0) {
      this.#base += this.#items.length;
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 4096 && this.#head * 2 >= this.#items.length) {
      this.#base += this.#head;
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
