import { describe, expect, it } from "vitest";
import { ofKind, simulate } from "./helpers.js";

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
