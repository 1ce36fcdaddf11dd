import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/config.js";
import { clockTime, colorsFor, eventLine, humanDuration } from "../src/display/format.js";
import { PlainDisplay, statusLine } from "../src/display/plain.js";
import { summaryText } from "../src/display/text.js";
import { TuiDisplay } from "../src/display/tui.js";
import { singleQueue } from "../src/scenarios/single-queue.js";
import type { Snapshot } from "../src/snapshot.js";
import type { StallReport } from "../src/stall.js";
import type { Summary } from "../src/summary.js";
import { Capture } from "./helpers.js";

const config = resolveConfig({ seed: 7, rate: "60/min" });

function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    elapsedMs: 12_345,
    queue: { queued: 40, waiting: 2, running: 5, retrying: 1, completed: 50, skipped: 3, failed: 4, cancelled: 0 },
    submitted: 105,
    expected: 120,
    done: 57,
    progress: 57 / 120,
    throughput: 4.05,
    recentThroughput: 5,
    etaMs: 12_600,
    services: [
      { name: "api", active: 5, concurrent: 5, rate: { used: 42, limit: 60, intervalMs: 60_000 }, completed: 50, failed: 4, throughput: 4.4 },
      { name: "local", active: 0, concurrent: Infinity, rate: undefined, completed: 3, failed: 0, throughput: 0.2 },
    ],
    recent: [
      { at: 12_001, kind: "completed", task: "work", id: "48", details: "103ms" },
      { at: 12_100, kind: "failed", task: "work", id: "49", details: "Simulated error" },
    ],
    stall: undefined,
    ...overrides,
  };
}

const stall: StallReport = {
  since: 10_000,
  stalledFor: 2_345,
  total: 6,
  byReason: { not_ready: 2, service_full: 4 },
  items: [
    { id: "37", task: "aggregate", label: "batch_0005", reason: "not_ready", details: "waiting for part 3 of batch_0005; part 3 failed: Simulated error", count: 1 },
    { id: "41", task: "process", label: "batch_0006/1", reason: "service_full", details: "Service 'processor' at capacity (5/5)", count: 4 },
  ],
  kind: "blocked",
  nextInMs: undefined,
  deadlocked: false,
};

describe("formatting", () => {
  it("writes times as HH:MM:SS.mmm since the start", () => {
    expect(clockTime(0)).toBe("00:00:00.000");
    expect(clockTime(3_723_004.6)).toBe("01:02:03.004");
  });

  it("writes durations for people", () => {
    expect(humanDuration(850)).toBe("850ms");
    expect(humanDuration(1234)).toBe("1.23s");
    expect(humanDuration(245_000)).toBe("4m 05s");
    expect(humanDuration(9_961_000)).toBe("2h 46m 01s");
  });

  it("writes an event line as `HH:MM:SS.mmm symbol event [task] id details`", () => {
    const c = colorsFor({ isTTY: false });
    expect(eventLine({ at: 1500, kind: "started", task: "transform", id: "12", details: "item_0004" }, c))
      .toBe("00:00:01.500 ▶ started     [transform]          12 item_0004");
    expect(eventLine({ at: 1500, kind: "invalidated", task: "check", id: "9", details: "api_003 (doc_001)" }, c)).toMatch(/^00:00:01\.500 ⟳ invalidated \[check\]/);
  });
});

describe("plain mode", () => {
  it("shows `[done/submitted] Q:.. R:.. ✓:.. ✗:.. (pct%) thr/s` with extras only when non-zero", () => {
    expect(statusLine(snapshot())).toBe("[57/105] Q:40 R:5 ✓:50 ✗:4 ↷:3 ⟳:1 W:2 (47%) 4.05/s");
    const quiet = snapshot({ queue: { queued: 0, waiting: 0, running: 0, retrying: 0, completed: 10, skipped: 0, failed: 0, cancelled: 0 }, done: 10, submitted: 10, progress: 1, throughput: 20 });
    expect(statusLine(quiet)).toBe("[10/10] Q:0 R:0 ✓:10 ✗:0 (100%) 20.0/s");
  });

  it("prints a status line at most twice a second", () => {
    const out = new Capture();
    const display = new PlainDisplay({ config, scenario: singleQueue, out });
    let n = 0;
    const next = (): Snapshot => snapshot({ done: ++n });
    for (let i = 0; i < 50; i++) display.tick(next);
    expect(out.text.split("\n").filter((l) => l.startsWith("["))).toHaveLength(1);
  });
});

