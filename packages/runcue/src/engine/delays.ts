import { Heap } from "../queue/heap.js";
import type { Clock, TimerHandle } from "../time/clock.js";
import type { WorkRecord } from "../work/record.js";

/**
 * Works in phase `Delayed` (a submit delay or a retry wait), by due time, with one timer for
 * the earliest. When it fires, `due` gets every work whose time has come.
 */
export class Delays {
  readonly #heap = new Heap<WorkRecord>((a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq));
  readonly #clock: Clock;
  readonly #due: (work: WorkRecord) => void;
  readonly #after: () => void;
  #timer: TimerHandle = undefined;
  #timerAt = Infinity;
  #armed = false;

  /** @param due moves one due work on; @param after runs once after a batch. */
  constructor(clock: Clock, due: (work: WorkRecord) => void, after: () => void) {
    this.#clock = clock;
    this.#due = due;
    this.#after = after;
  }

  get size(): number {
    return this.#heap.size;
  }

  add(work: WorkRecord): void {
    this.#heap.push(work);
    this.#arm();
  }

  remove(work: WorkRecord): void {
    this.#heap.remove(work);
    this.#arm();
  }

  /** Timers run only while the cue is started. */
  start(): void {
    this.#armed = true;
    this.#arm();
  }

  stop(): void {
    this.#armed = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #arm(): void {
    if (!this.#armed) return;
    const next = this.#heap.peek();
    const at = next ? next.dueAt : Infinity;
    if (at === this.#timerAt) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === Infinity) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#release();
    }, at - this.#clock.now());
  }

  #release(): void {
    const now = this.#clock.now();
    for (let w = this.#heap.peek(); w !== undefined && w.dueAt <= now && this.#armed; w = this.#heap.peek()) this.#due(w);
    this.#arm();
    this.#after();
  }
}
