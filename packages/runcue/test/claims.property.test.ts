// A property test of submit keys claimed through a shared store (the seam runcue-redis uses):
// two cues on one virtual clock share a store whose services and key claims answer through
// promises and wake every cue on a free. Random submits (keyed or not, to either cue), handlers
// that complete, throw, ask for a retry or push back, cancels, stops with and without a timeout
// and restarts. Invariants: works of one key never run at once across the two cues; every work
// ends exactly once; once everything settled no claim or slot is held.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cue, RateLimited, Retry, sleep, VirtualClock, type Work } from "runcue";
import { sharedMemoryStore } from "./shared-store.js";

type Outcome = "ok" | "throw" | "retry" | "pushback";
interface Spec { outcome: Outcome; ms: number }
type Op =
  | { type: "submit"; cue: number; key: string | undefined; spec: Spec }
  | { type: "cancel"; cue: number; index: number }
  | { type: "stop"; cue: number; timeout: number | undefined }
  | { type: "start"; cue: number }
  | { type: "advance"; ms: number };

const specArb: fc.Arbitrary<Spec> = fc.record({
  outcome: fc.oneof({ arbitrary: fc.constant<Outcome>("ok"), weight: 4 }, { arbitrary: fc.constantFrom<Outcome>("throw", "retry", "pushback"), weight: 2 }),
  ms: fc.constantFrom(0, 5, 20, 50),
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant("submit" as const), cue: fc.nat(1), key: fc.option(fc.constantFrom("k0", "k1", "k2"), { nil: undefined, freq: 4 }), spec: specArb }), weight: 6 },
  { arbitrary: fc.record({ type: fc.constant("cancel" as const), cue: fc.nat(1), index: fc.nat(40) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant("stop" as const), cue: fc.nat(1), timeout: fc.option(fc.constantFrom(0, 10), { nil: undefined }) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant("start" as const), cue: fc.nat(1) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant("advance" as const), ms: fc.constantFrom(1, 7, 30) }), weight: 3 },
);

async function run(concurrent: number, ops: Op[]): Promise<void> {
  const clock = new VirtualClock(0);
  const store = sharedMemoryStore();
  const cues = [new Cue({ clock, store }), new Cue({ clock, store })];
  let seq = 0;
  /** Per cue and work id: [key, opened at, closed at] of each time it held its key. */
  const spans: { key: string; from: number; to: number }[] = [];
  const open = new Map<string, { key: string; from: number }>();
  const ends = new Map<string, number>();
  const ids: string[][] = [[], []];
  const pushed = new Set<string>();
  cues.forEach((cue, c) => {
    cue.service("api", { concurrent });
    cue.task("t", { uses: "api", retry: { attempts: 2, delay: 5 } }, async (work: Work<Spec>) => {
      await sleep(clock, work.params.ms, work.signal);
      if (work.params.outcome === "throw") throw new Error("boom");
      if (work.params.outcome === "retry" && work.attempt === 1) throw new Retry({ delay: 5 });
      // A pushback uses no attempt: push back on the first call only.
      if (work.params.outcome === "pushback" && !pushed.has(`${c}:${work.id}`)) {
        pushed.add(`${c}:${work.id}`);
        throw new RateLimited({ retryAfter: 10 });
      }
    });
    const close = (work: Work): void => {
      const o = open.get(`${c}:${work.id}`);
      if (o === undefined) return;
      open.delete(`${c}:${work.id}`);
      spans.push({ ...o, to: ++seq });
    };
    cue.on("start", ({ work }) => {
      if (work.key !== undefined) open.set(`${c}:${work.id}`, { key: work.key, from: ++seq });
    });
    for (const event of ["retry", "pause"] as const) cue.on(event, ({ work }) => close(work));
    for (const event of ["complete", "fail", "cancel", "skip"] as const) {
      cue.on(event, ({ work }) => {
        close(work);
        ends.set(`${c}:${work.id}`, (ends.get(`${c}:${work.id}`) ?? 0) + 1);
      });
    }
    cue.on("fail", () => undefined);
    void cue.start();
  });
  for (const op of ops) {
    const cue = cues[op.type === "advance" ? 0 : op.cue] as Cue;
    switch (op.type) {
      case "submit":
        ids[op.cue]!.push(await cue.submit("t", op.spec, op.key === undefined ? {} : { key: op.key }));
        break;
      case "cancel": {
        const list = ids[op.cue]!;
        if (list.length > 0) cue.cancel(list[op.index % list.length] as string);
        break;
      }
      case "stop":
        void cue.stop(op.timeout === undefined ? {} : { timeout: op.timeout });
        break;
      case "start":
        void cue.start();
        break;
      case "advance":
        await clock.advance(op.ms);
        break;
    }
  }
  for (const cue of cues) void cue.start();
  await clock.runUntilIdle(() => Promise.all(cues.map((c) => c.idle())));

  // Never two of one key at once, across the cues.
  for (const a of spans) {
    for (const b of spans) {
      if (a !== b && a.key === b.key) expect(a.to <= b.from || b.to <= a.from, `key ${a.key} held twice at once`).toBe(true);
    }
  }
  // Every work ended exactly once.
  ids.forEach((list, c) => {
    for (const id of list) expect(ends.get(`${c}:${id}`), `cue ${c} work ${id}`).toBe(1);
  });
  // Nothing is held any more: every key and slot can be taken again by either cue.
  for (const cue of cues) {
    expect(cue.status()).toMatchObject({ pending: 0, running: 0 });
    expect(cue.status().services[0]?.active).toBe(0);
  }
  const claims = store.claims!({ clock, rateGuardMs: 0, wake: () => undefined });
  for (const key of ["k0", "k1", "k2"]) expect(await claims.tryAcquire(clock.now(), key, { cost: undefined }), key).toBe(true);
  await Promise.all(cues.map((c) => c.stop()));
}

describe("submit keys claimed through a shared store, under faults", () => {
  it("never runs one key twice at once, ends every work exactly once, and frees every claim", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(opArb, { minLength: 5, maxLength: 40 }), run),
      { numRuns: 150, timeout: 5000 },
    );
  }, 120_000);
});
