import type { Work } from "./work.js";
import type { WorkUnit } from "./work.js";

/**
 * Every work a cue knows: the live ones and the last `maxFinished` finished ones, by id in O(1);
 * the dedupe keys of live works; and the callers waiting for a work to finish.
 */
export class WorkRegistry {
  /** By sequence number; the id is its decimal form. Map order is submission order. */
  readonly #works = new Map<number, WorkUnit>();
  readonly #keys = new Map<string, WorkUnit>();
  /** A ring of the last `maxFinished` finished works. */
  readonly #finished: WorkUnit[] = [];
  #finishedHead = 0;
  readonly #maxFinished: number;
  readonly #waiters = new Map<WorkUnit, ((work: Work) => void)[]>();

  constructor(maxFinished: number) {
    this.#maxFinished = maxFinished;
  }

  add(work: WorkUnit): void {
    this.#works.set(work.seq, work);
    if (work.key !== undefined) this.#keys.set(work.key, work);
  }

  /** The live work holding this dedupe key. */
  byKey(key: string): WorkUnit | undefined {
    return this.#keys.get(key);
  }

  /** The work with this id: ids are the decimal sequence number, so "007" or "1e3" match nothing. */
  get(id: string): WorkUnit | undefined {
    const seq = Number(id);
    if (!Number.isSafeInteger(seq) || String(seq) !== id) return undefined;
    return this.#works.get(seq);
  }

  /** Known works in submission order. */
  values(): IterableIterator<WorkUnit> {
    return this.#works.values();
  }

  /** How many finished works are kept. */
  get retained(): number {
    return this.#finished.length;
  }

  /** A work became terminal: free its key, keep it in the ring (forgetting the oldest), wake its waiters. */
  finished(work: WorkUnit): void {
    if (work.key !== undefined && this.#keys.get(work.key) === work) this.#keys.delete(work.key);
    const max = this.#maxFinished;
    if (max === 0) {
      this.#works.delete(work.seq);
    } else {
      const ring = this.#finished;
      if (ring.length < max) {
        ring.push(work);
      } else {
        this.#works.delete((ring[this.#finishedHead] as WorkUnit).seq);
        ring[this.#finishedHead] = work;
        this.#finishedHead = this.#finishedHead + 1 === max ? 0 : this.#finishedHead + 1;
      }
    }
    if (this.#waiters.size > 0) {
      const list = this.#waiters.get(work);
      if (list) {
        this.#waiters.delete(work);
        for (const resolve of list) resolve(work);
      }
    }
  }

  /** Calls `resolve` when `work` finishes; returns a function that cancels the wait. */
  onFinished(work: WorkUnit, resolve: (work: Work) => void): () => void {
    let list = this.#waiters.get(work);
    if (!list) this.#waiters.set(work, (list = []));
    list.push(resolve);
    return () => {
      const l = this.#waiters.get(work);
      const i = l ? l.indexOf(resolve) : -1;
      if (l && i >= 0) l.splice(i, 1);
      if (l && l.length === 0) this.#waiters.delete(work);
    };
  }
}
