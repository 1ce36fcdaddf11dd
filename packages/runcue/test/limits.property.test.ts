// Issue 8 invariants under random workloads: weighted windows settled by reports (under- and
// over-estimates), burst, concurrency and per-key limits hold against what was in force at each
// start, across an update that changes any of them; no key waits while a slot and its budget are
// free; and every work completes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cue, VirtualClock, sleep, type Work } from "runcue";

/** The limits in force, as the test keeps them (merged the way `update()` merges). */
interface Limits {
  count: number;
  tokens: number;
  burst: number | undefined;
  concurrent: number;
}

/** An option of the update: not given, given as undefined (removed), or given a value. */
type Change = "keep" | "remove" | number;

interface Spec {
  count: number;
  tokens: number;
  intervalMs: number;
  burst: number | undefined;
  concurrent: number | undefined;
  keys: number;
  works: { key: number; est: number; real: number; reportSync: boolean; ms: number; flaky: boolean }[];
  asyncChecks: boolean;
  update: { at: number; rate: { count: number; tokens: number } | undefined; burst: Change; concurrent: Change } | undefined;
}

const change = (min: number, max: number): fc.Arbitrary<Change> => fc.oneof(fc.constant("keep" as const), fc.constant("remove" as const), fc.integer({ min, max }));

const spec: fc.Arbitrary<Spec> = fc.record({
  count: fc.integer({ min: 1, max: 6 }),
  tokens: fc.integer({ min: 50, max: 400 }),
  intervalMs: fc.constantFrom(100, 250.5, 1000),
  burst: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  concurrent: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  keys: fc.integer({ min: 1, max: 3 }),
  works: fc.array(fc.record({
    key: fc.integer({ min: 0, max: 2 }),
    est: fc.integer({ min: 0, max: 50 }),
    // Reported costs below and above the estimate (an under-estimate is charged when reported).
    real: fc.integer({ min: 0, max: 120 }),
    reportSync: fc.boolean(),
    ms: fc.constantFrom(0, 1, 30.5, 120),
    flaky: fc.boolean(),
  }), { minLength: 1, maxLength: 25 }),
  asyncChecks: fc.boolean(),
  update: fc.option(fc.record({
    at: fc.integer({ min: 1, max: 500 }),
    // Tokens stay at 50 or more: every estimate still fits a whole window, so every work completes.
    rate: fc.option(fc.record({ count: fc.integer({ min: 1, max: 6 }), tokens: fc.integer({ min: 50, max: 400 }) }), { nil: undefined }),
    burst: change(1, 3),
    concurrent: change(1, 3),
  }), { nil: undefined }),
});

/** One attempt as it started: the weight the limiter knows for it (its estimate until it reports). */
interface Attempt {
  at: number;
  est: number;
  weight: number;
  running: boolean;
}

/** The smallest double above `x` (positive). */
function nextUp(x: number): number {
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] = bits[0]! + 1n;
  return new Float64Array(bits.buffer)[0]!;
}

/** True while a start at `at` is in a window of `span` ending at `now` (the limiter's own test). */
function inWindow(at: number, span: number, now: number): boolean {
  return !(at + span <= now && now - at >= span);
}

/** An update's option as `update()` takes it (absent: keep), and the value it leaves in force. */
function changed(value: Change, current: number | undefined): { given: boolean; value: number | undefined } {
  if (value === "keep") return { given: false, value: current };
  return { given: true, value: value === "remove" ? undefined : value };
}

