/**
 * Seeded randomness. Every random choice of a run comes from the run's seed, and each work
 * draws from its own stream keyed by what it is (task, item, attempt), not from one shared
 * stream: so a work's latency and outcome stay the same whatever order the scheduler runs
 * things in, and the same seed gives the same run on the virtual and the real clock.
 */

/** A source of uniform numbers in [0, 1) with a few helpers. */
export class Random {
  #state: number;

  /** @param seed any 32-bit integer. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A number in [0, 1): mulberry32, small, fast and good enough for simulation. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A number in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** `k` distinct elements, in a random order (all of them if `k >= items.length`). */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    const n = Math.min(k, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.next() * (copy.length - i));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, n);
  }
}

/** A 32-bit hash of a string (FNV-1a), to derive stream seeds from keys. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The random stream named `key` of the run seeded with `seed`. */
export function streamFor(seed: number, key: string): Random {
  return new Random(hash32(`${seed >>> 0}:${key}`));
}

/** A fresh seed for runs without `--seed` (printed, so the run can be repeated). */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
