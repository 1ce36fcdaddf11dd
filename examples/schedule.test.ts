// The README's schedule example is examples/schedule.ts, verbatim, and runs as the README says.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("examples: schedules", () => {
  it("the README's schedule example is examples/schedule.ts, verbatim", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /### Schedules[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(new URL("./schedule.ts", import.meta.url), "utf8"));
  });

  it("catch-up resubmits the last 4 hours and staleness skips the 2 written; hourly and a Berlin cron tick on time", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/schedule.ts"], { encoding: "utf8", cwd: new URL("..", import.meta.url) });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "21:00 hourly-prices: submitted (catch-up)",
      "22:00 hourly-prices: submitted (catch-up)",
      "23:00 hourly-prices: submitted (catch-up)",
      "00:00 hourly-prices: submitted (catch-up)",
      '  skipped snapshot {"hour":"2026-05-31T21"}: already written',
      '  skipped snapshot {"hour":"2026-05-31T23"}: already written',
      '  ran snapshot {"hour":"2026-05-31T22"}',
      '  ran snapshot {"hour":"2026-06-01T00"}',
      // 02:30 in Berlin is 00:30 UTC in summer (CEST).
      "00:30 nightly-report: submitted",
      "  ran report {}: report of 4 snapshots",
      "01:00 hourly-prices: submitted",
      '  ran snapshot {"hour":"2026-06-01T01"}',
      "02:00 hourly-prices: submitted",
      '  ran snapshot {"hour":"2026-06-01T02"}',
      "03:00 hourly-prices: submitted",
      '  ran snapshot {"hour":"2026-06-01T03"}',
      "next snapshot at 2026-06-01T04:00:00.000Z",
    ]);
  }, 30_000);
});
