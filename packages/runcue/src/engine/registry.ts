import type { WorkRecord } from "../work/record.js";
import type { Work } from "../work/work.js";

const CHUNK_BITS = 12;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;

/**
 * Every work a cue knows: the live ones and the last `maxFinished` finished ones, by id in O(1);
 * the dedupe keys of live works; and the callers waiting for a work to finish.
 *
 * Works are stored by sequence number in chunks of 4096 slots rather than in a Map: at a million
 * queued works, Map inserts and deletes (hashing, rehashing, scattered memory) cost as much as
 * the rest of the scheduler, and a chunk slot costs 8 bytes. A chunk is dropped once every work
 * in it is forgotten, so memory follows the live works (a long-blocked work keeps its chunk).
 */
export class WorkRegistry {
  /** Chunk `c` holds sequence numbers `c * 4096` to `c * 4096 + 4095`; dropped chunks are undefined. */
  readonly #chunks: ((WorkRecord | undefined)[] | undefined)[] = [];
  /** How many works each chunk still holds. */
  readonly #counts: number[] = [];
  readonly #keys = new Map<string, WorkRecord>();
  /** A ring of the last `maxFinished` finished works. */
  readonly #finished: WorkRecord[] = [];
  #finishedHead = 0;
  readonly #maxFinished: number;
  readonly #waiters = new Map<WorkRecord, ((work: Work) => void)[]>();

  constructor(maxFinished: number) {
    this.#maxFinished = maxFinished;
  }

  add(work: WorkRecord): void {
    const c = work.seq >>> CHUNK_BITS;
    let chunk = this.#chunks[c];
    if (chunk === undefined) {
      while (this.#chunks.length < c) {
        this.#chunks.push(undefined);
        this.#counts.push(0);
      }
      chunk = new Array<WorkRecord | undefined>(CHUNK_SIZE);
      this.#chunks[c] = chunk;
      this.#counts[c] = 0;
    }
    chunk[work.seq & CHUNK_MASK] = work;
    this.#counts[c] = (this.#counts[c] as number) + 1;
    if (work.key !== undefined) this.#keys.set(work.key, work);
  }

  #forget(work: WorkRecord): void {
    const c = work.seq >>> CHUNK_BITS;
    const chunk = this.#chunks[c];
    if (chunk === undefined || chunk[work.seq & CHUNK_MASK] !== work) return;
    chunk[work.seq & CHUNK_MASK] = undefined;
    const left = (this.#counts[c] as number) - 1;
    this.#counts[c] = left;
    // The newest chunk stays: works are still being added to it.
    if (left === 0 && c !== this.#chunks.length - 1) this.#chunks[c] = undefined;
  }

  /** The live work holding this dedupe key. */
  byKey(key: string): WorkRecord | undefined {
    return this.#keys.get(key);
  }

  /** The work with this id: ids are the decimal sequence number, so "007" or "1e3" match nothing. */
  get(id: string): WorkRecord | undefined {
    const seq = Number(id);
    if (!Number.isSafeInteger(seq) || seq < 0 || String(seq) !== id) return undefined;
    return this.#chunks[seq >>> CHUNK_BITS]?.[seq & CHUNK_MASK];
  }

  /** Known works in submission order. */
  *values(): IterableIterator<WorkRecord> {
    for (const chunk of this.#chunks) {
      if (chunk === undefined) continue;
      for (let i = 0; i < CHUNK_SIZE; i++) {
        const w = chunk[i];
        if (w !== undefined) yield w;
      }
    }
  }

  /** How many finished works are kept. */
  get retained(): number {
    return this.#finished.length;
  }

  /** A work became terminal: free its key, keep it in the ring (forgetting the oldest), wake its waiters. */
  finished(work: WorkRecord): void {
    if (work.key !== undefined && this.#keys.get(work.key) === work) this.#keys.delete(work.key);
    const max = this.#maxFinished;
    if (max === 0) {
      this.#forget(work);
    } else {
      const ring = this.#finished;
      if (ring.length < max) {
        ring.push(work);
      } else {
        this.#forget(ring[this.#finishedHead] as WorkRecord);
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
  onFinished(work: WorkRecord, resolve: (work: Work) => void): () => void {
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