describe("live display", () => {
  const out = Object.assign(new Capture(), { isTTY: true, columns: 120, rows: 50 });
  const tui = new TuiDisplay({ config, scenario: singleQueue, out });

  it("shows queue counts, progress with ETA, services with utilisation, slots and rate window, events and config", () => {
    const frame = stripVTControlCharacters(tui.render(snapshot()));
    expect(frame).toMatch(/queued 40 {2}waiting 2 {2}running 5 {2}retrying 1 {2}✓ completed 50 {2}↷ skipped 3 {2}✗ failed 4/);
    expect(frame).toMatch(/47% {2}57\/120 {2}4\.05\/s {2}ETA 12\.6s/);
    expect(frame).toMatch(/api +██████████ +5\/5 +42\/60 per min +✓ 50 +✗ 4 +4\.40\/s/);
    expect(frame).toMatch(/local +░{10} +0\/∞ +no rate limit/);
    expect(frame).toContain("00:00:12.100 ✗ failed      [work]               49 Simulated error");
    expect(frame).toContain("latency 100ms ±20% · errors 0% · concurrent 5 · rate 60/min · Ctrl+C to stop");
    expect(frame).not.toContain("Blocked");
    for (const line of frame.split("\n")) expect([...line].length).toBeLessThanOrEqual(120);
  });

  it("adds the blocked panel with each reason while stalled", () => {
    const frame = stripVTControlCharacters(tui.render(snapshot({ stall })));
    expect(frame).toContain("Blocked: stalled 2.35s, 6 pending (not_ready 2, service_full 4)");
    expect(frame).toContain("aggregate #37 batch_0005: not_ready - waiting for part 3 of batch_0005; part 3 failed: Simulated error");
    expect(frame).toContain("process #41 batch_0006/1 and 3 more like it: service_full - Service 'processor' at capacity (5/5)");
    expect(frame).toContain("... and 1 more");
  });

  it("calls a wait on a rate window waiting, with when the next start is", () => {
    const waiting: StallReport = { ...stall, byReason: { rate_limited: 6 }, kind: "waiting", nextInMs: 41_000, items: [{ ...stall.items[1]!, reason: "rate_limited", count: 6 }] };
    const frame = stripVTControlCharacters(tui.render(snapshot({ stall: waiting })));
    expect(frame).toContain("Waiting: nothing can start for 41.0s, 6 pending (rate_limited 6)");
  });
});

/** A terminal-like output: keeps what was written, and emits `resize` like a TTY stream. */
class Terminal extends Capture {
  override isTTY = true;
  rows = 40;
  readonly #listeners: (() => void)[] = [];

  constructor(columns: number) {
    super();
    this.columns = columns;
  }

  on(_event: "resize", listener: () => void): void {
    this.#listeners.push(listener);
  }

  off(_event: "resize", listener: () => void): void {
    this.#listeners.splice(this.#listeners.indexOf(listener), 1);
  }

