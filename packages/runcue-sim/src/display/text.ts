import { describeRate, type SimConfig } from "../config.js";
import type { Scenario } from "../scenarios/scenario.js";
import type { StallReport } from "../stall.js";
import type { Summary } from "../summary.js";
import type { StallStop } from "./display.js";
import { clockTime, humanDuration, perSecond, reasonColor, truncate, type Colors } from "./format.js";

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

function reasonCounts(report: StallReport): string {
  return Object.entries(report.byReason).map(([reason, n]) => `${reason} ${n}`).join(", ");
}

/** A blocked work as one line: `aggregate #37 batch_0005: not_ready - waiting for part 3…`. */
export function blockedLine(item: StallReport["items"][number], c: Colors, width: number): string {
  const more = item.count > 1 ? ` and ${item.count - 1} more like it` : "";
  const head = `${item.task} #${item.id}${item.label === "" ? "" : ` ${item.label}`}${more}: `;
  const reason = item.reason;
  const rest = ` - ${item.details}`;
  return head + reasonColor(reason, c)(reason) + truncate(rest, width - head.length - reason.length);
}

/** Up to `max` blocked works (or groups of alike ones), one per line, and how many more there are. */
export function blockedList(report: StallReport, c: Colors, max: number, width: number, indent = "    "): string[] {
  const shown = report.items.slice(0, max);
  const lines = shown.map((item) => `${indent}${blockedLine(item, c, width - indent.length)}`);
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
  if (report.kind === "waiting") {
    const first = report.items[0];
    const next = report.nextInMs === undefined ? "" : ` ${humanDuration(report.nextInMs)}`;
    return `${c.cyan(truncate(`⏸  Waiting${next}: ${first?.details ?? ""}; ${counts}`, width))}\n`;
  }
  if (repeat) return `${c.yellow(`⚠  Still stalled after ${humanDuration(report.stalledFor)}: ${counts}`)}\n`;
  const headline = `Stall detected: nothing started or finished for ${humanDuration(report.stalledFor)} (since ${clockTime(report.since)}); ${counts}`;
  return `${[c.yellow(`⚠  ${headline}`), ...blockedList(report, c, max, width)].join("\n")}\n`;
}

/** Why the run stops stalled. */
export function stopStalledText(report: StallReport, why: StallStop, config: SimConfig, c: Colors, width = 120): string {
  const text = why === "timeout"
    ? `⏱  Timeout: stalled for ${humanDuration(report.stalledFor)} (--timeout ${config.timeoutS}s), ${report.total} pending (${reasonCounts(report)}). Stopping.`
    : `⏱  Stalled for good: only not-ready work is left (${report.total} pending) and nothing runs or waits for a time, so on the virtual clock nothing can change. Stopping (--timeout sets how long to wait).`;
  return `${[c.red(text), ...blockedList(report, c, 5, width)].join("\n")}\n`;
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ").trimEnd();
}

/** The final summary as text. */
export function summaryText(s: Summary, c: Colors): string {
  const lines: string[] = [];
  const clock = s.clock === "virtual" ? `${humanDuration(s.durationSeconds * 1000)} simulated (${humanDuration(s.realSeconds * 1000)} real)` : humanDuration(s.durationSeconds * 1000);
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
  if (s.pending > 0) kv.push(["Pending", c.yellow(String(s.pending))]);
  kv.push(["Duration", clock], ["Throughput", perSecond(s.throughput)]);
  for (const [k, v] of kv) lines.push(`  ${k.padEnd(12)} ${v}`);
  const widths = [Math.max(8, ...s.services.map((x) => x.name.length)), 7, 9, 6, 7, 8, 6, 10];
  lines.push(c.dim(`  ${row(["service", "limit", "completed", "failed", "retried", "busy", "util", "throughput"], widths)}`));
  for (const svc of s.services) {
    const limit = svc.concurrent === null ? "∞" : String(svc.concurrent);
    const util = svc.utilisation === null ? "—" : `${Math.round(svc.utilisation * 100)}%`;
    lines.push(`  ${row([svc.name, limit, String(svc.completed), String(svc.failed), String(svc.retried), humanDuration(svc.busySeconds * 1000), util, perSecond(svc.throughput)], widths)}`);
  }
  const outcome = {
    completed: c.green("all work ended"),
    duration: c.yellow("stopped after --duration"),
    stalled: c.red("stopped: stalled"),
    interrupted: c.yellow("interrupted"),
  }[s.outcome];
  lines.push(`  ${"Outcome".padEnd(12)} ${outcome} (exit ${s.exitCode})`);
  if (s.report !== null) lines.push(`  ${"Report".padEnd(12)} ${s.report}`);
  return `${lines.join("\n")}\n`;
}
