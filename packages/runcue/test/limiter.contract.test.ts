// The limiter contract, run against every implementation: the in-memory limiter, and the same
// behind asynchronous answers (the shape a limiter shared through Redis has). Another store (runcue-redis)
// calls `describeLimiterContract` from limiter-contract.ts in its own tests.
import { expect, it } from "vitest";
import { MemoryLimiter, memoryStore, type Costs, type Limiter, type LimiterStore, type ObserveOptions, type ServiceOptions } from "runcue";

type LimitRequest = { readonly cost: Costs | undefined };
import { describeClaimsContract, describeLimiterContract } from "./limiter-contract.js";
import { sharedMemoryStore } from "./shared-store.js";

/** Wraps a limiter so that every `tryAcquire` answers through a promise, a few ticks later. */
class AsyncLimiter implements Limiter {
  readonly #inner: Limiter;
  constructor(inner: Limiter) {
    this.#inner = inner;
  }
  get name(): string { return this.#inner.name; }
  get timed(): boolean { return this.#inner.timed; }
  get keyed(): boolean { return this.#inner.keyed; }
  keyOf(work: object): string | undefined { return this.#inner.keyOf(work); }
  async tryAcquire(now: number, key: string | undefined, request: LimitRequest): Promise<true | number> {
    await Promise.resolve();
    return this.#inner.tryAcquire(now, key, request);
  }
  commit(at: number, key: string | undefined, request: LimitRequest): void { this.#inner.commit(at, key, request); }
  cancel(key: string | undefined, request: LimitRequest): void { this.#inner.cancel(key, request); }
  release(key: string | undefined): void { this.#inner.release(key); }
  report(key: string | undefined, request: LimitRequest, actual: Costs): void { this.#inner.report(key, request, actual); }
  measures(): Set<string> { return this.#inner.measures(); }
  maxCost(measure: string): number | undefined { return this.#inner.maxCost(measure); }
  pause(until: number, key?: string): void { this.#inner.pause(until, key); }
  pausedUntil(now: number, key?: string): number { return this.#inner.pausedUntil(now, key); }
  update(options: ServiceOptions, now: number): void { this.#inner.update(options, now); }
  observe(options: ObserveOptions, now: number): void { this.#inner.observe(options, now); }
  block(now: number, key?: string, request?: LimitRequest) { return this.#inner.block(now, key, request); }
  status(now: number) { return this.#inner.status(now); }
}

const asyncStore: LimiterStore = {
  limiter: (name, options, context) => new AsyncLimiter(memoryStore.limiter(name, options, context)),
};

describeLimiterContract("memory", () => memoryStore);
describeLimiterContract("asynchronous (memory behind promises)", () => asyncStore);
describeLimiterContract("shared by cues in one process (memory behind promises, for tests)", () => sharedMemoryStore());
describeClaimsContract("shared by cues in one process (memory behind promises, for tests)", () => sharedMemoryStore());

it("MemoryLimiter rejects a concurrency that is not a positive integer", () => {
  expect(() => new MemoryLimiter("s", { concurrent: 1.5 })).toThrow(/Invalid concurrent for service "s": 1.5/);
});
