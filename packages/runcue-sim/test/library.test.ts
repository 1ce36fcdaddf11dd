import { describe, expect, it } from "vitest";
import { resolveConfig, runSimulation, SCENARIOS } from "../src/index.js";
import { Capture } from "./helpers.js";

describe("runcue-sim as a library (the README's example)", () => {
  it("runs a scenario and resolves with its summary", async () => {
    const stdout = new Capture();
    const summary = await runSimulation(
      resolveConfig({ scenario: "fanout", count: 20, errorRate: 0.05, virtual: true, mode: "json", seed: 1 }),
      { stdout, stderr: new Capture() },
    );
    expect(["completed", "stalled"]).toContain(summary.outcome);
    expect(summary.durationMs).toBeGreaterThan(0);
    expect(JSON.parse(stdout.text)).toEqual(summary);
  });

  it("lists the built-in scenarios", () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual(["single_queue", "pipeline", "fanout", "dynamic", "scheduled"]);
  });
});
