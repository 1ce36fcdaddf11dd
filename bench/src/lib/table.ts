/** Tables: the figures of one workload, rendered for the terminal and for markdown. */
import type { Target } from "./case.js";
import { verdict } from "./case.js";

/** One table. `workload` is the one sentence above it saying what was measured. */
export interface Table {
  readonly title: string;
  readonly workload: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const NUMERIC = /^[-+±≤≥<>~]?\s?[\d.,]+/;

function isNumericColumn(rows: readonly (readonly string[])[], index: number): boolean {
  let numeric = 0;
  let filled = 0;
  for (const row of rows) {
    const cell = row[index] ?? "";
    if (cell === "" || cell === "–") continue;
    filled++;
    if (NUMERIC.test(cell)) numeric++;
  }
  return filled > 0 && numeric === filled;
}

/** Fixed-width text for the terminal. */
export function renderText(table: Table): string {
  const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r[i] ?? "").length)));
  const right = table.columns.map((_, i) => i > 0 && isNumericColumn(table.rows, i));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (right[i] ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join("  ").trimEnd();
  return [
    `${table.title}`,
    `  ${table.workload}`,
    "",
    `  ${line(table.columns)}`,
    `  ${widths.map((w) => "-".repeat(w)).join("  ")}`,
    ...table.rows.map((r) => `  ${line(r)}`),
  ].join("\n");
}

/** A GitHub markdown table with the workload sentence above it. */
export function renderMarkdown(table: Table, level = "####"): string {
  const escape = (cell: string): string => cell.replaceAll("|", "\\|");
  const right = table.columns.map((_, i) => i > 0 && isNumericColumn(table.rows, i));
  return [
    `${level} ${table.title}`,
    "",
    table.workload,
    "",
    `| ${table.columns.map(escape).join(" | ")} |`,
    `| ${right.map((r) => (r ? "---:" : ":---")).join(" | ")} |`,
    ...table.rows.map((row) => `| ${table.columns.map((_, i) => escape(row[i] ?? "")).join(" | ")} |`),
  ].join("\n");
}

/** Target lines: `PASS  requirement: figure`. */
export function renderTargets(targets: readonly Target[], markdown: boolean): string {
  if (markdown) return targets.map((t) => `- **${verdict(t.pass)}** ${t.requirement}: ${t.figure}`).join("\n");
  return targets.map((t) => `  ${verdict(t.pass)}  ${t.requirement}: ${t.figure}`).join("\n");
}

// ------------------------------------------------------------------ number formatting

/** 512,340 → "512k"; 1,234,567 → "1.23M"; 950 → "950". */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${Math.round(value / 1e3)}k`;
  if (abs >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`;
  return abs >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

/** Milliseconds with sensible precision: 0.0123 ms, 1.23 ms, 123 ms, 12.3 s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(4)} ms`;
}

/** Nanoseconds per job from milliseconds for `n` jobs. */
export function formatNsPerJob(ms: number, n: number): string {
  return `${Math.round((ms * 1e6) / n)} ns`;
}

/** Bytes with a unit: 312 B, 31.2 KB, 12.3 MB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "–";
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (abs >= 10 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${Math.round(bytes)} B`;
}

/** A ratio such as "1.03×". */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "–";
  return ratio >= 100 ? `${ratio.toFixed(0)}×` : ratio >= 10 ? `${ratio.toFixed(1)}×` : `${ratio.toFixed(2)}×`;
}
