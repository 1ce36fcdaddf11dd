import { describe, expect, it } from "vitest";
import type { SimOptions } from "../src/config.js";
import { ofKind, simulate } from "./helpers.js";

describe("the virtual clock stands in for real time", () => {
  // Latencies from 60 to 180 ms, three at a time: seed 5 spreads its completions over 20 ms
  // apart, so their order in real time is not a coin toss (asserted below).
  const run: SimOptions = { scenario: "single_queue", count: 8, concurrent: 3, latencyMs: 120, jitter: 0.5, seed: 5 };

  it("a virtual and a real run agree on the order of events and, within tolerance, on duration", async () => {
    const virtual = await simulate({ ...run, virtual: true });
    const real = await simulate({ ...run, virtual: false });

    const finishes = ofKind(virtual.events, "completed").map((e) => e.at);
    const gaps = finishes.slice(1).map((t, i) => t - (finishes[i] as number)).filter((g) => g > 0);
    expect(Math.min(...gaps)).toBeGreaterThan(20);

    const order = (events: typeof virtual.events): string[] => events.map((e) => `${e.kind} ${e.task} #${e.id}`);
    expect(order(real.events)).toEqual(order(virtual.events));
    expect(real.summary.completed).toBe(virtual.summary.completed);
    const diff = Math.abs(real.summary.durationMs - virtual.summary.durationMs) / 1000;
    expect(diff).toBeLessThan(0.05 + 0.15 * (virtual.summary.durationMs / 1000));
    expect(virtual.summary.clock).toBe("virtual");
    expect(real.summary.clock).toBe("real");
  });

  it("a large rate-limited run takes simulated hours and real seconds", async () => {
    const started = performance.now();
    const { summary } = await simulate({ count: 3000, rate: "60/min", errorRate: 0.02, seed: 11 });
    expect(summary.completed + summary.failed).toBe(3000);
    // 3000 starts at 60 per minute: the last minute's window opens after 49 minutes.
    expect(summary.durationMs).toBeGreaterThan(49 * 60_000);
    expect(summary.durationMs).toBeLessThan(50 * 60_000 + 5000);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
