import { describe, expect, it } from "vitest";
import { FANOUT_WIDTH } from "../src/scenarios/fanout.js";
import { ofKind, simulate } from "./helpers.js";

describe("single_queue", () => {
  it("runs every item once through `api` and ends with exit code 0", async () => {
    const { summary, events } = await simulate({ scenario: "single_queue", count: 50 });
    expect(summary).toMatchObject({ outcome: "completed", exitCode: 0, submitted: 50, completed: 50, failed: 0, skipped: 0, pending: 0, clock: "virtual" });
    expect(summary.services.map((s) => [s.name, s.completed])).toEqual([["api", 50]]);
    expect(ofKind(events, "started")).toHaveLength(50);
  });

  it("takes about count × latency / concurrency of simulated time", async () => {
    const { summary } = await simulate({ count: 100, latencyMs: 100, jitter: 0, concurrent: 5 });
    expect(summary.durationMs / 1000).toBeCloseTo(2, 1);
    expect(summary.services[0]?.utilisation).toBeGreaterThan(0.95);
  });

  it("fails about error-rate of the items, the same ones for the same seed", async () => {
    const a = await simulate({ count: 200, errorRate: 0.1, seed: 42 });
    const b = await simulate({ count: 200, errorRate: 0.1, seed: 42 });
    expect(a.summary.failed).toBeGreaterThan(8);
    expect(a.summary.failed).toBeLessThan(35);
    expect(a.summary.completed + a.summary.failed).toBe(200);
    expect(b.events).toEqual(a.events);
  });

  it("gives other outcomes for another seed", async () => {
    const a = await simulate({ count: 200, errorRate: 0.1, seed: 1 });
    const b = await simulate({ count: 200, errorRate: 0.1, seed: 2 });
    expect(ofKind(b.events, "failed").map((e) => e.id)).not.toEqual(ofKind(a.events, "failed").map((e) => e.id));
  });

  it("respects the rate limit: 10 per second for 30 items takes over 2 s", async () => {
    const { summary } = await simulate({ count: 30, rate: "10/s", latencyMs: 10 });
    expect(summary.completed).toBe(30);
    expect(summary.durationMs).toBeGreaterThan(2000);
    expect(summary.durationMs).toBeLessThan(2200);
  });

  it("converts the old count/seconds rate exactly: 1 per 120 s still runs", async () => {
    const { summary } = await simulate({ count: 2, rate: { limit: 1, interval: 120_000 }, latencyMs: 10, timeoutS: 1000 });
    expect(summary.completed).toBe(2);
    expect(summary.durationMs / 1000).toBeCloseTo(120, 0);
  });

  it("paces initial submissions with --submit-rate", async () => {
    const { summary, events } = await simulate({ count: 11, submitRate: 5, latencyMs: 10 });
    const queued = ofKind(events, "queued");
    expect(queued.at(-1)?.at).toBeCloseTo(2000, 0);
    expect(summary.durationMs).toBeGreaterThan(2000);
  });

  it("marks outliers in the log and makes them slower", async () => {
    const { events } = await simulate({ count: 100, outliers: 0.2, outlierMult: 5, jitter: 0, seed: 3 });
    const done = ofKind(events, "completed");
    const outliers = done.filter((e) => e.details.includes("[outlier]"));
    expect(outliers.length).toBeGreaterThan(5);
    for (const e of outliers) expect(Number.parseInt(e.details, 10)).toBeGreaterThanOrEqual(400);
  });
});

describe("pipeline", () => {
  it("runs extract, transform and load for every item", async () => {
    const { summary, events } = await simulate({ scenario: "pipeline", count: 20 });
    expect(summary).toMatchObject({ outcome: "completed", submitted: 60, completed: 60, failed: 0 });
    expect(summary.services.map((s) => [s.name, s.completed])).toEqual([["local", 20], ["api", 20], ["storage", 20]]);
    // Each item's stages run in order.
    const order = events.filter((e) => e.kind === "started" && e.details.startsWith("item_0007")).map((e) => e.task);
    expect(order).toEqual(["extract", "transform", "load"]);
  });

  it("ends an item's chain when its transform fails: no load, no stall", async () => {
    const { summary } = await simulate({ scenario: "pipeline", count: 40, errorRate: 0.25, seed: 9 });
    const failed = summary.failed;
    expect(failed).toBeGreaterThan(0);
    expect(summary.services.find((s) => s.name === "api")?.failed).toBe(failed);
    expect(summary).toMatchObject({ outcome: "completed", submitted: 40 + 40 + (40 - failed), completed: 40 + 2 * (40 - failed), pending: 0 });
  });
});

