import { describeRate, type SimConfig } from "../config.js";
import type { Scenario } from "../scenarios/scenario.js";
import type { StallReport } from "../stall.js";
import type { ReasonCounts, StallSummary, Summary } from "../summary.js";
import type { StallStop } from "./display.js";
import { clockTime, humanDuration, perSecond, reasonColor, truncate, wrap, type Colors } from "./format.js";

/** `latency 100ms ±20% · outliers 5% ×5 · errors 2% · concurrent 5 · rate 60/min`. */
export function configLine(config: SimConfig): string {
  const parts = [`latency ${config.latencyMs}ms ±${Math.round(config.jitter * 100)}%`];
  if (config.outliers > 0) parts.push(`outliers ${Math.round(config.outliers * 1000) / 10}% ×${config.outlierMult}`);
  parts.push(`errors ${Math.round(config.errorRate * 1000) / 10}%`, `concurrent ${config.concurrent}`, `rate ${describeRate(config.rate)}`);
  if (config.submitRate !== undefined) parts.push(`submit ${config.submitRate}/s`);
  return parts.join(" · ");
}

/** `pipeline · count 50 · seed 42 · real clock`. */
export function runLine(config: SimConfig, scenario: Scenario): string {
  const parts = [scenario.name, `count ${config.count}`, `seed ${config.seed}`, config.virtual ? "virtual clock" : "real clock"];
  if (config.durationS !== undefined) parts.push(`duration ${config.durationS}s`);
  if (config.timeoutS !== undefined) parts.push(`timeout ${config.timeoutS}s`);
  return parts.join(" · ");
}

/** `not_ready 5, rate_limited 90`. */
export function reasonCounts(report: { byReason: ReasonCounts }): string {
  return Object.entries(report.byReason).map(([reason, n]) => `${reason} ${n}`).join(", ");
}

/**
 * A blocked work as one line: `aggregate #37 batch_0005: not_ready - waiting for part 3…`; on
 * a narrow terminal, two (the details cut), so that the work, its count and reason stay.
 */
export function blockedLine(item: StallReport["items"][number], c: Colors, width: number, indent = ""): string {
  const more = item.count > 1 ? ` and ${item.count - 1} more like it` : "";
  const head = `${item.task} #${item.id}${item.label === "" ? "" : ` ${item.label}`}${more}: `;
  const reason = item.reason;
  const rest = ` - ${item.details}`;
  if (head.length + reason.length + 10 <= width) return indent + head + reasonColor(reason, c)(reason) + truncate(rest, width - head.length - reason.length);
  const lines = wrap(`${head}${reason}${rest}`, width, "  ");
  const [first = "", second = ""] = lines;
  const cut = lines.length > 2 ? truncate(`${second} …`, width) : second;
  return `${indent}${first}${cut === "" ? "" : `\n${indent}${cut}`}`;
}

/** Up to `max` blocked works (or groups of alike ones), one per line, and how many more there are. */
export function blockedList(report: StallReport, c: Colors, max: number, width: number, indent = "    "): string[] {
  const shown = report.items.slice(0, max);
  const lines = shown.map((item) => blockedLine(item, c, width - indent.length, indent));
  const rest = report.total - shown.reduce((n, item) => n + item.count, 0);
  if (rest > 0) lines.push(c.dim(`${indent}... and ${rest} more`));
  return lines;
}

/**
 * The stall report of plain and verbose modes. A wait for a known moment (rate window, retry)
 * is one line; a blocked stall is a headline and up to `max` blocked works; a repeat is one line.
 */
export function stallText(report: StallReport, repeat: boolean, c: Colors, max = 5, width = 120): string {
  const counts = `${report.total} pending, nothing running (${reasonCounts(report)})`;
  const say = (color: (s: string) => string, text: string): string => wrap(text, width, "   ").map((l) => color(l)).join("\n");
  if (report.kind === "waiting") {
    const first = report.items[0];
    const next = report.nextInMs === undefined ? "" : ` ${humanDuration(report.nextInMs)}`;
    return `${say(c.cyan, `⏸  Waiting${next}: ${counts}; ${first?.details ?? ""}`)}\n`;
  }
  if (repeat) return `${say(c.yellow, `⚠  Still stalled after ${humanDuration(report.stalledFor)}: ${counts}`)}\n`;
  const headline = `Stall detected: nothing started or finished for ${humanDuration(report.stalledFor)} (since ${clockTime(report.since)}); ${counts}`;
  return `${[say(c.yellow, `⚠  ${headline}`), ...blockedList(report, c, max, width)].join("\n")}\n`;
}

/** Why the run stops stalled. */
export function stopStalledText(report: StallReport, why: StallStop, config: SimConfig, c: Colors, width = 120): string {
  const text = why === "timeout"
    ? `⏱  Timeout: stalled for ${humanDuration(report.stalledFor)} (--timeout ${config.timeoutS}s), ${report.total} pending (${reasonCounts(report)}). Stopping.`
    : `⏱  Stalled for good: only not-ready work is left (${report.total} pending) and nothing runs or waits for a time, so on the virtual clock nothing can change. Stopping (--timeout sets how long to wait).`;
  return `${[...wrap(text, width, "   ").map((l) => c.red(l)), ...blockedList(report, c, 5, width)].join("\n")}\n`;
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ").trimEnd();
}

