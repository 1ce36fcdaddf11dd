// `npm run demo:dashboard` is examples/dashboard.ts: the pipeline runs, the dashboard shows it,
// the unreadable scan's summary stalls, and stopping the cue closes the dashboard.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { DashboardSnapshot } from "runcue-dashboard";
import { startDemo } from "./dashboard.js";

describe("examples/dashboard.ts", () => {
  it("runs the pipeline with the dashboard on: every summary but the unreadable scan's, then a stall that says why", async () => {
    const { cue, dashboard, settled } = await startDemo({ count: 15, stallAfter: 300 });
    const first = (await (await fetch(`${dashboard.url}snapshot.json`)).json()) as DashboardSnapshot;
    expect(first.title).toBe("document pipeline (runcue demo)");
    expect(first.services.map((s) => s.name)).toEqual(["web", "llm", "disk"]);
    expect(first.services.find((s) => s.name === "llm")?.rates[0]).toMatchObject({ label: "8/s", limit: 8 });
    await settled;
    await expect.poll(() => dashboard.snapshot().stall, { timeout: 5000 }).not.toBeNull();
    const s = dashboard.snapshot();
    expect(s.stall?.reasons.map((r) => r.reason)).toEqual(["not_ready"]);
    expect(s.pending).toBe(1);
    expect(s.reasons[0]?.examples[0]).toMatchObject({ task: "summarize" });
    expect(s.failures[0]?.error).toEqual({ name: "Permanent", message: "document 13 is an unreadable scan" });
    expect(s.totals.completed).toBe(15 + 14 + 14);
    await cue.stop({ timeout: 0 });
    await dashboard.closed; // it closes when the cue stops
  }, 30_000);

  it("as a program: prints the dashboard's address, and with --exit ends once the pipeline is done", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/dashboard.ts", "--count", "5", "--exit"], { encoding: "utf8", cwd: new URL("..", import.meta.url), timeout: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(lines.at(-1)).toMatch(/^done: 13 completed, 1 failed, \d+ retried; 1 summary waits for the unreadable scan$/);
  }, 30_000);

  it("as a program: refuses a bad --count, naming it", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/dashboard.ts", "--count", "many"], { encoding: "utf8", cwd: new URL("..", import.meta.url), timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--count many/);
  }, 30_000);
});
