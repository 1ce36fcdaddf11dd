/** An item that remembers its position in a {@link Heap}, for O(log n) removal. */
export interface HeapItem {
  slot: number;
}

/**
 * A binary min-heap ordered by `before(a, b)` (true when `a` comes first). Items carry their
 * index so `remove` is O(log n); an item not in any heap has `slot === -1`.
 */
export class Heap<T extends HeapItem> {
  readonly #items: T[] = [];
  readonly #before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    item.slot = items.length;
    items.push(item);
    this.#up(item.slot);
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop() as T;
    if (last !== top) {
      items[0] = last;
      last.slot = 0;
      this.#down(0);
    }
    top.slot = -1;
    return top;
  }

  /** Removes `item` if it is in this heap. */
  remove(item: T): boolean {
    const items = this.#items;
    const i = item.slot;
    if (i < 0 || items[i] !== item) return false;
    const last = items.pop() as T;
    if (last !== item) {
      items[i] = last;
      last.slot = i;
      this.#down(i);
      this.#up(last.slot);
    }
    item.slot = -1;
    return true;
  }

  #up(i: number): void {
    const items = this.#items;
    const item = items[i] as T;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!this.#before(item, parent)) break;
      items[i] = parent;
      parent.slot = i;
      i = parentIndex;
    }
    items[i] = item;
    item.slot = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i] as T;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.#before(items[right] as T, items[left] as T)) child = right;
      const c = items[child] as T;
      if (!this.#before(c, item)) break;
      items[i] = c;
      c.slot = i;
      i = child;
    }
    items[i] = item;
    item.slot = i;
  }
}
