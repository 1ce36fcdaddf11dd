import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CueStatus } from "runcue";
import { ConditionRecorder, type Condition } from "../src/conditions.js";
import { resolveConfig } from "../src/config.js";
import { depthSeries, packRows, throughputBinMs, throughputSeries, timeAxis, valueAxis } from "../src/report/charts.js";
import { renderReport } from "../src/report/html.js";
import { findScenario } from "../src/scenarios/index.js";
import { SimState } from "../src/state.js";
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

  it("counts ended works over time, per second, in buckets of the given length", () => {
    const series = throughputSeries(spans, 400, 2);
    expect(series.values).toHaveLength(200);
    expect(series.values.reduce((a, b) => a + b, 0) * (series.stepMs / 1000)).toBeCloseTo(3);
    expect(series.values[50]).toBe(500); // one work ended in the 2 ms from 100 ms: 500 per second
  });

  it("buckets throughput so that rate-window bursts show: at most a quarter of the window, dividing it", () => {
    // 10,000 items at 60/min last 2 h 46 min: 15 s buckets, so each minute's burst has its own bucket.
    expect(throughputBinMs(9_960_000, [60_000])).toBe(15_000);
    // Without a rate limit, about 150 round buckets.
    expect(throughputBinMs(9_960_000, [])).toBe(120_000);
    expect(throughputBinMs(2_000, [])).toBe(20);
    // A window longer than half the run cannot repeat: no alignment needed.
    expect(throughputBinMs(90_000, [60_000])).toBe(1000);
    for (const [end, interval] of [[3_600_000, 60_000], [86_400_000, 3_600_000], [20_000, 1000], [600_000, 90_000]] as const) {
      const bin = throughputBinMs(end, [interval]);
      expect(interval % bin, `${end}/${interval}`).toBe(0);
      expect(bin).toBeLessThanOrEqual(interval / 4);
    }
  });

  it("puts round ticks on the axes, never past the end of the run", () => {
    const t = timeAxis(9_960_000);
    expect(t.unit).toBe("min");
    expect(t.ticks.map((x) => t.label(x))).toEqual(["0", "20", "40", "60", "80", "100", "120", "140", "160"]);
    expect(Math.max(...t.ticks)).toBeLessThanOrEqual(9_960_000);
    const s = timeAxis(5_110);
    expect(s.unit).toBe("s");
    expect(s.ticks.map((x) => s.label(x))).toEqual(["0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"]);
    expect(valueAxis(4.3)).toEqual({ max: 5, ticks: [0, 1, 2, 3, 4, 5] });
    expect(valueAxis(0.37)).toEqual({ max: 0.4, ticks: [0, 0.1, 0.2, 0.3, 0.4] });
    expect(valueAxis(0)).toEqual({ max: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(valueAxis(9500)).toEqual({ max: 10_000, ticks: [0, 2000, 4000, 6000, 8000, 10_000] });
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
      conditions: [],
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

const tmp = mkdtempSync(join(tmpdir(), "runcue-sim-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The bars of the throughput chart: [x start, x end] of each non-empty bucket, in drawing order. */
function throughputBars(html: string): [number, number][] {
  const d = /<path d="([^"]*)" [^>]*data-series="Throughput"/.exec(html)?.[1] ?? "";
  return [...d.matchAll(/M([\d.]+),[\d.]+V[\d.]+H([\d.]+)V[\d.]+Z/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

describe("the report of real runs", () => {
  it("shows a 10,000-item 60/min run as one burst of throughput per minute", async () => {
    const path = join(tmp, "burst.html");
    const { summary } = await simulate({ count: 10_000, rate: "60/min", errorRate: 0.02, seed: 1, reportPath: path });
    const minutes = Math.ceil(summary.durationMs / 60_000);
    const html = readFileSync(path, "utf8");
    expect(html).toContain("counted in 15 s buckets");
    const bars = throughputBars(html);
    // Bars that touch belong to one burst.
    const bursts: [number, number][] = [];
    for (const [a, b] of bars) {
      const last = bursts.at(-1);
      if (last !== undefined && a - last[1] < 0.01) last[1] = b;
      else bursts.push([a, b]);
    }
    expect(bursts).toHaveLength(minutes);
    // Each burst is one bucket wide (the last bucket may be cut by the end of the run), with empty buckets between.
    const bucket = (bars[0]?.[1] ?? 0) - (bars[0]?.[0] ?? 0);
    for (const [a, b] of bursts.slice(0, -1)) expect(b - a).toBeCloseTo(bucket, 1);
    for (let i = 1; i < bursts.length; i++) expect((bursts[i] as [number, number])[0] - (bursts[i - 1] as [number, number])[1]).toBeGreaterThan(2 * bucket);
  }, 60_000);

  it("marks when a service was rate-limited, and the run waiting, with the reason on hover", async () => {
    const path = join(tmp, "rate.html");
    await simulate({ count: 12, rate: "5/min", latencyMs: 10, reportPath: path });
    const html = readFileSync(path, "utf8");
    const limited = [...html.matchAll(/<rect [^>]*class="cond" data-kind="rate_limited"[^>]*data-tip="([^"]*)"/g)].map((m) => m[1] ?? "");
    expect(limited.length).toBe(2); // before the 2nd and the 3rd minute's starts
    expect(limited[0]).toMatch(/^api rate-limited from 00:00:00\.000 to 00:01:00\.000 \(1m 00s\) · rate window full: 5\/min \(5\/5 used\); 7 works waiting$/);
    expect(html).toMatch(/data-kind="waiting"[^>]*data-tip="whole run waiting from 00:00:00\.0\d\d to 00:01:00\.000/);
  });

  it("marks when a service was full (all slots busy with work waiting)", async () => {
    const path = join(tmp, "full.html");
    await simulate({ count: 20, concurrent: 2, reportPath: path });
    const html = readFileSync(path, "utf8");
    expect(html).toMatch(/class="cond" data-kind="full"[^>]*data-tip="api full from 00:00:00\.000 to 00:00:0\d\.\d{3} \([^)]*\) · all 2 slots busy; 18 works waiting"/);
  });

  it("marks a stall, says why it stalled, and how many blocked works it does not list", async () => {
    const path = join(tmp, "stall.html");
    const { summary } = await simulate({ scenario: "fanout", count: 60, errorRate: 0.3, seed: 2, timeoutS: 3, reportPath: path });
    expect(summary.stall?.items).toHaveLength(10);
    expect(summary.stall?.more).toBeGreaterThan(0);
    const html = readFileSync(path, "utf8");
    expect(html).toContain("Why it stalled");
    expect(html).toContain(`<li class="more">and ${summary.stall?.more} more pending works</li>`);
    expect(html).toMatch(/data-kind="stalled"[^>]*data-tip="whole run stalled from [\d:.]+ to [\d:.]+ \(3\.00s\) · stalled: only work that is not ready; \d+ pending \(not_ready \d+\)/);
    expect(html).not.toContain("`");
  });
});

/**
 * The conditions recorded over a 10 s run in which a RateLimited pushback paused service "api"
 * from 1 s to 6 s. The simulated scenarios never push back, so the recorder is fed directly.
 */
function pausedConditions(): Condition[] {
  let now = 0;
  let pausedUntil = 0;
  const epoch = 1_000_000;
  const state = new SimState(() => now, true);
  state.addService("api", null);
  state.taskUses("work", ["api"]);
  // What cue.status() says of one service; only the fields the recorder reads matter.
  const status = (): CueStatus => ({ started: true, pending: 1, running: 0, queued: 1, checking: 0, blocked: 0, delayed: 0, retained: 0, services: [{ name: "api", active: 0, concurrent: 5, rates: [], pausedUntil }] }) as unknown as CueStatus;
  const recorder = new ConditionRecorder(state, status, () => epoch + now, () => now);
  now = 1000;
  pausedUntil = epoch + 6000;
  state.queued("1", "work", "item_0001");
  now = 9000;
  pausedUntil = 0;
  state.queued("2", "work", "item_0002");
  recorder.finish(10_000);
  return recorder.conditions;
}

describe("when services were held back", () => {
  it("a RateLimited pushback pause is a spell that ends when the pause does", () => {
    expect(pausedConditions()).toEqual([{ service: "api", kind: "paused", start: 1000, end: 6000, reason: "paused by a RateLimited pushback for 5.00s" }]);
  });

  it("the report marks a paused spell on its service's lane, with the reason on hover and its total in the legend", async () => {
    const run = await simulate({ count: 2, latencyMs: 10 });
    const scenario = findScenario("single_queue");
    if (scenario === undefined) throw new Error("single_queue missing");
    expect(run.summary.services.map((v) => v.name)).toEqual(["api"]);
    const html = renderReport({
      summary: run.summary,
      config: resolveConfig({ seed: 1 }),
      scenario,
      attempts: [attempt("1", 0, 1000), attempt("2", 6000, 7000)],
      spans: [],
      conditions: pausedConditions(),
      endMs: 10_000,
    });
    const tip = "api paused from 00:00:01.000 to 00:00:06.000 (5.00s) · paused by a RateLimited pushback for 5.00s";
    const marks = [...html.matchAll(/<rect [^>]*class="(cond|tint)" data-kind="paused"[^>]*data-tip="([^"]*)"><title>([^<]*)<\/title>/g)];
    // The strip above the lane and the tint behind its bars, both with the reason as tooltip and title.
    expect(marks.map((m) => m[1]).sort()).toEqual(["cond", "tint"]);
    for (const m of marks) expect([m[2], m[3]]).toEqual([tip, tip]);
    // From 1 s to 6 s of a 10 s run: the strip starts a tenth of the way along the plot (which
    // starts at x 130) and is five times that wide; in the paused colour.
    const strip = /<rect x="([\d.]+)" [^>]*width="([\d.]+)" [^>]*class="cond" data-kind="paused" fill="(#[0-9a-f]+)"/.exec(html);
    expect(Number(strip?.[2]) / (Number(strip?.[1]) - 130)).toBeCloseTo(5, 2);
    expect(strip?.[3]).toBe("#b8336a");
    expect(html).toContain(">paused: 5.00s</text>");
    expect(html).toContain(">a RateLimited pushback</text>");
    expect(html).not.toContain('data-kind="rate_limited"');
  });

  it("after Ctrl+C during a wait, the report says what the run was waiting for", async () => {
    const path = join(tmp, "interrupted.html");
    const stop = new AbortController();
    await simulate({ count: 20, rate: "5/min", latencyMs: 20, reportPath: path }, stop.signal, { everyMs: 30_000, onSnapshot: () => stop.abort() });
    const html = readFileSync(path, "utf8");
    expect(html).toContain("interrupted (Ctrl+C) with 15 works pending (exit 130)");
    expect(html).toContain("<h2>What the run was waiting for when it ended</h2><p>15 works pending (rate_limited 15)");
    expect(html).toContain("Service &#39;api&#39; rate 5/min used (5/5); next start in 30000ms");
    expect(html).not.toContain("not started");
  });
});
