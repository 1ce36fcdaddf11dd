import { stripVTControlCharacters } from "node:util";
import picocolors from "picocolors";
import { SYMBOLS, type SimEvent, type SimEventKind } from "../events.js";
import type { BlockReason } from "runcue";

/** picocolors' formatters, enabled or not. */
export type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Colours for `stream`: only on a colour-capable TTY (picocolors reads NO_COLOR, FORCE_COLOR
 * and TERM=dumb), and never when `enabled` is false (`--no-color`).
 */
export function colorsFor(stream: { isTTY?: boolean }, enabled?: boolean): Colors {
  // picocolors turns colour on whenever CI is set, even for TERM=dumb: a dumb terminal gets none here.
  const dumb = process.env.TERM === "dumb";
  return picocolors.createColors(enabled !== false && !dumb && picocolors.isColorSupported && stream.isTTY === true);
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** `HH:MM:SS.mmm` of a time in ms since the run started. */
export function clockTime(ms: number): string {
  const total = Math.max(0, Math.floor(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor(total / 60_000) % 60;
  const s = Math.floor(total / 1000) % 60;
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}.${String(total % 1000).padStart(3, "0")}`;
}

/** A length of time for people: `850ms`, `12.3s`, `4m 05s`, `2h 46m 40s`. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "∞";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)}s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor(total / 60) % 60;
  const sec = total % 60;
  return h > 0 ? `${h}h ${pad2(m)}m ${pad2(sec)}s` : `${m}m ${pad2(sec)}s`;
}

/** Works per second with sensible precision. */
export function perSecond(n: number): string {
  if (n === 0) return "0/s";
  if (n < 0.1) return `${(n * 60).toFixed(2)}/min`;
  return `${n < 10 ? n.toFixed(2) : n.toFixed(1)}/s`;
}

/** A percentage, rounded down so it reads 100% only when all is done. */
export function percent(fraction: number): string {
  return `${Math.floor(Math.max(0, Math.min(1, fraction)) * 100)}%`;
}

/** A rate window's length as a unit: `s`, `min`, `h`, `day`, or `90s`. */
export function windowName(ms: number): string {
  const units: Record<number, string> = { 1000: "s", 60_000: "min", 3_600_000: "h", 86_400_000: "day" };
  return units[ms] ?? humanDuration(ms);
}

/** A bar of `width` cells filled to `fraction`. */
export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return "█".repeat(full) + "░".repeat(width - full);
}

/** Cuts `text` to `width` characters with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** The colour of each event kind. */
export function eventColor(kind: SimEventKind, c: Colors): (s: string) => string {
  switch (kind) {
    case "completed": return c.green;
    case "failed": return c.red;
    case "started": return c.cyan;
    case "retried":
    case "invalidated": return c.yellow;
    case "skipped": return c.magenta;
    case "cancelled": return c.gray;
    default: return c.dim;
  }
}

/** The colour of each blocked reason. */
export function reasonColor(reason: BlockReason, c: Colors): (s: string) => string {
  switch (reason) {
    case "not_ready": return c.yellow;
    case "service_full": return c.blue;
    case "queued": return c.dim;
    default: return c.red;
  }
}

/**
 * One verbose log line: `HH:MM:SS.mmm symbol event [task] id details`, cut to `width`;
 * `compact` drops the column padding (for narrow terminals).
 */
export function eventLine(e: SimEvent, c: Colors, width = Infinity, compact = false): string {
  const color = eventColor(e.kind, c);
  const head = compact
    ? `${clockTime(e.at)} ${SYMBOLS[e.kind]} ${e.kind} [${e.task}] ${e.id} `
    : `${clockTime(e.at)} ${SYMBOLS[e.kind]} ${e.kind.padEnd(11)} ${`[${e.task}]`.padEnd(16)} ${e.id.padStart(6)} `;
  const line = head + truncate(e.details, width - head.length);
  const end = 15 + e.kind.length; // after `HH:MM:SS.mmm ▶ started`
  return `${c.dim(line.slice(0, 12))}${color(line.slice(12, end))}${line.slice(end)}`;
}

/** How many terminal cells `text` takes (escape codes take none). */
export function visibleWidth(text: string): number {
  return [...stripVTControlCharacters(text)].length;
}

/**
 * Lays `cells` out in lines no wider than `width`: `first` starts the first line, `indent` the
 * others, cells are joined with `sep` and a cell never splits. Counts put in cells never
 * disappear on a narrow terminal: they move to the next line.
 */
export function flow(first: string, cells: readonly string[], width: number, indent = " ".repeat(visibleWidth(first)), sep = "  "): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const cell of cells) {
    const add = empty ? cell : sep + cell;
    if (!empty && visibleWidth(line) + visibleWidth(add) > width) {
      lines.push(line);
      line = indent + cell;
    } else {
      line += add;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/**
 * `text` word-wrapped to `width` columns, later lines starting with `indent`; a word longer
 * than a line is cut. For sentences whose end matters (counts) and must not be cut off.
 */
export function wrap(text: string, width: number, indent = ""): string[] {
  if (!Number.isFinite(width) || [...text].length <= width) return [text];
  const lines: string[] = [];
  let line = "";
  const lead = /^ */.exec(text)?.[0] ?? "";
  const words = text.slice(lead.length).split(" ");
  words[0] = lead + (words[0] ?? "");
  for (const word of words) {
    const prefix = lines.length === 0 ? "" : indent;
    const candidate = line === "" ? prefix + word : `${line} ${word}`;
    if ([...candidate].length <= width || line === "") {
      line = candidate;
    } else {
      lines.push(line);
      line = indent + word;
    }
  }
  lines.push(line);
  return lines.map((l) => truncate(l, width));
}
