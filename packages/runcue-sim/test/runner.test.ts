import { describe, expect, it } from "vitest";
import type { SimOptions } from "../src/config.js";
import type { Snapshot } from "../src/snapshot.js";
import { ofKind, simulate } from "./helpers.js";

/** The run, and a snapshot every `everyMs` of its clock: what the live display showed then. */
async function sampled(options: SimOptions, everyMs: number, stopAtMs?: number): Promise<{ durationMs: number; snapshots: Snapshot[]; summary: Awaited<ReturnType<typeof simulate>>["summary"] }> {
  const snapshots: Snapshot[] = [];
  const stop = new AbortController();
  const { summary } = await simulate(options, stop.signal, {
    everyMs,
    onSnapshot: (s) => {
      snapshots.push(s);
      if (stopAtMs !== undefined && s.elapsedMs >= stopAtMs) stop.abort();
    },
  });
  return { durationMs: summary.durationMs, snapshots, summary };
}

describe("--duration", () => {
  it("stops dispatching after that long, lets running work finish, and exits 0", async () => {
    const { summary, events } = await simulate({ count: 1000, durationS: 2, latencyMs: 100, jitter: 0 });
    expect(summary).toMatchObject({ outcome: "duration", exitCode: 0, cancelled: 0 });
    expect(summary.pending).toBeGreaterThan(0);
    expect(summary.durationMs).toBeGreaterThanOrEqual(2000);
    expect(summary.durationMs).toBeLessThanOrEqual(2100);
    expect(ofKind(events, "started").every((e) => e.at <= 2000)).toBe(true);
  });
});

describe("interrupt (Ctrl+C)", () => {
  it("abandons running work at once and ends with exit code 130", async () => {
    const stop = new AbortController();
    let ticks = 0;
    const run = simulate({ count: 100, concurrent: 3, mode: "json" }, stop.signal);
    // Interrupt from outside the run, a few real milliseconds in (the virtual driver yields between timers).
    const poll = setInterval(() => {
      if (ticks++ > 2) stop.abort();
    }, 1);
    const { summary } = await run;
    clearInterval(poll);
    expect(summary).toMatchObject({ outcome: "interrupted", exitCode: 130 });
    expect(summary.completed + summary.cancelled + summary.pending).toBe(summary.submitted);
  });
});

describe("stall detection", () => {
  it("reports a stall after ~2 s without a start or finish, repeats it, and the reports do not reset --timeout", async () => {
    const { summary, stdout } = await simulate({ scenario: "fanout", count: 10, errorRate: 0.1, seed: 5, timeoutS: 75, mode: "verbose" });
    expect(summary.outcome).toBe("stalled");
    expect(stdout.match(/Stall detected/g)).toHaveLength(1);
    expect(stdout.match(/Still stalled/g)).toHaveLength(2); // at 32 s and 62 s
    expect(summary.stall?.stalledForMs).toBeCloseTo(75_000, -1);
    const lastEvent = summary.durationMs - (summary.stall?.stalledForMs ?? 0);
    expect(summary.stall?.sinceMs).toBeCloseTo(lastEvent, -1);
  });

  it("does not call long-running handlers a stall", async () => {
    const { summary, stdout } = await simulate({ count: 10, latencyMs: 5000, jitter: 0, concurrent: 5, mode: "verbose" });
    expect(summary.outcome).toBe("completed");
    expect(stdout).not.toContain("Stall");
  });

  it("explains a rate-limit wait (debugBlocked never throws there) and says it once", async () => {
    const { summary, stdout } = await simulate({ count: 12, rate: "5/min", latencyMs: 10, mode: "verbose", virtual: false, timeoutS: 2.2 });
    expect(summary.outcome).toBe("stalled");
    expect(stdout).toMatch(/⏸ {2}Waiting [\d.]+s: 7 pending, nothing running \(rate_limited 7\); Service 'api' rate 5\/min used \(5\/5\); next start in \d+ms/);
    expect(summary.stall).toMatchObject({ kind: "waiting", byReason: { rate_limited: 7 } });
  });
});

describe("ETA", () => {
  it.each([
    ["300 items at 60/min", { count: 300, rate: "60/min" }, 30_000],
    ["12 items at 5/min", { count: 12, rate: "5/min", latencyMs: 10 }, 10_000],
    ["a pipeline of 500 at 120/min", { scenario: "pipeline", count: 500, rate: "120/min" }, 30_000],
    ["200 items, 3 at a time", { count: 200, concurrent: 3 }, 1000],
    ["100 items submitted 5 a second under 10/s", { count: 100, rate: "10/s", submitRate: 5 }, 4000],
  ] as [string, SimOptions, number][])("predicts %s from the limits, within 5% of what is left (latencies are random)", async (_name, options, everyMs) => {
    const { durationMs, snapshots } = await sampled(options, everyMs);
    expect(snapshots.length).toBeGreaterThan(3);
    for (const s of snapshots.filter((x) => x.elapsedMs < durationMs)) {
      const left = durationMs - s.elapsedMs;
      expect(s.etaMs, `at ${s.elapsedMs} ms`).toBeDefined();
      expect(Math.abs((s.etaMs as number) - left), `at ${s.elapsedMs} ms: ETA ${s.etaMs} for ${left} left`).toBeLessThanOrEqual(Math.max(200, 0.05 * left));
    }
  });

  it("is never shorter than a rate-window wait that is on", async () => {
    const { snapshots } = await sampled({ count: 40, rate: "5/min", latencyMs: 20 }, 5000);
    const waits = snapshots.filter((s) => s.stall?.kind === "waiting");
    expect(waits.length).toBeGreaterThan(10);
    for (const s of waits) expect(s.etaMs as number).toBeGreaterThanOrEqual(s.stall?.nextInMs as number);
  });

  it("is unknown once only work that is not ready is left (it may never end)", async () => {
    const { snapshots, summary } = await sampled({ scenario: "fanout", count: 10, errorRate: 0.1, seed: 5, timeoutS: 5 }, 500);
    expect(summary.outcome).toBe("stalled");
    const last = snapshots.filter((s) => s.queue.running === 0 && s.queue.queued === 0 && s.queue.waiting > 0);
    expect(last.length).toBeGreaterThan(5);
    for (const s of last) expect(s.etaMs).toBeUndefined();
  });
});

describe("the wait a run was stopped in", () => {
  it("Ctrl+C during a rate-limit wait: the summary keeps the wait's reason (taken before the cue stopped)", async () => {
    const { summary } = await sampled({ count: 20, rate: "5/min", latencyMs: 20 }, 30_000, 30_000);
    expect(summary).toMatchObject({ outcome: "interrupted", exitCode: 130, completed: 5, pending: 15, pendingByReason: { rate_limited: 15 } });
    expect(summary.stall).toMatchObject({ kind: "waiting", pending: 15, byReason: { rate_limited: 15 }, nextInMs: 30_000, more: 0, deadlocked: false });
    expect(summary.stall?.items).toEqual([{ id: "6", task: "work", label: "item_0006", reason: "rate_limited", details: "Service 'api' rate 5/min used (5/5); next start in 30000ms", count: 15, inMs: 30_000 }]);
  });

  it("Ctrl+C while work runs: no stall, the pending works by reason", async () => {
    const { summary } = await sampled({ count: 100, concurrent: 2 }, 1000, 1000);
    expect(summary).toMatchObject({ outcome: "interrupted", stall: null, cancelled: 2 });
    expect(summary.pendingByReason).toEqual({ service_full: summary.pending });
  });
});