describe("limits under random costs, reports, bursts, keys and updates", () => {
  it("every start fits the limits in force when it was admitted, no key waits while it has a slot and budget, and every work completes", async () => {
    await fc.assert(fc.asyncProperty(spec, async (s) => {
      const clock = new VirtualClock(0.3);
      const cue = new Cue({ clock });
      const keyOf = (params: { key: number }): string => (s.keys > 1 ? `k${params.key % s.keys}` : "all");
      const per = s.keys > 1 ? { per: (w: Work) => keyOf(w.params as { key: number }) } : {};
      const burst = s.burst === undefined || s.burst >= s.count ? undefined : s.burst;
      const limits: Limits = { count: s.count, tokens: s.tokens, burst, concurrent: s.concurrent ?? Infinity };
      const rate = (count: number, tokens: number) => [{ limit: count, interval: s.intervalMs }, { limit: tokens, interval: s.intervalMs, measure: "tokens" }];
      const api = cue.service("api", {
        rate: rate(s.count, s.tokens),
        ...(s.concurrent === undefined ? {} : { concurrent: s.concurrent }),
        ...(burst === undefined ? {} : { burst }),
        ...per,
      });

      // The model: each key's attempts, the works waiting in a queue (by id, with their submission
      // order, which orders a key's queue) and those holding a reservation while their dispatch
      // check runs.
      const attempts = new Map<string, Attempt[]>();
      const queued = new Map<string, { key: string; seq: number; est: number }>();
      const checking = new Map<string, { key: string; est: number }>();
      const problems: string[] = [];

      /** Whether the limits in force admit one more start of `est` tokens for `key` at `now`. */
      const admits = (key: string, est: number, now: number): string | undefined => {
        const mine = attempts.get(key) ?? [];
        const reserved = [...checking.values()].filter((c) => c.key === key);
        const held = mine.filter((a) => a.running).length + reserved.length;
        if (held + 1 > limits.concurrent) return `slots ${held}/${limits.concurrent}`;
        const inRate = mine.filter((a) => inWindow(a.at, s.intervalMs, now));
        if (inRate.length + reserved.length + 1 > limits.count) return `starts ${inRate.length + reserved.length}/${limits.count}`;
        if (limits.burst !== undefined && limits.burst < limits.count) {
          const span = (limits.burst * s.intervalMs) / limits.count;
          const inBurst = mine.filter((a) => inWindow(a.at, span, now)).length + reserved.length;
          if (inBurst + 1 > limits.burst) return `burst ${inBurst}/${limits.burst}`;
        }
        const weight = inRate.reduce((n, a) => n + a.weight, 0) + reserved.reduce((n, c) => n + c.est, 0);
        if (weight + est > limits.tokens) return `tokens ${weight} + ${est} > ${limits.tokens}`;
        return undefined;
      };
      /** An admission: it must fit what the limits in force allowed at that moment. */
      const admitted = (id: string, key: string, est: number): void => {
        const why = admits(key, est, clock.now());
        if (why !== undefined) problems.push(`work ${id} of ${key} admitted at ${clock.now()} over the limits: ${why}`);
      };
      /** The first moment a start of `est` would fit if nothing else happened (a start leaving a window), or Infinity. */
      const nextFit = (key: string, est: number, now: number): number => {
        const spans = [s.intervalMs];
        if (limits.burst !== undefined && limits.burst < limits.count) spans.push((limits.burst * s.intervalMs) / limits.count);
        const moments: number[] = [];
        for (const a of attempts.get(key) ?? []) {
          for (const span of spans) {
            let t = a.at + span;
            while (inWindow(a.at, span, t)) t = nextUp(t);
            if (t > now) moments.push(t);
          }
        }
        return moments.sort((x, y) => x - y).find((t) => admits(key, est, t) === undefined) ?? Infinity;
      };
      /**
       * At a quiet moment (no timer due): the head of each key's queue is held by some limit, and
       * a timer fires by the moment the limits would let it start (no lost wake-up).
       */
      const noIdleWait = (): void => {
        const now = clock.now();
        const heads = new Map<string, { id: string; seq: number; est: number }>();
        for (const [id, q] of queued) {
          const head = heads.get(q.key);
          if (head === undefined || q.seq < head.seq) heads.set(q.key, { id, seq: q.seq, est: q.est });
        }
        for (const [key, head] of heads) {
          if (admits(key, head.est, now) === undefined) problems.push(`work ${head.id} of ${key} waits at ${now} with a free slot and budget`);
          const fit = nextFit(key, head.est, now);
          // A timer set `fit - now` from now may land an ulp or two after `fit`: a nanosecond is on time.
          if ((clock.nextTimerAt() ?? Infinity) > fit + 1e-6) problems.push(`work ${head.id} of ${key} could start at ${fit}, but nothing wakes before ${clock.nextTimerAt()}`);
        }
      };

      cue.on("queue", ({ work }) => {
        const p = work.params as { key: number; est: number; seq: number };
        queued.set(work.id, { key: keyOf(p), seq: p.seq, est: p.est });
      });
      // Async staleness checks make a dispatch check hold its reservation for 0.5 ms; a check of
      // a queued work is called as its reservation is taken.
      if (s.asyncChecks) {
        cue.isStale(async (w: Work) => {
          const q = queued.get(w.id);
          if (q !== undefined) {
            admitted(w.id, q.key, q.est);
            queued.delete(w.id);
            checking.set(w.id, { key: q.key, est: q.est });
          }
          await sleep(clock, 0.5);
          return true;
        });
      }
      cue.task("t", { uses: "api", retry: { attempts: 2, delay: 3 }, cost: (w: Work<{ est: number }>) => ({ tokens: w.params.est }) }, async (w: Work<{ key: number; est: number; real: number; reportSync: boolean; ms: number; flaky: boolean }>) => {
        const key = keyOf(w.params);
        if (checking.has(w.id)) {
          checking.delete(w.id);
        } else {
          admitted(w.id, key, w.params.est);
          queued.delete(w.id);
        }
        const attempt: Attempt = { at: clock.now(), est: w.params.est, weight: w.params.est, running: true };
        (attempts.get(key) ?? attempts.set(key, []).get(key)!).push(attempt);
        // Settle the estimate, before the start is stamped or after: lower or higher.
        if (w.params.reportSync) {
          w.report({ tokens: w.params.real });
          attempt.weight = w.params.real;
        }
        await sleep(clock, w.params.ms);
        if (!w.params.reportSync) {
          w.report({ tokens: w.params.real });
          attempt.weight = w.params.real;
        }
        attempt.running = false;
        if (w.params.flaky && w.attempt === 1) throw new Error("flaky");
      });
      void cue.start();
      for (const [seq, w] of s.works.entries()) await cue.submit("t", { ...w, seq });

      const update = s.update;
      let updated = update === undefined;
      for (let steps = 0; cue.status().pending + cue.status().running > 0; steps++) {
        if (!updated && (clock.nextTimerAt() ?? Infinity) > (update as { at: number }).at) {
          await clock.advanceTo((update as { at: number }).at);
          const u = update as NonNullable<Spec["update"]>;
          const options: Parameters<typeof api.update>[0] = {};
          if (u.rate !== undefined) {
            options.rate = rate(u.rate.count, u.rate.tokens);
            limits.count = u.rate.count;
            limits.tokens = u.rate.tokens;
          }
          const burstNow = changed(u.burst, limits.burst);
          if (burstNow.given) options.burst = burstNow.value;
          limits.burst = burstNow.value;
          const concurrentNow = changed(u.concurrent, Number.isFinite(limits.concurrent) ? limits.concurrent : undefined);
          if (concurrentNow.given) options.concurrent = concurrentNow.value;
          limits.concurrent = concurrentNow.value ?? Infinity;
          api.update(options);
          updated = true;
        }
        expect(await clock.step(), `a step with ${cue.status().pending} pending`).toBe(true);
        if ((clock.nextTimerAt() ?? Infinity) > clock.now()) noIdleWait();
        expect(steps).toBeLessThan(100_000);
      }
      expect(problems).toEqual([]);
      expect(cue.summary().totals.completed).toBe(s.works.length);
    }), { numRuns: 800 });
  });
});
