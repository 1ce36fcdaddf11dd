import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/config.js";
import { depthSeries, packRows, SAMPLES, throughputSeries } from "../src/report/charts.js";
import { renderReport } from "../src/report/html.js";
import { findScenario } from "../src/scenarios/index.js";
import type { Attempt, WorkSpan } from "../src/timeline.js";
import { simulate } from "./helpers.js";

function attempt(id: string, start: number, end: number, outcome: Attempt["outcome"] = "completed"): Attempt {
  return { id, task: "work", label: id, service: "api", attempt: 1, start, end, outcome };
}

describe("timeline lanes", () => {
  it("packs bars into rows that never overlap, as few as the peak concurrency", () => {
    const list = [attempt("1", 0, 10), attempt("2", 0, 5), attempt("3", 5, 9), attempt("4", 10, 12), attempt("5", 2, 11)];
    const { placed, rows } = packRows(list);
    expect(rows).toBe(3);
    for (const a of placed) for (const b of placed) {
      if (a !== b && a.row === b.row) expect(a.attempt.end <= b.attempt.start || b.attempt.end <= a.attempt.start).toBe(true);
    }
  });
});

describe("charts", () => {
  const spans: WorkSpan[] = [
    { id: "1", task: "work", submitted: 0, ended: 100, skipped: false },
    { id: "2", task: "work", submitted: 0, ended: 300, skipped: false },
    { id: "3", task: "work", submitted: 0, ended: 50, skipped: true },
  ];
  const attempts = [attempt("1", 0, 100), attempt("2", 0, 150, "retried"), attempt("2", 200, 300)];

  it("counts ended works over time", () => {
    const series = throughputSeries(spans, 400);
    expect(series.values).toHaveLength(SAMPLES);
    expect(series.values.reduce((a, b) => a + b, 0) * (series.stepMs / 1000)).toBeCloseTo(3);
  });

  it("tracks pending and running works, a retried work pending again between attempts", () => {
    const { pending, running } = depthSeries(spans, attempts, 400);
    const at = (s: { values: number[]; stepMs: number }, t: number): number => s.values[Math.floor(t / s.stepMs)] as number;
    expect(at(running, 20)).toBe(2);
    expect(at(pending, 20)).toBe(1); // work 3 until it is skipped at 50
    expect(at(pending, 170)).toBe(1); // work 2 waits for its retry
    expect(at(running, 250)).toBe(1);
    expect(at(pending, 350) + at(running, 350)).toBe(0);
  });
});

describe("the HTML report", () => {
  it("is one page with inline style, SVG and script, and escapes what it shows", async () => {
    const run = await simulate({ scenario: "fanout", count: 4, errorRate: 0.2, seed: 3, reportPath: "/dev/null" });
    const scenario = findScenario("fanout");
    if (scenario === undefined) throw new Error("fanout missing");
    const html = renderReport({
      summary: run.summary,
      config: resolveConfig({ scenario: "fanout", seed: 3 }),
      scenario,
      attempts: [{ ...attempt("1", 0, 10, "failed"), label: "<script>alert(1)</script>" }],
      spans: [],
      endMs: 10,
    });
    expect(html).toContain("<style>");
    expect(html).toContain("<svg");
    expect(html).toContain("<script>const tip");
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("&#60;script&#62;alert(1)");
    expect(html).toContain("Why it stalled");
  });
});
