// Issue 8 invariants under random workloads: weighted windows (counting reported costs), burst
// and per-key limits hold, and every work completes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cue, VirtualClock, sleep, type Work } from "runcue";
import { maxInWindow, maxWeightInWindow } from "./helpers.js";

interface Spec {
  count: number;
  tokens: number;
  intervalMs: number;
  burst: number | undefined;
  concurrent: number | undefined;
  keys: number;
  works: { key: number; est: number; real: number; reportSync: boolean; ms: number; flaky: boolean }[];
  asyncChecks: boolean;
  update: { at: number; count: number; tokens: number } | undefined;
}

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
    real: fc.integer({ min: 0, max: 50 }),
    reportSync: fc.boolean(),
    ms: fc.constantFrom(0, 1, 30.5, 120),
    flaky: fc.boolean(),
  }), { minLength: 1, maxLength: 25 }),
  asyncChecks: fc.boolean(),
  update: fc.option(fc.record({ at: fc.integer({ min: 1, max: 500 }), count: fc.integer({ min: 1, max: 6 }), tokens: fc.integer({ min: 50, max: 400 }) }), { nil: undefined }),
});

describe("limits under random costs, bursts, keys and updates", () => {
  it("windows (counting reported over-estimates), bursts and per-key limits hold, and every work completes", async () => {
    await fc.assert(fc.asyncProperty(spec, async (s) => {
      const clock = new VirtualClock(0.3);
      const cue = new Cue({ clock });
      const per = s.keys > 1 ? { per: (w: Work) => `k${(w.params as { key: number }).key % s.keys}` } : {};
      const api = cue.service("api", {
        rate: [{ limit: s.count, interval: s.intervalMs }, { limit: s.tokens, interval: s.intervalMs, measure: "tokens" }],
        ...(s.concurrent === undefined ? {} : { concurrent: s.concurrent }),
        ...(s.burst === undefined || s.burst >= s.count ? {} : { burst: s.burst }),
        ...per,
      });
      // Per key: start times, the weights the windows hold (reported when settled), running counts.
      const starts = new Map<string, number[]>();
      const weights = new Map<string, [number, number][]>();
      const running = new Map<string, number>();
      let overConcurrent = false;
      // Flaky works fail their first attempt and retry (their key's queue may be dropped meanwhile);
      // async staleness checks make every retry take a dispatch check.
      if (s.asyncChecks) cue.isStale(async () => { await sleep(clock, 0.5); return true; });
      cue.task("t", { uses: "api", retry: { attempts: 2, delay: 3 }, cost: (w: Work<{ est: number }>) => ({ tokens: w.params.est }) }, async (w: Work<{ key: number; est: number; real: number; reportSync: boolean; ms: number; flaky: boolean }>) => {
        const key = s.keys > 1 ? `k${w.params.key % s.keys}` : "all";
        const now = clock.now();
        (starts.get(key) ?? starts.set(key, []).get(key)!).push(now);
        const entry: [number, number] = [now, w.params.est];
        (weights.get(key) ?? weights.set(key, []).get(key)!).push(entry);
        const n = (running.get(key) ?? 0) + 1;
        running.set(key, n);
        if (s.concurrent !== undefined && n > s.concurrent) overConcurrent = true;
        // Settle an over-estimate, before the start is stamped or after. (An under-estimate uses
        // budget already spent: the window may go over, and the next starts wait; see the unit tests.)
        const real = Math.min(w.params.real, w.params.est);
        if (w.params.reportSync) {
          w.report({ tokens: real });
          entry[1] = real;
        }
        await sleep(clock, w.params.ms);
        if (!w.params.reportSync) {
          w.report({ tokens: real });
          entry[1] = real;
        }
        running.set(key, (running.get(key) ?? 1) - 1);
        if (w.params.flaky && w.attempt === 1) throw new Error("flaky");
      });
      cue.start();
      for (const w of s.works) await cue.submit("t", w);
      if (s.update !== undefined) {
        await clock.advance(s.update.at);
        api.update({ rate: [{ limit: s.update.count, interval: s.intervalMs }, { limit: s.tokens, interval: s.intervalMs, measure: "tokens" }], ...(s.concurrent === undefined ? {} : { concurrent: s.concurrent }) });
      }
      await clock.runUntilIdle(() => cue.idle(), 200_000);
      expect(cue.summary().totals.completed).toBe(s.works.length);
      expect(overConcurrent).toBe(false);
      const countLimit = Math.max(s.count, s.update?.count ?? 0);
      for (const [key, times] of starts) {
        expect(maxInWindow(times, s.intervalMs), `starts of ${key}`).toBeLessThanOrEqual(countLimit);
        if (s.burst !== undefined && s.burst < s.count && s.update === undefined) {
          expect(maxInWindow(times, (s.burst * s.intervalMs) / s.count), `burst of ${key}`).toBeLessThanOrEqual(s.burst);
        }
        expect(maxWeightInWindow(weights.get(key) ?? [], s.intervalMs), `tokens of ${key}`).toBeLessThanOrEqual(s.tokens);
      }
    }), { numRuns: 120 });
  });
});
