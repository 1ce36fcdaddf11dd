// The limiter contract, run against every implementation: the in-memory limiter, and the same
// behind asynchronous answers (the shape a limiter shared through Redis has). A new store adds
// one line to `implementations`.
import { describe, expect, it } from "vitest";
import { Cue, MemoryLimiter, VirtualClock, memoryStore, sleep, type Costs, type Limiter, type LimiterStore, type ObserveOptions, type ServiceOptions } from "runcue";

type LimitRequest = { readonly cost: Costs | undefined };
/** A work as a limiter sees it: its cost (and identity). */
const req = (cost?: Costs): LimitRequest => ({ cost });
import { maxInWindow } from "./helpers.js";

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

const implementations: [string, LimiterStore][] = [
  ["memory", memoryStore],
  ["asynchronous (memory behind promises)", asyncStore],
];

async function acquire(limiter: Limiter, now: number, request: LimitRequest = req(), key?: string): Promise<true | number> {
  return await limiter.tryAcquire(now, key, request);
}

function make(store: LimiterStore, options: ServiceOptions): Limiter {
  return store.limiter("s", options, { clock: new VirtualClock(), rateGuardMs: 0 });
}

describe.each(implementations)("the limiter contract: %s", (_name, store) => {
  it("grants up to `concurrent` slots, then answers Infinity until a release", async () => {
    const l = make(store, { concurrent: 2 });
    expect(await acquire(l, 0)).toBe(true);
    l.commit(0, undefined, req());
    expect(await acquire(l, 0)).toBe(true);
    l.commit(0, undefined, req());
    expect(await acquire(l, 0)).toBe(Infinity);
    expect(l.block(0)?.reason).toBe("service_full");
    l.release(undefined);
    expect(await acquire(l, 0)).toBe(true);
  });

  it("counts reserved starts against the rate and answers when the window opens", async () => {
    const l = make(store, { rate: { limit: 2, interval: 1000 } });
    const r1 = req();
    const r2 = req();
    expect(await acquire(l, 0, r1)).toBe(true);
    expect(await acquire(l, 10, r2)).toBe(true);
    // Two reservations fill the window but have no time yet: only a commit or cancel can free it.
    expect(await acquire(l, 20)).toBe(Infinity);
    l.commit(100, undefined, r1);
    l.cancel(undefined, r2);
    expect(await acquire(l, 200)).toBe(true);
    l.commit(200, undefined, req());
    expect(await acquire(l, 300)).toBe(1100);
    expect(l.block(300)).toMatchObject({ reason: "rate_limited", until: 1100 });
    expect(await acquire(l, 1100)).toBe(true);
  });

  it("a cancelled reservation gives back its slot and its start", async () => {
    const l = make(store, { concurrent: 1, rate: "1/s" });
    const r = req();
    expect(await acquire(l, 0, r)).toBe(true);
    l.cancel(undefined, r);
    expect(await acquire(l, 0)).toBe(true);
    expect(l.status(0)).toMatchObject({ active: 1, rates: [{ used: 1 }] });
  });

  it("a pause holds every start until it ends, and only extends", async () => {
    const l = make(store, {});
    l.pause(500);
    l.pause(300);
    expect(await acquire(l, 100)).toBe(500);
    expect(l.block(100)).toMatchObject({ reason: "rate_limited", paused: true, until: 500 });
    expect(l.pausedUntil(100)).toBe(500);
    expect(await acquire(l, 500)).toBe(true);
    expect(l.pausedUntil(500)).toBe(0);
  });

  it("never answers a time at or before `now` when it says no", async () => {
    const l = make(store, { rate: { limit: 1, interval: 1000 } });
    expect(await acquire(l, 100.1)).toBe(true);
    l.commit(100.1, undefined, req());
    for (const now of [100.1, 600.3, 1100.0999999]) {
      const r = await acquire(l, now);
      expect(r === true || r > now).toBe(true);
    }
  });

  it("a weighted window admits a cost only while it fits, and a report re-weighs the start", async () => {
    const l = make(store, { rate: "100 tokens/s" });
    const big = req({ tokens: 80 });
    expect(await acquire(l, 0, big)).toBe(true);
    l.commit(0, undefined, big);
    expect(await acquire(l, 0, req({ tokens: 30 }))).toBe(1000);
    expect(await acquire(l, 0, req({}))).toBe(true); // no tokens: counts 0
    l.report(undefined, big, { tokens: 20 });
    expect(await acquire(l, 1, req({ tokens: 30 }))).toBe(true);
    expect(l.maxCost("tokens")).toBe(100);
  });

  it("keys have independent slots and windows; a pause of one key leaves the others", async () => {
    const l = make(store, { concurrent: 1, rate: "1/s", per: (w) => (w.params as { k: string }).k });
    expect(l.keyOf({ params: { k: "a" } })).toBe("a");
    expect(await acquire(l, 0, req(), "a")).toBe(true);
    expect(await acquire(l, 0, req(), "a")).toBe(Infinity);
    expect(await acquire(l, 0, req(), "b")).toBe(true);
    l.pause(500, "c");
    expect(await acquire(l, 0, req(), "c")).toBe(500);
    expect(l.pausedUntil(0, "c")).toBe(500);
    expect(l.pausedUntil(0, "b")).toBe(0);
  });

  it("an observed cap holds until its reset, on top of the limits", async () => {
    const l = make(store, {});
    l.observe({ remaining: 1, resetAt: 100, measure: undefined, key: undefined }, 0);
    expect(await acquire(l, 0)).toBe(true);
    expect(await acquire(l, 0)).toBe(100);
    expect(await acquire(l, 100)).toBe(true);
  });

  it("through a cue: limits hold and every work completes", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock, store });
    cue.service("api", { rate: "3/s", concurrent: 2 });
    const starts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    cue.task("call", { uses: "api" }, async () => {
      starts.push(clock.now());
      maxRunning = Math.max(maxRunning, ++running);
      await sleep(clock, 400);
      running--;
    });
    cue.start();
    for (let i = 0; i < 20; i++) await cue.submit("call");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toHaveLength(20);
    expect(maxRunning).toBeLessThanOrEqual(2);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(3);
    expect(cue.status()).toMatchObject({ pending: 0, running: 0, services: [{ active: 0 }] });
  });
});

it("MemoryLimiter rejects a concurrency that is not a positive integer", () => {
  expect(() => new MemoryLimiter("s", { concurrent: 1.5 })).toThrow(/Invalid concurrent for service "s": 1.5/);
});
