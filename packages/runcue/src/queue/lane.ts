import type { Costs, LimitRequest } from "../limits/costs.js";
import type { JointAcquire, Limiter } from "../limits/limiter.js";
import { Fifo, type FifoItem } from "./fifo.js";
import { Heap, type HeapItem } from "./heap.js";

/** What a lane needs of the works it queues. */
export interface LaneItem extends FifoItem, HeapItem, LimitRequest {
  /** In [0, 1], higher first. */
  readonly priority: number;
  /** Submission order: ties in priority go to the lower. */
  readonly seq: number;
}

/** Higher priority first, then lower submission sequence (FIFO among equals). */
export function runsBefore(a: LaneItem, b: LaneItem): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}

/** A submit key held across every cue sharing a store: a limiter of one slot per key, and the work's key. */
export interface LaneClaim {
  readonly limiter: Limiter;
  readonly key: string;
}

/**
 * The queue of works waiting to start through one set of services (every task with the same
 * `uses` shares a lane), and those services' limiters. Under a store shared by many cues, a
 * keyed work's lane also claims its submit key (`LimiterStore.claims`): the claim is
 * asked first, so no service slot is taken while the key runs elsewhere. The common case, submissions at one
 * priority arriving in sequence order, goes to a plain FIFO (O(1)); a work that would break the
 * FIFO's order (another priority, or an older work coming back) goes to a heap (O(log n)). The
 * head of the lane is the better of the two heads.
 */
export class Lane<T extends LaneItem = LaneItem> {
  readonly key: string;
  /** Every limiter a start goes through: the key claim (when there is one) first, then the services'. */
  readonly limiters: readonly Limiter[];
  /** Per limiter, this lane's key in it (`per`, or the claimed submit key), or undefined. */
  readonly keys: readonly (string | undefined)[];
  /** The limiters of the services only (pauses, `wait` events and per-service counts are theirs). */
  readonly services: readonly Limiter[];
  /** The claimed submit key's limiter, or undefined. */
  readonly claim: Limiter | undefined;
  /** True for a lane of one key combination (made on demand, dropped when empty). */
  readonly keyed: boolean;
  /** The last time a work of this lane started (keys with waiting work are served in turn). Written by the dispatcher only. */
  lastStart = 0;
  /** True when a service of this lane has a rate limit (start times must be exact). */
  readonly timed: boolean;
  /** With several limiters of one store that acquires them together: that store's joint acquire. */
  readonly #joint: JointAcquire | undefined;
  readonly #heap = new Heap<T>(runsBefore);
  readonly #fifo = new Fifo<T>();
  /** When the lane's wake-up timer fires (Infinity: none armed). Written by the dispatcher only. */
  wakeAt = Infinity;
  /** The armed wake-up timer. Written by the dispatcher only. */
  wakeTimer: unknown = undefined;
  /** An asynchronous acquisition is in flight for this lane's head. Written by the dispatcher only. */
  acquiring = false;
  /** The dispatch round in which this lane was found unable to start. Written by the dispatcher only. */
  skippedRound = 0;

  constructor(key: string, services: readonly Limiter[], keys: readonly (string | undefined)[] = services.map(() => undefined), claim?: LaneClaim) {
    this.key = key;
    this.services = services;
    this.claim = claim?.limiter;
    this.limiters = claim === undefined ? services : [claim.limiter, ...services];
    this.keys = claim === undefined ? keys : [claim.key, ...keys];
    this.keyed = this.keys.some((k) => k !== undefined);
    this.timed = this.limiters.some((l) => l.timed);
    const joint = this.limiters[0]?.joint;
    this.#joint = this.limiters.length > 1 && joint !== undefined && this.limiters.every((l) => l.joint === joint) ? joint : undefined;
  }

  get size(): number {
    return this.#fifo.size + this.#heap.size;
  }

  push(work: T): void {
    const tail = this.#fifo.tail;
    if (tail === undefined || (tail.priority === work.priority && tail.seq < work.seq)) this.#fifo.push(work);
    else this.#heap.push(work);
  }

  peek(): T | undefined {
    const f = this.#fifo.peek();
    const h = this.#heap.peek();
    if (f === undefined) return h;
    if (h === undefined) return f;
    return runsBefore(h, f) ? h : f;
  }

  pop(): T | undefined {
    const f = this.#fifo.peek();
    const h = this.#heap.peek();
    if (f !== undefined && (h === undefined || !runsBefore(h, f))) return this.#fifo.shift();
    return this.#heap.pop();
  }

  /** Removes a work that is in this lane (cancel, timeout); its memory is released at once. */
  remove(work: T): void {
    if (!this.#fifo.remove(work)) this.#heap.remove(work);
  }

  /**
   * Takes a slot and a reserved start (and the work's cost) in every service, or none: returns
   * `true`, or when the lane could next start (`Infinity` when only a finishing work frees a
   * slot). A promise when some limiter answers asynchronously.
   */
  acquire(now: number, work: T): true | number | Promise<true | number> {
    const limiters = this.limiters;
    if (this.#joint !== undefined) {
      const r = this.#joint.tryAcquire(now, limiters, this.keys, work);
      // A store that failed to answer is asked again in a second.
      return typeof r === "object" ? r.catch(() => now + 1000) : r;
    }
    for (let i = 0; i < limiters.length; i++) {
      const r = (limiters[i] as Limiter).tryAcquire(now, this.keys[i], work);
      if (r === true) continue;
      if (typeof r === "number") {
        for (let j = 0; j < i; j++) (limiters[j] as Limiter).cancel(this.keys[j], work);
        return r;
      }
      return this.#acquireRest(r, i, now, work);
    }
    return true;
  }

  async #acquireRest(pending: Promise<true | number>, i: number, now: number, work: T): Promise<true | number> {
    const limiters = this.limiters;
    let r: true | number;
    try {
      r = await pending;
    } catch {
      r = now + 1000; // a limiter that failed to answer is asked again in a second
    }
    for (;;) {
      if (r !== true) {
        for (let j = 0; j < i; j++) (limiters[j] as Limiter).cancel(this.keys[j], work);
        return r;
      }
      if (++i >= limiters.length) return true;
      try {
        r = await (limiters[i] as Limiter).tryAcquire(now, this.keys[i], work);
      } catch {
        r = now + 1000;
      }
    }
  }

  commit(at: number, work: T): void {
    const limiters = this.limiters;
    for (let i = 0; i < limiters.length; i++) (limiters[i] as Limiter).commit(at, this.keys[i], work);
  }

  /** Gives back an unused reservation in every service. */
  cancel(work: T): void {
    const limiters = this.limiters;
    for (let i = 0; i < limiters.length; i++) (limiters[i] as Limiter).cancel(this.keys[i], work);
  }

  release(): void {
    const limiters = this.limiters;
    for (let i = 0; i < limiters.length; i++) (limiters[i] as Limiter).release(this.keys[i]);
  }

  /** Settles the work's estimated cost with what it reported, in every service. */
  report(work: T, actual: Costs): void {
    const limiters = this.limiters;
    for (let i = 0; i < limiters.length; i++) (limiters[i] as Limiter).report(this.keys[i], work, actual);
  }

  /** Until when a pushback pause holds one of the lane's services (for this lane's keys), or 0. */
  pausedUntil(now: number): number {
    let until = 0;
    for (let i = 0; i < this.limiters.length; i++) {
      const limiter = this.limiters[i] as Limiter;
      if (limiter !== this.claim) until = Math.max(until, limiter.pausedUntil(now, this.keys[i]));
    }
    return until;
  }
}
