// A store shared by every cue in this process that is handed it, for tests of the seams a shared
// store uses (Redis in runcue-redis): each service's limits and the submit keys' claims live in
// one limiter per name for all those cues, every acquire answers through a promise, and a free
// wakes the other cues that were refused there (as Redis's bells do). Only for tests: it is one
// process.
import { MemoryLimiter, type Costs, type LimitBlock, type Limiter, type LimiterStore, type ObserveOptions, type ServiceOptions, type StoreContext } from "runcue";

type LimitRequest = { readonly cost: Costs | undefined };

/** Who waits for a slot of a shared limiter's key to free: each cue's wake, by limiter and key. */
type Waiters = Map<string, Set<() => void>>;

/**
 * One shared limiter as one cue sees it: async acquires; a refusal registers the cue as waiting
 * on that limiter and key, and a free there wakes the cues waiting on it (never the one that
 * freed it), as Redis's bells do.
 */
class SharedView implements Limiter {
  readonly #inner: MemoryLimiter;
  readonly #waiters: Waiters;
  readonly #wake: () => void;
  readonly #claims: boolean;
  constructor(inner: MemoryLimiter, waiters: Waiters, wake: () => void, claims: boolean) {
    this.#inner = inner;
    this.#waiters = waiters;
    this.#wake = wake;
    this.#claims = claims;
  }
  get name(): string { return this.#inner.name; }
  get timed(): boolean { return this.#inner.timed; }
  get keyed(): boolean { return this.#inner.keyed; }
  keyOf(work: object): string | undefined { return this.#inner.keyOf(work); }
  #spot(key: string | undefined): string {
    return `${this.#inner.name}\u0000${key ?? ""}`;
  }
  async tryAcquire(now: number, key: string | undefined, request: LimitRequest): Promise<true | number> {
    await Promise.resolve();
    const answer = this.#inner.tryAcquire(now, key, request);
    const spot = this.#spot(key);
    if (answer === true) this.#waiters.get(spot)?.delete(this.#wake);
    else this.#waiters.set(spot, (this.#waiters.get(spot) ?? new Set()).add(this.#wake));
    return answer;
  }
  #freed(key: string | undefined): void {
    const waiting = this.#waiters.get(this.#spot(key));
    if (waiting === undefined) return;
    this.#waiters.delete(this.#spot(key));
    for (const wake of waiting) if (wake !== this.#wake) wake();
  }
  commit(at: number, key: string | undefined, request: LimitRequest): void { this.#inner.commit(at, key, request); }
  cancel(key: string | undefined, request: LimitRequest): void {
    this.#inner.cancel(key, request);
    this.#freed(key);
  }
  release(key: string | undefined): void {
    this.#inner.release(key);
    this.#freed(key);
  }
  report(key: string | undefined, request: LimitRequest, actual: Costs): void { this.#inner.report(key, request, actual); }
  measures(): Set<string> { return this.#inner.measures(); }
  maxCost(measure: string): number | undefined { return this.#inner.maxCost(measure); }
  pause(until: number, key?: string): void { this.#inner.pause(until, key); }
  pausedUntil(now: number, key?: string): number { return this.#inner.pausedUntil(now, key); }
  update(options: ServiceOptions, now: number): void { this.#inner.update(options, now); }
  observe(options: ObserveOptions, now: number): void { this.#inner.observe(options, now); }
  block(now: number, key?: string, request?: LimitRequest): LimitBlock | undefined {
    const block = this.#inner.block(now, key, request);
    if (!this.#claims || block?.reason !== "service_full") return block;
    return { reason: "key_held", details: `Submit key ${JSON.stringify(key)} is held by a work running in another cue` };
  }
  status(now: number) { return this.#inner.status(now); }
}

/** A fresh shared store: hand the same object to every cue that shares it. */
export function sharedMemoryStore(): LimiterStore {
  const limiters = new Map<string, MemoryLimiter>();
  const waiters: Waiters = new Map();
  const shared = (name: string, options: ServiceOptions, context: StoreContext): MemoryLimiter => {
    let limiter = limiters.get(name);
    if (limiter === undefined) limiters.set(name, (limiter = new MemoryLimiter(name, options, context.rateGuardMs)));
    return limiter;
  };
  return {
    limiter: (name, options, context) => new SharedView(shared(`s:${name}`, options, context), waiters, context.wake, false),
    claims: (context) => new SharedView(shared("claims", { concurrent: 1, per: (work) => work.key ?? "" }, context), waiters, context.wake, true),
  };
}