  resize(columns: number): void {
    this.columns = columns;
    for (const l of [...this.#listeners]) l();
  }
}

function summaryOf(overrides: Partial<Summary> = {}): Summary {
  return {
    version: 1, scenario: "single_queue", seed: 7, clock: "real", outcome: "completed", exitCode: 0,
    submitted: 100, completed: 100, skipped: 0, failed: 0, cancelled: 0, retries: 0, invalidations: 0, pending: 0, pendingByReason: {},
    durationMs: 12_345, realMs: 12_400, completedPerSecond: 8.1,
    services: [{ name: "api", concurrent: 5, rate: "60/min", started: 100, completed: 100, failed: 0, retried: 0, busyMs: 10_000, utilisation: 0.162, endedPerSecond: 8.1 }],
    config: { count: 100, latencyMs: 100, jitter: 0.2, outliers: 0, outlierMult: 5, errorRate: 0, concurrent: 5, rateLimit: "60/min", submitRate: null, durationMs: null, timeoutMs: null },
    stall: null, report: null, reportError: null,
    ...overrides,
  };
}

const visible = (text: string): string[] => stripVTControlCharacters(text).split("\n");

describe("live display on a narrow terminal", () => {
  it("at 60 columns wraps rows instead of cutting them: every count stays, no line is wider than the terminal", () => {
    const tui = new TuiDisplay({ config, scenario: singleQueue, out: new Terminal(60) });
    const lines = visible(tui.render(snapshot({ stall })));
    for (const line of lines) expect([...line].length, line).toBeLessThan(60);
    const text = lines.join("\n");
    for (const count of ["queued 40", "waiting 2", "running 5", "retrying 1", "✓ completed 50", "↷ skipped 3", "✗ failed 4", "57/120", "ETA 12.6s", "42/60 per min", "✓ 50", "✗ 4", "6 pending (not_ready 2, service_full 4)", "and 1 more"]) {
      expect(text).toContain(count);
    }
  });

  it("redraws on a resize: the screen is cleared and the frame drawn again at the new width", () => {
    const out = new Terminal(120);
    const tui = new TuiDisplay({ config, scenario: singleQueue, out });
    tui.begin();
    tui.tick(() => snapshot());
    expect(out.text.startsWith("\u001b[?1049h")).toBe(true); // the alternate screen
    const before = out.text.length;
    out.resize(60);
    const after = out.text.slice(before);
    expect(after.startsWith("\u001b[H\u001b[2J")).toBe(true);
    const redrawn = visible(after.slice("\u001b[H\u001b[2J".length)).filter((l) => l !== "");
    expect(redrawn.length).toBeGreaterThan(10);
    for (const line of redrawn) expect([...line].length, line).toBeLessThan(60);
  });

  it("leaves the alternate screen at the end and prints the last frame and the summary on the normal screen", () => {
    const out = new Terminal(100);
    const tui = new TuiDisplay({ config, scenario: singleQueue, out });
    tui.begin();
    tui.tick(() => snapshot());
    const before = out.text.length;
    tui.end(summaryOf(), snapshot({ etaMs: undefined }));
    const tail = out.text.slice(before);
    expect(tail.startsWith("\u001b[?1049l")).toBe(true);
    expect(stripVTControlCharacters(tail)).toContain("Results: single_queue");
  });
});

describe("how a run ended", () => {
  const tui = new TuiDisplay({ config, scenario: singleQueue, out: Object.assign(new Capture(), { isTTY: true, columns: 120, rows: 50 }) });

  it("the last frame says done only when all work ended", () => {
    const frame = stripVTControlCharacters(tui.render(snapshot({ etaMs: undefined }), { outcome: "completed", pending: 0, pendingByReason: {} }));
    expect(frame).toContain("done");
    expect(frame).toContain("all work ended");
    expect(frame).not.toContain("Ctrl+C to stop");
  });

  it("a run stopped with work pending says so and why, never done or finished", () => {
    const waiting: StallReport = { ...stall, byReason: { rate_limited: 6 }, kind: "waiting", nextInMs: 41_000, items: [{ ...stall.items[1]!, reason: "rate_limited", details: "Service 'api' rate 5/min used (5/5); next start in 41000ms", count: 6 }] };
    const frame = stripVTControlCharacters(tui.render(snapshot({ stall: waiting, etaMs: undefined }), { outcome: "interrupted", pending: 6, pendingByReason: { rate_limited: 6 } }));
    expect(frame).toContain("stopped, 6 pending");
    expect(frame).toContain("Waiting when the run stopped: nothing can start for 41.0s, 6 pending (rate_limited 6)");
    expect(frame).toContain("interrupted (Ctrl+C) with 6 works pending");
    expect(frame).not.toMatch(/\bdone\b|finished|not started/);
  });

  it("while running work finishes after --duration, says stopping instead of an ETA", () => {
    const frame = stripVTControlCharacters(tui.render(snapshot({ stopping: true })));
    expect(frame).toMatch(/4\.05\/s {2}stopping\n/);
    expect(frame).toContain("stopping: running work finishes, nothing new starts");
    expect(frame).not.toMatch(/ETA|Ctrl\+C to stop/);
  });

  it("interrupted while work ran, the last frame counts the pending works by reason", () => {
    const frame = stripVTControlCharacters(tui.render(snapshot({ etaMs: undefined }), { outcome: "interrupted", pending: 42, pendingByReason: { service_full: 40, not_ready: 2 } }));
    expect(frame).toContain("Pending when the run stopped: 42 (service_full 40, not_ready 2)");
  });

  it("the summary lists why work was pending, and splits the service table on a narrow terminal", () => {
    const s = summaryOf({
      outcome: "interrupted", exitCode: 130, completed: 5, pending: 95, pendingByReason: { rate_limited: 95 },
      stall: { kind: "waiting", sinceMs: 120, stalledForMs: 3000, pending: 95, byReason: { rate_limited: 95 }, items: [{ id: "6", task: "work", label: "item_0006", reason: "rate_limited", details: "Service 'api' rate 5/min used (5/5); next start in 54000ms", count: 95, inMs: 54_000 }], more: 0, nextInMs: 54_000, deadlocked: false },
    });
    const wide = stripVTControlCharacters(summaryText(s, colorsFor({ isTTY: false }), 120));
    expect(wide).toMatch(/Pending +95\n +waiting: nothing had started or finished for 3\.00s; the next start was 54\.0s away\n +work #6 item_0006 and 94 more like it: rate_limited - Service 'api' rate 5\/min used/);
    expect(wide).toMatch(/Outcome +interrupted \(Ctrl\+C\) with 95 works pending \(exit 130\)/);
    expect(wide).toMatch(/service +limit +completed +failed +retried +busy +util +ended\/s/);
    const narrow = visible(summaryText(s, colorsFor({ isTTY: false }), 59));
    for (const line of narrow) expect([...line].length, line).toBeLessThan(60);
    expect(narrow.join("\n")).toMatch(/service +limit +completed +failed +retried\n +api +5 +100 +0 +0\n +service +busy +util +ended\/s\n +api +10\.0s +16% +8\.10\/s/);
  });
});

describe("plain mode on a dumb terminal", () => {
  it("never rewrites its status line with a carriage return", () => {
    const out = Object.assign(new Capture(), { isTTY: true, columns: 80 });
    const display = new PlainDisplay({ config: { ...config, moveCursor: false }, scenario: singleQueue, out });
    let n = 0;
    display.tick(() => snapshot({ done: ++n }));
    display.end(summaryOf(), snapshot({ done: 99 }));
    expect(out.text).not.toContain("\r");
    expect(out.text.split("\n").filter((l) => l.startsWith("["))).toHaveLength(2);
  });
});
