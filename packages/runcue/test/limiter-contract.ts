// The limiter contract, as a suite any store runs: the in-memory limiter, the same behind
// asynchronous answers (limiter.contract.test.ts), and stores in add-on packages (runcue-redis)
// call `describeLimiterContract`.
import { afterEach, describe, expect, it } from "vitest";
import { Cue, VirtualClock, sleep, type Costs, type JointAcquire, type Limiter, type LimiterStore, type ServiceOptions } from "runcue";
import { maxInWindow } from "./helpers.js";

type LimitRequest = { readonly cost: Costs | undefined };
/** A work as a limiter sees it: its cost (and identity). */
const req = (cost?: Costs): LimitRequest => ({ cost });

/**
 * Like `clock.runUntilIdle(done)`, but a store that answers over the network may have replies in
 * flight when no timer is left: wait for them (real time) before giving up.
 */
async function runAllowingIo<T>(clock: VirtualClock, done: () => Promise<T>, patienceMs = 5000): Promise<T> {
  let settled: { value: T } | { error: unknown } | undefined;
  done().then((value) => (settled = { value }), (error: unknown) => (settled = { error }));
  let idleSince = Date.now();
  while (settled === undefined) {
    if (await clock.step()) {
      idleSince = Date.now();
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (Date.now() - idleSince > patienceMs) throw new Error(`no timer left and nothing settled for ${patienceMs}ms (work blocked forever?)`);
  }
  if ("error" in settled) throw settled.error;
  return settled.value;
}

async function acquire(limiter: Limiter, now: number, request: LimitRequest = req(), key?: string): Promise<true | number> {
  return await limiter.tryAcquire(now, key, request);
}

function make(store: LimiterStore, options: ServiceOptions): Limiter {
  return store.limiter("s", options, { clock: new VirtualClock(), rateGuardMs: 0, wake: () => undefined });
}

/**
 * Inside a `describe`: returns the function that makes a store for a test; every store made is
 * disposed of after its test.
 */
function useStores(makeStore: () => LimiterStore, dispose: ((store: LimiterStore) => Promise<void>) | undefined): () => LimiterStore {
  const made: LimiterStore[] = [];
  afterEach(async () => {
    for (const store of made.splice(0)) await dispose?.(store);
  });
  return () => {
    const store = makeStore();
    made.push(store);
    return store;
  };
}

/**
 * Runs the limiter contract against a store: `makeStore` is called once per test (a shared
 * store gives each call its own namespace), and `dispose` (when given) after each test.
 */
export function describeLimiterContract(name: string, makeStore: () => LimiterStore, dispose?: (store: LimiterStore) => Promise<void>): void {
  describe(`the limiter contract: ${name}`, () => {
    const fresh = useStores(makeStore, dispose);
    it("grants up to `concurrent` slots, then answers Infinity until a release", async () => {
      const l = make(fresh(), { concurrent: 2 });
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
      const l = make(fresh(), { rate: { limit: 2, interval: 1000 } });
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
      const l = make(fresh(), { concurrent: 1, rate: "1/s" });
      const r = req();
      expect(await acquire(l, 0, r)).toBe(true);
      l.cancel(undefined, r);
      expect(await acquire(l, 0)).toBe(true);
      expect(l.status(0)).toMatchObject({ active: 1, rates: [{ used: 1 }] });
    });

    it("a pause holds every start until it ends, and only extends", async () => {
      const l = make(fresh(), {});
      l.pause(500);
      l.pause(300);
      expect(await acquire(l, 100)).toBe(500);
      expect(l.block(100)).toMatchObject({ reason: "rate_limited", paused: true, until: 500 });
      expect(l.pausedUntil(100)).toBe(500);
      expect(await acquire(l, 500)).toBe(true);
      expect(l.pausedUntil(500)).toBe(0);
    });

    it("never answers a time at or before `now` when it says no", async () => {
      const l = make(fresh(), { rate: { limit: 1, interval: 1000 } });
      expect(await acquire(l, 100.1)).toBe(true);
      l.commit(100.1, undefined, req());
      for (const now of [100.1, 600.3, 1100.0999999]) {
        const r = await acquire(l, now);
        expect(r === true || r > now).toBe(true);
      }
    });

    it("a weighted window admits a cost only while it fits, and a report re-weighs the start", async () => {
      const l = make(fresh(), { rate: "100 tokens/s" });
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
      const l = make(fresh(), { concurrent: 1, rate: "1/s", per: (w) => (w.params as { k: string }).k });
      expect(l.keyOf({ params: { k: "a" } })).toBe("a");
      expect(await acquire(l, 0, req(), "a")).toBe(true);
      expect(await acquire(l, 0, req(), "a")).toBe(Infinity);
      expect(await acquire(l, 0, req(), "b")).toBe(true);
      l.pause(500, "c");
      expect(await acquire(l, 0, req(), "c")).toBe(500);
      expect(l.pausedUntil(0, "c")).toBe(500);
      expect(l.pausedUntil(0, "b")).toBe(0);
    });

    it("a service-wide pause holds every key", async () => {
      const l = make(fresh(), { concurrent: 2, per: (w) => (w.params as { k: string }).k });
      expect(await acquire(l, 0, req(), "a")).toBe(true);
      l.commit(0, "a", req());
      l.pause(500);
      for (const key of ["a", "b"]) {
        expect(await acquire(l, 100, req(), key)).toBe(500);
        expect(l.pausedUntil(100, key)).toBe(500);
        expect(l.block(100, key)).toMatchObject({ reason: "rate_limited", paused: true, until: 500 });
      }
      expect(await acquire(l, 500, req(), "b")).toBe(true);
      expect(await acquire(l, 500, req(), "a")).toBe(true);
    });

    it("an observed cap holds until its reset, on top of the limits", async () => {
      const l = make(fresh(), {});
      l.observe({ remaining: 1, resetAt: 100, measure: undefined, key: undefined }, 0);
      expect(await acquire(l, 0)).toBe(true);
      expect(await acquire(l, 0)).toBe(100);
      expect(await acquire(l, 100)).toBe(true);
    });

    it("through a cue: limits hold and every work completes", async () => {
      const clock = new VirtualClock();
      const cue = new Cue({ clock, store: fresh() });
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
      await runAllowingIo(clock, () => cue.idle());
      expect(starts).toHaveLength(20);
      expect(maxRunning).toBeLessThanOrEqual(2);
      expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(3);
      expect(cue.status()).toMatchObject({ pending: 0, running: 0, services: [{ active: 0 }] });
    });
  });
}

/**
 * The contract of a store's claims of submit keys (`LimiterStore.claims`), for stores shared by
 * many cues: one slot per key, `key_held` while taken, freed by a release or a cancel; and
 * through a cue, keyed works of one key never run at once while other keys do.
 */
export function describeClaimsContract(name: string, makeStore: () => LimiterStore, dispose?: (store: LimiterStore) => Promise<void>): void {
  describe(`the claims contract: ${name}`, () => {
    const fresh = useStores(makeStore, dispose);
    const claimsOf = (store: LimiterStore): Limiter => {
      if (store.claims === undefined) throw new Error(`${name} has no claims()`);
      return store.claims({ clock: new VirtualClock(), rateGuardMs: 0, wake: () => undefined });
    };

    it("holds one slot per key: a second claim waits (key_held) until a release or a cancel", async () => {
      const claims = claimsOf(fresh());
      const a1 = req();
      expect(await acquire(claims, 0, a1, "a")).toBe(true);
      expect(await acquire(claims, 0, req(), "b")).toBe(true); // keys are independent
      expect(await acquire(claims, 0, req(), "a")).toBe(Infinity);
      expect(claims.block(0, "a")?.reason).toBe("key_held");
      expect(claims.block(0, "a")?.details).toMatch(/"a"/);
      claims.cancel("a", a1); // a dispatch check said no: the key is free again
      const a2 = req();
      expect(await acquire(claims, 0, a2, "a")).toBe(true);
      claims.commit(0, "a", a2);
      expect(await acquire(claims, 0, req(), "a")).toBe(Infinity);
      claims.release("a"); // the work left running
      expect(await acquire(claims, 0, req(), "a")).toBe(true);
    });

    it("any string is a key: colons, braces, spaces and lone surrogates are claims of their own", async () => {
      const claims = claimsOf(fresh());
      const keys = ["a:b", "{tag}", "a b", "\uD800", "\uDC00", "%u", "%uD800", ""];
      for (const key of keys) expect(await acquire(claims, 0, req(), key), JSON.stringify(key)).toBe(true);
      for (const key of keys) expect(await acquire(claims, 0, req(), key), JSON.stringify(key)).toBe(Infinity);
      expect(claims.block(0, "\uD800")?.details).toContain(JSON.stringify("\uD800"));
    });

    it("through a cue: works of one key run one at a time, other keys beside them", async () => {
      const clock = new VirtualClock();
      const store = fresh();
      const cues = [new Cue({ clock, store }), new Cue({ clock, store })];
      const spans = new Map<string, [number, number][]>();
      let running = 0;
      let most = 0;
      for (const cue of cues) {
        cue.service("api", { concurrent: 10 });
        cue.task("call", { uses: "api" }, async (work) => {
          const at = clock.now();
          most = Math.max(most, ++running);
          await sleep(clock, 100);
          running--;
          spans.set(work.key as string, [...(spans.get(work.key as string) ?? []), [at, clock.now()]]);
        });
        cue.start();
        for (const key of ["x", "y"]) await cue.submit("call", {}, { key });
      }
      await runAllowingIo(clock, () => Promise.all(cues.map((c) => c.idle())));
      for (const key of ["x", "y"]) {
        const [first, second] = (spans.get(key) ?? []).sort((p, q) => p[0] - q[0]);
        expect(first, key).toBeDefined();
        expect((second as [number, number])[0], key).toBeGreaterThanOrEqual((first as [number, number])[1]);
      }
      expect(most).toBe(2); // one of each key at a time: x and y together
      await Promise.all(cues.map((c) => c.stop()));
    });
  });
}

/**
 * The contract of a store's joint acquire (`Limiter.joint`): several of its limiters granted in
 * one step, in all or in none; a refusal answers when all could fit (the latest part's time).
 */
export function describeJointContract(name: string, makeStore: () => LimiterStore, dispose?: (store: LimiterStore) => Promise<void>): void {
  describe(`the joint acquire contract: ${name}`, () => {
    const fresh = useStores(makeStore, dispose);
    const two = (a: ServiceOptions, b: ServiceOptions): [Limiter, Limiter, JointAcquire] => {
      const store = fresh();
      const context = { clock: new VirtualClock(), rateGuardMs: 0, wake: () => undefined };
      const first = store.limiter("a", a, context);
      const second = store.limiter("b", b, context);
      if (first.joint === undefined || first.joint !== second.joint) throw new Error(`${name}: its limiters share no joint acquire`);
      return [first, second, first.joint];
    };
    const none: undefined[] = [undefined, undefined];

    it("grants every part or none: a full part leaves the others untouched", async () => {
      const [a, b, joint] = two({ concurrent: 1 }, { concurrent: 1 });
      const onB = req();
      expect(await b.tryAcquire(0, undefined, onB)).toBe(true); // b is full
      expect(await joint.tryAcquire(0, [a, b], none, req())).toBe(Infinity);
      expect(b.block(0)?.reason).toBe("service_full");
      expect(a.block(0)).toBeUndefined();
      const onA = req();
      expect(await a.tryAcquire(0, undefined, onA)).toBe(true); // a's one slot was not taken
      a.cancel(undefined, onA);
      b.cancel(undefined, onB);
      const both = req();
      expect(await joint.tryAcquire(0, [a, b], none, both)).toBe(true);
      expect(await a.tryAcquire(0, undefined, req())).toBe(Infinity); // now both are taken
      expect(await b.tryAcquire(0, undefined, req())).toBe(Infinity);
      a.release(undefined);
      b.release(undefined);
      expect(await joint.tryAcquire(0, [a, b], none, req())).toBe(true);
    });

    it("answers the latest time at which every part fits, and takes no rate start when refused", async () => {
      const [a, b, joint] = two({ rate: { limit: 1, interval: 1000 } }, { rate: { limit: 1, interval: 2000 } });
      const first = req();
      expect(await joint.tryAcquire(0, [a, b], none, first)).toBe(true);
      a.commit(0, undefined, first);
      b.commit(0, undefined, first);
      expect(await joint.tryAcquire(100, [a, b], none, req())).toBe(2000);
      // Refused at 100: a's window took no reservation, so a alone fits at 1000.
      expect(await a.tryAcquire(1000, undefined, req())).toBe(true);
    });
  });
}