/** How a run ended, in words: `all work ended`, `interrupted (Ctrl+C) with 95 works pending`. */
export function outcomeText(s: Pick<Summary, "outcome" | "pending">): string {
  const pending = s.pending > 0 ? ` with ${s.pending} work${s.pending === 1 ? "" : "s"} pending` : "";
  switch (s.outcome) {
    case "completed": return "all work ended";
    case "duration": return `stopped after --duration${pending}`;
    case "stalled": return `stopped: stalled${pending}`;
    default: return `interrupted (Ctrl+C)${pending}`;
  }
}

/**
 * Why works were still pending at the end, as lines under the summary's `Pending` row: from
 * the stall report when the run ended waiting or stalled, else the count per reason.
 */
export function pendingLines(s: Summary, c: Colors, width: number, indent: string): string[] {
  if (s.pending === 0) return [];
  const stall = s.stall;
  if (stall === null) {
    const reasons = reasonCounts({ byReason: s.pendingByReason });
    return reasons === "" ? [] : wrap(`by reason: ${reasons}`, width - indent.length, "  ").map((l) => indent + l);
  }
  const lines = wrap(stallHeadline(stall), width - indent.length, "  ").map((l) => indent + l);
  return [...lines, ...blockedList(asReport(stall), c, 3, width, indent)];
}

/** `waiting 54.3s for ...` / `blocked for 5.00s: only not-ready work left`, of a stall at the end of a run. */
export function stallHeadline(stall: StallSummary): string {
  if (stall.kind === "waiting") {
    const next = stall.nextInMs === null ? "" : `; the next start was ${humanDuration(stall.nextInMs)} away`;
    return `waiting: nothing had started or finished for ${humanDuration(stall.stalledForMs)}${next}`;
  }
  return `blocked: nothing had started or finished for ${humanDuration(stall.stalledForMs)}, and only work that is not ready was left`;
}

/** A summary's stall in the shape the blocked list takes. */
function asReport(stall: StallSummary): StallReport {
  return {
    since: stall.sinceMs,
    stalledFor: stall.stalledForMs,
    total: stall.pending,
    byReason: stall.byReason,
    items: stall.items.map(({ inMs, ...rest }) => (inMs === null ? rest : { ...rest, inMs })),
    kind: stall.kind,
    nextInMs: stall.nextInMs ?? undefined,
    deadlocked: stall.deadlocked,
  };
}

/** The final summary as text; lines about pending work fit `width`. */
export function summaryText(s: Summary, c: Colors, width = 120): string {
  const lines: string[] = [];
  const clock = s.clock === "virtual" ? `${humanDuration(s.durationMs)} simulated (${humanDuration(s.realMs)} real)` : humanDuration(s.durationMs);
  lines.push(c.bold(`Results: ${s.scenario} · seed ${s.seed} · ${s.clock} clock`));
  const kv: [string, string][] = [
    ["Submitted", String(s.submitted)],
    ["Completed", c.green(String(s.completed))],
    ["Skipped", String(s.skipped)],
    ["Failed", s.failed > 0 ? c.red(String(s.failed)) : "0"],
    ["Retries", String(s.retries)],
  ];
  if (s.invalidations > 0) kv.push(["Invalidated", String(s.invalidations)]);
  if (s.cancelled > 0) kv.push(["Cancelled", String(s.cancelled)]);
  for (const [k, v] of kv) lines.push(`  ${k.padEnd(12)} ${v}`);
  if (s.pending > 0) {
    lines.push(`  ${"Pending".padEnd(12)} ${c.yellow(String(s.pending))}`);
    lines.push(...pendingLines(s, c, width, " ".repeat(15)));
  }
  lines.push(`  ${"Duration".padEnd(12)} ${clock}`, `  ${"Throughput".padEnd(12)} ${perSecond(s.completedPerSecond)} completed`);
  const head = ["service", "limit", "completed", "failed", "retried", "busy", "util", "ended/s"];
  const cells = s.services.map((svc) => [
    svc.name,
    svc.concurrent === null ? "∞" : String(svc.concurrent),
    String(svc.completed),
    String(svc.failed),
    String(svc.retried),
    humanDuration(svc.busyMs),
    svc.utilisation === null ? "—" : `${Math.round(svc.utilisation * 100)}%`,
    perSecond(svc.endedPerSecond),
  ]);
  const widths = head.map((h, i) => Math.max(i === 0 ? 8 : h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const table = (cols: readonly number[]): void => {
    const pick = (r: readonly string[]): string[] => cols.map((i) => r[i] ?? "");
    const w = cols.map((i) => widths[i] ?? 0);
    lines.push(c.dim(`  ${row(pick(head), w)}`));
    for (const r of cells) lines.push(`  ${row(pick(r), w)}`);
  };
  // On a narrow terminal the service table splits in two rather than wrap.
  const full = 2 + widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  if (full < width) table([0, 1, 2, 3, 4, 5, 6, 7]);
  else {
    table([0, 1, 2, 3, 4]);
    table([0, 5, 6, 7]);
  }
  const color = s.outcome === "completed" ? c.green : s.outcome === "stalled" ? c.red : c.yellow;
  const outcome = wrap(`${outcomeText(s)} (exit ${s.exitCode})`, width - 16);
  outcome.forEach((l, i) => lines.push(`  ${(i === 0 ? "Outcome" : "").padEnd(12)} ${color(l)}`));
  if (s.report !== null) lines.push(`  ${"Report".padEnd(12)} ${s.report}`);
  if (s.reportError !== null) lines.push(`  ${"Report".padEnd(12)} ${c.red(`not written: ${s.reportError}`)}`);
  return `${lines.join("\n")}\n`;
}
