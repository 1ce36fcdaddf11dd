import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cue, sleep, VirtualClock, type Work } from "runcue";
import { maxInWindow } from "./helpers.js";

interface Params {
  n: number;
  duration: number;
  fails: number; // attempts that throw before one succeeds
  readyAt: number; // virtual ms; Infinity = never ready
  done: boolean; // output already valid → skip
  delay: number;
}

const serviceArb = fc.record({
  concurrent: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  rate: fc.option(fc.record({ limit: fc.integer({ min: 1, max: 5 }), interval: fc.integer({ min: 50, max: 1000 }) }), { nil: undefined }),
});

const workloadArb = fc.record({
  services: fc.array(serviceArb, { minLength: 1, maxLength: 3 }),
  tasks: fc.array(fc.record({ uses: fc.subarray([0, 1, 2]), attempts: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 4 }),
  works: fc.array(
    fc.record({
      task: fc.nat(),
      duration: fc.integer({ min: 0, max: 300 }),
      fails: fc.integer({ min: 0, max: 3 }),
      readyAt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 }), fc.constant(Infinity)),
      done: fc.boolean(),
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 500 })),
      priority: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
      after: fc.array(fc.nat(), { maxLength: 2 }), // earlier works this one waits for (by index)
    }),
    { minLength: 1, maxLength: 40 },
  ),
  cancels: fc.array(fc.record({ at: fc.integer({ min: 0, max: 3000 }), index: fc.nat() }), { maxLength: 3 }),
});

describe("invariants under random workloads", () => {
  it("limits hold, every work ends once or has a reason, no handler runs unready or before its after list completed", async () => {
    await fc.assert(
      fc.asyncProperty(workloadArb, async (wl) => {
        const clock = new VirtualClock(0);
        const cue = new Cue({ clock, recheckInterval: 100 });
        const names = wl.services.map((_, i) => `s${i}`);
        wl.services.forEach((s, i) => {
          cue.service(names[i]!, {
            ...(s.concurrent !== undefined ? { concurrent: s.concurrent } : {}),
            ...(s.rate !== undefined ? { rate: { limit: s.rate.limit, interval: s.rate.interval } } : {}),
          });
        });
        const active = new Map<string, number>(names.map((n) => [n, 0]));
        const starts = new Map<string, number[]>(names.map((n) => [n, []]));
        const violations: string[] = [];
        const ends = new Map<string, number>();
        const ready = (p: Params): boolean => clock.now() >= p.readyAt;
        const depsOf = new Map<string, string[]>();
        const completed = new Set<string>();
        wl.tasks.forEach((t, ti) => {
          const uses = [...new Set(t.uses.filter((u) => u < names.length).map((u) => names[u]!))];
          cue.task(`t${ti}`, { uses, retry: { attempts: t.attempts, delay: 20 } }, async (w: Work<Params>) => {
            if (!ready(w.params)) violations.push(`work ${w.id} ran while not ready`);
            for (const dep of depsOf.get(w.id) ?? []) if (!completed.has(dep)) violations.push(`work ${w.id} ran before work ${dep} of its after list completed`);
            for (const u of uses) {
              const a = active.get(u)! + 1;
              active.set(u, a);
              const cap = wl.services[names.indexOf(u)]!.concurrent;
              if (cap !== undefined && a > cap) violations.push(`${u} ran ${a} > ${cap}`);
              starts.get(u)!.push(clock.now());
            }
            try {
              // A well-behaved handler stops when its signal aborts (cancel); one that ignores it
              // keeps running after runcue has freed its slot (documented).
              await sleep(clock, w.params.duration, w.signal);
              if (w.attempt <= w.params.fails) throw new Error(`attempt ${w.attempt} fails`);
              return w.params.n;
            } finally {
              for (const u of uses) active.set(u, active.get(u)! - 1);
            }
          });
        });
        cue.isReady((w) => ready(w.params as Params));
        cue.isStale((w) => !(w.params as Params).done);
        const bump = (w: Work): void => { ends.set(w.id, (ends.get(w.id) ?? 0) + 1); };
        cue.onComplete((w) => { completed.add(w.id); bump(w); });
        cue.onSkip((w) => { completed.add(w.id); bump(w); });
        cue.onFailure(bump);
        cue.start();
        const ids: string[] = [];
        for (const [n, w] of wl.works.entries()) {
          const params: Params = { n, duration: w.duration, fails: w.fails, readyAt: w.readyAt, done: w.done, delay: w.delay };
          const after = ids.length === 0 ? [] : [...new Set(w.after.map((a) => ids[a % ids.length]!))];
          const id = await cue.submit(`t${w.task % wl.tasks.length}`, params, { delay: w.delay, after, ...(w.priority !== undefined ? { priority: w.priority } : {}) });
          depsOf.set(id, after);
          ids.push(id);
        }
        const cancelled = new Set<string>();
        for (const c of [...wl.cancels].sort((a, b) => a.at - b.at)) {
          await clock.advanceTo(c.at);
          const id = ids[c.index % ids.length]!;
          if (await cue.cancel(id)) cancelled.add(id);
        }
        await clock.advanceTo(30_000);

        expect(violations).toEqual([]);
        wl.services.forEach((s, i) => {
          if (s.rate) expect(maxInWindow(starts.get(names[i]!)!, s.rate.interval)).toBeLessThanOrEqual(s.rate.limit);
        });
        const reasons = new Map(cue.debugBlocked().map((b) => [b.work.id, b.reason]));
        for (const id of ids) {
          const w = (await cue.get(id))!;
          const ended = ends.get(id) ?? 0;
          if (w.state === "pending") {
            expect(ended).toBe(0);
            expect(reasons.get(id)).toBeDefined();
            // Only work that can never become ready (or waits for such work) may still wait this late.
            expect(["not_ready", "waiting_for"]).toContain(reasons.get(id));
          } else if (w.state === "cancelled") {
            expect(cancelled.has(id)).toBe(true);
            expect(ended).toBe(0);
          } else {
            expect(["completed", "failed"]).toContain(w.state);
            expect(ended).toBe(1);
          }
          // A dependency that failed or was cancelled fails the work (unless it was cancelled itself).
          const deps = await Promise.all((depsOf.get(id) ?? []).map((d) => cue.get(d)));
          if (deps.some((d) => d!.state === "failed" || d!.state === "cancelled") && w.state !== "cancelled") expect(w.state).toBe("failed");
        }
        await cue.stop();
      }),
      { numRuns: 200 },
    );
  });
});
