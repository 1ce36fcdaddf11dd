/**
 * The raw baselines: what a careful hand-written limiter costs, standing for the limit of the
 * event loop. Nothing here is a library; it is the least code that keeps `concurrency` jobs in flight.
 */

/**
 * The textbook semaphore people write by hand: `await acquire()`, run, `release()`, one promise
 * per waiting job. (Its FIFO keeps a head index: `Array#shift` on 100k waiters is O(n) per call.)
 */
export class AsyncSemaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  #head = 0;

  constructor(concurrency: number) {
    this.#free = concurrency;
  }

  /** Resolves when a slot is taken. */
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives the slot to the next waiter, or back to the pool. */
  release(): void {
    if (this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head] as () => void;
      this.#waiting[this.#head++] = undefined as unknown as () => void;
      if (this.#head === this.#waiting.length) {
        this.#waiting = [];
        this.#head = 0;
      }
      next();
    } else {
      this.#free++;
    }
  }

  /** Runs `job` inside a slot. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await job();
    } finally {
      this.release();
    }
  }
}

/**
 * A lean semaphore: a free count and a FIFO of waiting starts (array with a head index), no
 * promise of its own per job, completion by callback. The cheapest limiter we could write.
 */
export class Semaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  #head = 0;

  constructor(concurrency: number) {
    this.#free = concurrency;
  }

  /** Runs `job` as soon as a slot is free; calls `done` once it settled. */
  run(job: () => Promise<unknown>, done: () => void): void {
    if (this.#free > 0) {
      this.#free--;
      this.#go(job, done);
    } else {
      this.#waiting.push(() => this.#go(job, done));
    }
  }

  /** How many starts are waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  #go(job: () => Promise<unknown>, done: () => void): void {
    const release = (): void => {
      this.#release();
      done();
    };
    job().then(release, release);
  }

  #release(): void {
    if (this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head] as () => void;
      this.#waiting[this.#head++] = undefined as unknown as () => void;
      if (this.#head === this.#waiting.length) {
        this.#waiting = [];
        this.#head = 0;
      }
      next();
    } else {
      this.#free++;
    }
  }
}

/** Runs `n` jobs as `Promise.all` over consecutive chunks of `size`: the simplest batching, slower than a pool. */
export async function promiseAllChunks(n: number, size: number, job: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    const chunk = new Array<Promise<unknown>>(end - start);
    for (let i = start; i < end; i++) chunk[i - start] = job(i);
    await Promise.all(chunk);
  }
}
