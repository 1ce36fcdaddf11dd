// The `scheduled` scenario: a runcue schedule feeding a pipeline on virtual time (issue 11).
import { describe, expect, it } from "vitest";
import { TICK_LATENCIES } from "../src/scenarios/scheduled.js";
import { ofKind, simulate } from "./helpers.js";

describe("scheduled", () => {
  it("ticks every 2 × latency on the run's clock; each tick's poll is transformed and stored", async () => {
    const { summary, events } = await simulate({ scenario: "scheduled", count: 10, latencyMs: 100, jitter: 0 });
    expect(summary).toMatchObject({ outcome: "completed", exitCode: 0, clock: "virtual", submitted: 30, completed: 30, failed: 0, pending: 0 });
    expect(summary.services.map((s) => [s.name, s.completed])).toEqual([["api", 10], ["local", 10], ["storage", 10]]);
    const polls = ofKind(events, "started").filter((e) => e.task === "poll");
    expect(polls.map((e) => e.at)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * TICK_LATENCIES * 100));
    // Each snapshot goes poll → transform → store, in order.
    const order = ofKind(events, "started").filter((e) => e.details === "tick_0004").map((e) => e.task);
    expect(order).toEqual(["transform", "store"]);
    expect(ofKind(events, "completed").find((e) => e.task === "poll" && e.details.endsWith("tick_0004"))).toBeDefined();
  });

  it("a rate-limited api: ticks that come while a poll waits coalesce (overlap skip), so polls never overlap and the run stretches", async () => {
    const { summary, events } = await simulate({ scenario: "scheduled", count: 6, latencyMs: 100, rate: "1/s" });
    expect(summary).toMatchObject({ outcome: "completed", submitted: 18, completed: 18 });
    const started = ofKind(events, "started").filter((e) => e.task === "poll");
    const ended = ofKind(events, "completed").filter((e) => e.task === "poll");
    expect(started).toHaveLength(6);
    for (let i = 1; i < started.length; i++) {
      expect(started[i]!.at).toBeGreaterThanOrEqual(ended[i - 1]!.at); // never two polls at once
      expect(started[i]!.at - started[i - 1]!.at).toBeGreaterThanOrEqual(1000); // the rate, not the 200 ms ticks
    }
    // Coalesced ticks leave gaps in the tick numbers the polls carry.
    const ticks = ended.map((e) => Number(/tick_(\d+)/.exec(e.details)?.[1]));
    expect(ticks.at(-1)).toBeGreaterThan(6);
  });

  it("the same seed gives the same run, failed polls and all", async () => {
    const a = await simulate({ scenario: "scheduled", count: 20, errorRate: 0.2, seed: 7 });
    const b = await simulate({ scenario: "scheduled", count: 20, errorRate: 0.2, seed: 7 });
    expect(a.summary.failed).toBeGreaterThan(0);
    expect(a.summary).toMatchObject({ outcome: "completed", submitted: 20 + 2 * (20 - a.summary.failed), pending: 0 });
    expect(b.events).toEqual(a.events);
  });
});
