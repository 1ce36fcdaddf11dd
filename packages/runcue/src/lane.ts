import { Heap } from "./heap.js";
import type { Service } from "./service.js";
import type { WorkUnit } from "./work.js";

/** Higher priority first, then lower submission sequence (FIFO among equals). */
export function runsBefore(a: WorkUnit, b: WorkUnit): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}

/**
 * The queue of works waiting to be dispatched through one set of services (every task with the
 * same `uses` shares a lane). The common case, submissions at one priority arriving in sequence
 * order, goes to a plain FIFO (O(1)); a work that would break the FIFO's order (another
 * priority, or an older work coming back) goes to a heap (O(log n)). The head of the lane is the
 * better of the two heads.
 */
export class Lane {
  readonly key: string;
  readonly services: readonly Service[];
  readonly #heap = new Heap<WorkUnit>(runsBefore);
  #fifo: (WorkUnit | undefined)[] = [];
  #fifoHead = 0;
  #fifoLive = 0;
  #fifoTail: WorkUnit | undefined = undefined;
  /** Timer waking this lane when a rate window or pause ends. */
  wakeTimer: unknown = undefined;
  wakeAt = Infinity;

  /** True when a service of this lane has a rate limit (start times must be exact). */
  readonly timed: boolean;

  constructor(key: string, services: readonly Service[]) {
    this.key = key;
    this.services = services;
    this.timed = services.some((s) => s.windows.length > 0);
  }

  get size(): number {
    return this.#fifoLive + this.#heap.size;
  }

  /** Adds a work. */
  push(work: WorkUnit): void {
    const tail = this.#fifoLive > 0 ? this.#fifoTail : undefined;
    if (tail === undefined || (tail.priority === work.priority && tail.seq < work.seq)) {
      work.heapIndex = -2;
      this.#fifo.push(work);
      this.#fifoLive++;
      this.#fifoTail = work;
    } else {
      this.#heap.push(work);
    }
  }

  #fifoPeek(): WorkUnit | undefined {
    const fifo = this.#fifo;
    while (this.#fifoHead < fifo.length) {
      const w = fifo[this.#fifoHead];
      if (w !== undefined && w.heapIndex === -2) return w;
      this.#fifoHead++;
    }
    if (this.#fifoHead > 0) {
      this.#fifo = [];
      this.#fifoHead = 0;
    }
    return undefined;
  }

  peek(): WorkUnit | undefined {
    const f = this.#fifoLive > 0 ? this.#fifoPeek() : undefined;
    const h = this.#heap.peek();
    if (f === undefined) return h;
    if (h === undefined) return f;
    return runsBefore(h, f) ? h : f;
  }

  pop(): WorkUnit | undefined {
    const f = this.#fifoLive > 0 ? this.#fifoPeek() : undefined;
    const h = this.#heap.peek();
    if (f !== undefined && (h === undefined || !runsBefore(h, f))) {
      this.#fifo[this.#fifoHead++] = undefined;
      this.#fifoLive--;
      f.heapIndex = -1;
      this.#compact();
      return f;
    }
    return this.#heap.pop();
  }

  /** Removes a work that is in this lane. */
  remove(work: WorkUnit): void {
    if (work.heapIndex === -2) {
      // O(1): the entry stays in the FIFO array as a tombstone that peek skips (its heapIndex
      // is no longer -2). remove() is only used for works leaving for good (cancel, timeout),
      // so the tombstone can never turn live again.
      work.heapIndex = -1;
      this.#fifoLive--;
    } else {
      this.#heap.remove(work);
    }
  }

  #compact(): void {
    if (this.#fifoHead >= 4096 && this.#fifoHead * 2 >= this.#fifo.length) {
      this.#fifo = this.#fifo.slice(this.#fifoHead);
      this.#fifoHead = 0;
    }
  }

  /** True when every service of the lane can start a work at `now`. */
  canStart(now: number): boolean {
    const services = this.services;
    for (let i = 0; i < services.length; i++) if (!(services[i] as Service).canStart(now)) return false;
    return true;
  }
}