describe("fanout", () => {
  it("runs split, 5 processes and an aggregate per batch", async () => {
    const { summary } = await simulate({ scenario: "fanout", count: 6 });
    expect(summary).toMatchObject({ outcome: "completed", submitted: 6 * (FANOUT_WIDTH + 2), completed: 6 * (FANOUT_WIDTH + 2) });
    expect(summary.services.map((s) => [s.name, s.completed])).toEqual([["splitter", 6], ["processor", 30], ["aggregator", 6]]);
  });

  it("holds each aggregate until all 5 of its parts exist", async () => {
    const { events } = await simulate({ scenario: "fanout", count: 3 });
    for (const batch of ["batch_0001", "batch_0002", "batch_0003"]) {
      const aggregateStart = events.find((e) => e.kind === "started" && e.task === "aggregate" && e.details === batch);
      const lastPart = events.filter((e) => e.kind === "completed" && e.task === "process").length;
      expect(aggregateStart).toBeDefined();
      expect(lastPart).toBe(15);
      const partsDone = events.filter((e) => e.kind === "completed" && e.task === "process" && e.at <= (aggregateStart?.at ?? 0));
      const ids = new Set(events.filter((e) => e.kind === "queued" && e.details.startsWith(`${batch}/`)).map((e) => e.id));
      expect(partsDone.filter((e) => ids.has(e.id))).toHaveLength(5);
    }
  });

  it("stalls when a process fails, and the report names the aggregate and the failed part", async () => {
    const { summary } = await simulate({ scenario: "fanout", count: 10, errorRate: 0.1, seed: 5, timeoutS: 4 });
    expect(summary.failed).toBeGreaterThan(0);
    expect(summary).toMatchObject({ outcome: "stalled", exitCode: 3 });
    expect(summary.pending).toBeGreaterThan(0);
    const stall = summary.stall;
    expect(stall?.byReason).toEqual({ not_ready: summary.pending });
    expect(stall?.stalledForMs).toBeCloseTo(4000, -1);
    expect(stall?.items[0]).toMatchObject({ task: "aggregate", reason: "not_ready" });
    expect(stall?.items[0]?.details).toMatch(/waiting for parts? [\d, ]+ of batch_\d{4}; part \d failed: Simulated error/);
  });

  it("on the virtual clock without --timeout, stops a stall nothing can end (exit code 3)", async () => {
    const { summary } = await simulate({ scenario: "fanout", count: 10, errorRate: 0.1, seed: 5 });
    expect(summary).toMatchObject({ outcome: "stalled", exitCode: 3 });
    expect(summary.stall?.deadlocked).toBe(true);
    expect(summary.stall?.stalledForMs).toBeCloseTo(2000, -1);
  });
});

describe("dynamic", () => {
  it("publishes and checks every document; checks cause rebuild cycles", async () => {
    const { summary, events } = await simulate({ scenario: "dynamic", count: 30, seed: 4 });
    expect(summary).toMatchObject({ outcome: "completed", failed: 0, pending: 0 });
    expect(summary.completed + summary.skipped).toBe(summary.submitted);
    expect(summary.invalidations).toBeGreaterThan(0);
    const publishes = ofKind(events, "completed").filter((e) => e.task === "publish").length;
    const checks = ofKind(events, "completed").filter((e) => e.task === "check");
    const rebuilds = checks.filter((e) => e.details.includes("rebuild:")).length;
    // Every rebuild republishes once; every publish is checked once.
    expect(publishes).toBe(30 + rebuilds);
    expect(checks).toHaveLength(publishes);
    expect(checks.filter((e) => e.details.includes("verified"))).toHaveLength(30);
  });

  it("logs each invalidated artifact and refetches it before the document is republished", async () => {
    const { events } = await simulate({ scenario: "dynamic", count: 30, seed: 4 });
    const invalidated = ofKind(events, "invalidated");
    expect(invalidated.length).toBeGreaterThan(0);
    for (const inv of invalidated) {
      const artifact = inv.details.split(" ")[0] as string;
      const refetch = events.find((e) => e.at >= inv.at && e.kind === "completed" && e.task === "api_fetch" && events.some((q) => q.kind === "queued" && q.id === e.id && q.details === artifact));
      expect(refetch, `refetch of ${artifact}`).toBeDefined();
    }
  });

  it("retries failed API fetches, and a fetch that fails for good blocks its documents (explained)", async () => {
    const { summary } = await simulate({ scenario: "dynamic", count: 30, errorRate: 0.4, seed: 8, timeoutS: 3 });
    expect(summary.retries).toBeGreaterThan(0);
    expect(summary.failed).toBeGreaterThan(0);
    expect(summary).toMatchObject({ outcome: "stalled", exitCode: 3 });
    const publish = summary.stall?.items.find((i) => i.task === "publish");
    expect(publish?.details).toMatch(/doc_\d{3} waiting for .*\(failed: (API|Local) error/);
  });
});
