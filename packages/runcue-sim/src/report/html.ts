import type { SimConfig } from "../config.js";
import type { Condition, ConditionKind } from "../conditions.js";
import { clockTime, humanDuration, perSecond } from "../display/format.js";
import { configLine, outcomeText, reasonCounts, runLine } from "../display/text.js";
import type { Scenario } from "../scenarios/scenario.js";
import type { Summary } from "../summary.js";
import type { Attempt, AttemptOutcome, WorkSpan } from "../timeline.js";
import { depthSeries, packRows, throughputBinMs, throughputSeries, timeAxis, valueAxis, type Series } from "./charts.js";

/** What the report is drawn from. */
export interface ReportData {
  summary: Summary;
  config: SimConfig;
  scenario: Scenario;
  attempts: readonly Attempt[];
  spans: readonly WorkSpan[];
  /** When services were held back, and stalls (see {@link ConditionRecorder}). */
  conditions: readonly Condition[];
  /** The run's length in ms. */
  endMs: number;
  /** The services' rate windows' intervals in ms (the throughput chart's buckets align to them). */
  rateIntervalsMs?: readonly number[];
}

const OUTCOME_COLORS: Record<AttemptOutcome, string> = {
  completed: "#2e9d5b",
  failed: "#d64545",
  retried: "#e69a28",
  cancelled: "#8a8f98",
  running: "#4a7bd0",
};

const OUTCOME_LABELS: Record<Exclude<AttemptOutcome, "running">, string> = {
  completed: "completed",
  failed: "failed",
  retried: "failed, then retried",
  cancelled: "abandoned at stop",
};

const CONDITION_COLORS: Record<ConditionKind, string> = {
  rate_limited: "#8e5cc2",
  paused: "#b8336a",
  full: "#3f7fbf",
  waiting: "#5fa8a8",
  stalled: "#6b6f76",
};

const CONDITION_LABELS: Record<ConditionKind, string> = {
  rate_limited: "rate-limited",
  paused: "paused",
  full: "full",
  waiting: "run waiting",
  stalled: "run stalled",
};

/** What each condition means, in the legend. */
const CONDITION_MEANINGS: Record<ConditionKind, string> = {
  rate_limited: "rate window full, work waiting",
  paused: "a RateLimited pushback",
  full: "all slots busy, work waiting",
  waiting: "for a rate window or a retry",
  stalled: "only not-ready work left",
};

/** The SVGs' coordinate system: lane names or the value axis on the left, the legend on the right. */
const WIDTH = 1100;
const LEFT = 130;
const LEGEND_W = 210;
const GAP = 30;
const PLOT_W = WIDTH - LEFT - GAP - LEGEND_W;
const LEGEND_X = LEFT + PLOT_W + GAP;
const ROW = 7;
const MAX_ROWS = 40;
const STRIP = 7;
/** Room below a plot for the time ticks and the axis title. */
const X_AXIS_H = 44;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function xOf(t: number, endMs: number): number {
  return LEFT + (PLOT_W * t) / Math.max(endMs, 1);
}

/** Vertical grid lines, round time ticks under the plot and the axis title with its unit. */
function timeAxisSvg(endMs: number, top: number, height: number): string {
  const axis = timeAxis(endMs);
  let out = "";
  for (const t of axis.ticks) {
    const x = fmt(xOf(t, endMs));
    out += `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + height}" class="grid"/>`;
    out += `<text x="${x}" y="${top + height + 14}" class="tick x-tick" text-anchor="middle">${esc(axis.label(t))}</text>`;
  }
  out += `<text x="${fmt(LEFT + PLOT_W / 2)}" y="${top + height + 34}" class="axis-title x-title" text-anchor="middle">time since the start of the run (${axis.unit})</text>`;
  return out;
}

interface LegendEntry {
  color: string;
  label: string;
  /** A line under the label, in grey. */
  note?: string;
  /** A swatch drawn as a line rather than a block. */
  line?: boolean;
}

/** A legend in the column right of the plot, never over it. Returns its SVG and its height. */
function legendSvg(title: string, entries: readonly LegendEntry[], top: number): { svg: string; height: number } {
  let y = top + 12;
  let svg = `<text x="${LEGEND_X}" y="${y}" class="legend-title">${esc(title)}</text>`;
  y += 8;
  for (const e of entries) {
    const swatch = e.line === true
      ? `<line x1="${LEGEND_X}" y1="${y + 7}" x2="${LEGEND_X + 14}" y2="${y + 7}" stroke="${e.color}" stroke-width="2"/>`
      : `<rect x="${LEGEND_X}" y="${y + 2}" width="14" height="10" fill="${e.color}"/>`;
    svg += `${swatch}<text x="${LEGEND_X + 20}" y="${y + 11}" class="legend-label">${esc(e.label)}</text>`;
    y += 16;
    if (e.note !== undefined) {
      svg += `<text x="${LEGEND_X + 20}" y="${y + 9}" class="legend-note">${esc(e.note)}</text>`;
      y += 14;
    }
    y += 2;
  }
  return { svg: `<g class="legend">${svg}</g>`, height: y - top };
}

function conditionTip(c: Condition): string {
  const who = c.service === null ? `whole ${CONDITION_LABELS[c.kind]}` : `${c.service} ${CONDITION_LABELS[c.kind]}`;
  return `${who} from ${clockTime(c.start)} to ${clockTime(c.end)} (${humanDuration(c.end - c.start)}) · ${c.reason}`;
}

function conditionRect(c: Condition, endMs: number, y: number, height: number, cls: string): string {
  const x = xOf(c.start, endMs);
  const w = Math.max(xOf(c.end, endMs) - x, 0.8);
  const tip = conditionTip(c);
  return `<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${height}" class="${cls}" data-kind="${c.kind}" fill="${CONDITION_COLORS[c.kind]}" data-tip="${esc(tip)}"><title>${esc(tip)}</title></rect>`;
}

/**
 * One lane per service, every attempt a bar from its start to its end, coloured by outcome.
 * Above each lane's bars a strip, and behind them a tint, mark when the service was held back
 * (rate-limited, paused, full); a row on top marks when the run was stalled or waiting.
 */
function timeline(attempts: readonly Attempt[], conditions: readonly Condition[], lanes: readonly string[], endMs: number): string {
  const byLane = new Map<string, Attempt[]>(lanes.map((l) => [l, []]));
  for (const a of attempts) {
    if (!byLane.has(a.service)) byLane.set(a.service, []);
    byLane.get(a.service)?.push(a);
  }
  const top = 8;
  let y = top;
  let body = "";
  // The run row: stalls and waits.
  const runHeight = 12;
  body += `<rect x="${LEFT}" y="${y}" width="${PLOT_W}" height="${runHeight}" class="lane"/>`;
  body += `<text x="${LEFT - 8}" y="${y + 10}" text-anchor="end" class="lane-name">whole run</text>`;
  for (const c of conditions) if (c.service === null) body += conditionRect(c, endMs, y + 2, runHeight - 4, "cond run-cond");
  y += runHeight + 6;
  for (const [lane, list] of byLane) {
    const { placed, rows } = packRows(list);
    const shown = Math.min(rows, MAX_ROWS);
    const height = STRIP + 3 + shown * ROW + 4;
    body += `<rect x="${LEFT}" y="${y}" width="${PLOT_W}" height="${height}" class="lane"/>`;
    body += `<text x="${LEFT - 8}" y="${y + height / 2 + 4}" text-anchor="end" class="lane-name">${esc(lane)}</text>`;
    for (const c of conditions) {
      if (c.service !== lane) continue;
      body += conditionRect(c, endMs, y + STRIP + 1, height - STRIP - 1, "tint");
      body += conditionRect(c, endMs, y, STRIP, "cond");
    }
    for (const { attempt: a, row } of placed) {
      const x = xOf(a.start, endMs);
      const w = Math.max(xOf(a.end, endMs) - x, 0.8);
      const ry = y + STRIP + 3 + (row % MAX_ROWS) * ROW;
      const tip = `#${a.id} ${a.task} ${a.label} · attempt ${a.attempt} · ${OUTCOME_LABELS[a.outcome as Exclude<AttemptOutcome, "running">] ?? a.outcome} · ${clockTime(a.start)} → ${clockTime(a.end)} (${humanDuration(a.end - a.start)})`;
      body += `<rect x="${x.toFixed(2)}" y="${ry}" width="${w.toFixed(2)}" height="${ROW - 1}" fill="${OUTCOME_COLORS[a.outcome]}" class="attempt" data-tip="${esc(tip)}"><title>${esc(tip)}</title></rect>`;
    }
    y += height + 6;
  }
  const plotHeight = y - 6 - top;
  const totals = new Map<ConditionKind, { ms: number; n: number }>();
  for (const c of conditions) {
    const t = totals.get(c.kind) ?? { ms: 0, n: 0 };
    t.ms += c.end - c.start;
    t.n++;
    totals.set(c.kind, t);
  }
  const attemptsLegend = (Object.keys(OUTCOME_LABELS) as (keyof typeof OUTCOME_LABELS)[]).map((k) => ({ color: OUTCOME_COLORS[k], label: OUTCOME_LABELS[k] }));
  const a = legendSvg("Attempts (one bar each)", attemptsLegend, top);
  const held = (Object.keys(CONDITION_LABELS) as ConditionKind[]).map((k) => {
    const t = totals.get(k);
    return { color: CONDITION_COLORS[k], label: `${CONDITION_LABELS[k]}: ${t === undefined ? "never" : humanDuration(t.ms)}`, note: CONDITION_MEANINGS[k] };
  });
  const b = legendSvg("Held back (hover for why)", held, top + a.height + 10);
  const height = Math.max(top + plotHeight, top + a.height + 10 + b.height) + X_AXIS_H;
  const plotArea = `<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${plotHeight}" class="plot-area"/>`;
  return `<svg viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="timeline" class="chart timeline">${plotArea}${timeAxisSvg(endMs, top, plotHeight)}${body}${a.svg}${b.svg}</svg>`;
}

interface ChartSeries {
  data: Series;
  color: string;
  /** `bars`: a histogram of the buckets; `line`: a step line. */
  style: "bars" | "line";
}

/** A chart of one series over the run, with its own value axis (title and unit) and a legend beside it. */
function chart(name: string, s: ChartSeries, yTitle: string, legend: readonly LegendEntry[], endMs: number): string {
  const top = 10;
  const height = 150;
  const max = Math.max(0, ...s.data.values);
  const axis = valueAxis(max);
  const yOf = (v: number): number => top + height - (height * v) / axis.max;
  let grid = "";
  for (const v of axis.ticks) {
    const y = fmt(yOf(v));
    grid += `<line x1="${LEFT}" y1="${y}" x2="${LEFT + PLOT_W}" y2="${y}" class="grid"/>`;
    grid += `<text x="${LEFT - 6}" y="${fmt(yOf(v) + 3.5)}" text-anchor="end" class="tick y-tick">${esc(formatValue(v))}</text>`;
  }
  const yTitleSvg = `<text transform="translate(${LEFT - 48} ${top + height / 2}) rotate(-90)" text-anchor="middle" class="axis-title y-title">${esc(yTitle)}</text>`;
  const base = top + height;
  let path = "";
  const n = s.data.values.length;
  const xAt = (i: number): number => xOf(Math.min(i * s.data.stepMs, endMs), endMs);
  if (s.style === "bars") {
    s.data.values.forEach((v, i) => {
      if (v > 0) path += `M${xAt(i).toFixed(2)},${base}V${yOf(v).toFixed(2)}H${xAt(i + 1).toFixed(2)}V${base}Z`;
    });
  } else {
    path = `M${xAt(0).toFixed(2)},${yOf(s.data.values[0] ?? 0).toFixed(2)}`;
    for (let i = 0; i < n; i++) path += `H${xAt(i + 1).toFixed(2)}${i + 1 < n ? `V${yOf(s.data.values[i + 1] ?? 0).toFixed(2)}` : ""}`;
  }
  const shape = s.style === "bars"
    ? `<path d="${path}" fill="${s.color}" class="series" data-series="${esc(name)}"/>`
    : `<path d="${path}" fill="none" stroke="${s.color}" stroke-width="1.6" class="series" data-series="${esc(name)}"/>`;
  const l = legendSvg(name, legend, top);
  const total = Math.max(top + height, top + l.height) + X_AXIS_H;
  const plotArea = `<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${height}" class="plot-area"/>`;
  return `<svg viewBox="0 0 ${WIDTH} ${total}" width="100%" role="img" aria-label="${esc(name)}" class="chart">${plotArea}${grid}${timeAxisSvg(endMs, top, height)}${yTitleSvg}${shape}${l.svg}</svg>`;
}

function formatValue(v: number): string {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return v.toLocaleString("en-US");
  return Number(v.toPrecision(6)).toString();
}

/** "15 s", "1 min", "250 ms": a bucket length for people. */
function binName(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${ms / 1000} s`;
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  return `${ms / 3_600_000} h`;
}

function summaryTable(s: Summary): string {
  const rows: [string, string][] = [
    ["Outcome", `${outcomeText(s)} (exit ${s.exitCode})`],
    ["Submitted", String(s.submitted)],
    ["Completed", String(s.completed)],
    ["Skipped", String(s.skipped)],
    ["Failed", String(s.failed)],
    ["Cancelled", String(s.cancelled)],
    ["Retries", String(s.retries)],
    ["Invalidations", String(s.invalidations)],
    ["Pending at the end", s.pending === 0 ? "0" : `${s.pending} (${reasonCounts({ byReason: s.pendingByReason })})`],
    ["Duration", `${humanDuration(s.durationMs)}${s.clock === "virtual" ? ` simulated (${humanDuration(s.realMs)} real)` : ""}`],
    ["Throughput", `${perSecond(s.completedPerSecond)} completed`],
  ];
  const head = "<tr><th>service</th><th>concurrent</th><th>rate</th><th>started</th><th>completed</th><th>failed</th><th>retried</th><th>busy</th><th>utilisation</th><th>ended per second</th></tr>";
  const services = s.services.map((v) => `<tr><td>${esc(v.name)}</td><td>${v.concurrent ?? "∞"}</td><td>${esc(v.rate ?? "none")}</td><td>${v.started}</td><td>${v.completed}</td><td>${v.failed}</td><td>${v.retried}</td><td>${esc(humanDuration(v.busyMs))}</td><td>${v.utilisation === null ? "unlimited" : `${Math.round(v.utilisation * 100)}%`}</td><td>${esc(perSecond(v.endedPerSecond))}</td></tr>`).join("");
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${esc(v)}</td></tr>`).join("")}</table><table class="svc">${head}${services}</table>`;
}

function stallSection(s: Summary): string {
  const st = s.stall;
  if (st === null) {
    if (s.pending === 0) return "";
    return `<h2>Pending when the run ended</h2><p>${s.pending} works were pending when the run ended (${esc(outcomeText(s))}): ${esc(reasonCounts({ byReason: s.pendingByReason }))}.</p>`;
  }
  const items = st.items.map((i) => `<li><b>${esc(i.task)} #${esc(i.id)}</b> ${esc(i.label)}${i.count > 1 ? ` and ${i.count - 1} more like it` : ""}: <i>${esc(i.reason)}</i>, ${esc(i.details)}</li>`).join("");
  const more = st.more > 0 ? `<li class="more">and ${st.more} more pending work${st.more === 1 ? "" : "s"}</li>` : "";
  const title = st.kind === "waiting" ? "What the run was waiting for when it ended" : "Why it stalled";
  const wait = st.kind === "waiting" && st.nextInMs !== null ? ` The next start was ${esc(humanDuration(st.nextInMs))} away.` : "";
  return `<h2>${title}</h2><p>${st.pending} works pending (${esc(reasonCounts(st))}); nothing had started or finished for ${esc(humanDuration(st.stalledForMs))} (since ${esc(clockTime(st.sinceMs))}).${wait}</p><ul>${items}${more}</ul>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1140px;color:#1d232b;padding:0 12px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 4px}.sub{color:#5b6572;margin:0}.note{color:#5b6572;margin:0 0 6px;font-size:13px}
table{border-collapse:collapse;margin:8px 16px 8px 0;display:inline-table;vertical-align:top}th,td{padding:3px 10px;text-align:left;border-bottom:1px solid #e3e6ea}
.svc td,.svc th{text-align:right}.svc td:first-child,.svc th:first-child{text-align:left}
.plot-area{fill:none}.lane{fill:#f4f6f8}.lane-name{font-size:12px;fill:#333}.grid{stroke:#e3e6ea}.tick{font-size:11px;fill:#5b6572}
.axis-title{font-size:12px;fill:#333}.legend-title{font-size:12px;font-weight:600;fill:#1d232b}.legend-label{font-size:12px;fill:#1d232b}.legend-note{font-size:11px;fill:#6b7480}
.tint{opacity:.16}.cond{opacity:.9}
#tip{position:fixed;pointer-events:none;background:#1d232b;color:#fff;padding:4px 8px;border-radius:4px;font-size:12px;display:none;max-width:600px}
rect[data-tip]:hover{stroke:#000;stroke-width:.6}`;

const SCRIPT = `const tip=document.getElementById("tip");document.addEventListener("mousemove",e=>{const t=e.target.getAttribute&&e.target.getAttribute("data-tip");if(t){tip.textContent=t;tip.style.display="block";tip.style.left=(e.clientX+12)+"px";tip.style.top=(e.clientY+12)+"px"}else tip.style.display="none"});`;

/** A self-contained HTML page (inline CSS, SVG and script; nothing from the network). */
export function renderReport(data: ReportData): string {
  const { summary: s, config, scenario, attempts, spans, conditions, endMs } = data;
  const lanes = s.services.map((v) => v.name);
  const binMs = throughputBinMs(endMs, data.rateIntervalsMs ?? []);
  const throughput = throughputSeries(spans, endMs, binMs);
  const depth = depthSeries(spans, attempts, endMs);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>runcue-sim report: ${esc(scenario.name)}</title><style>${STYLE}</style></head>
<body>
<h1>runcue-sim report: ${esc(scenario.name)}</h1>
<p class="sub">${esc(scenario.description)}</p>
<p class="sub">${esc(runLine(config, scenario))} · ${esc(configLine(config))}</p>
<h2>Summary</h2>
${summaryTable(s)}
${stallSection(s)}
<h2>Timeline</h2>
<p class="note">One lane per service, one bar per attempt from its start to its end. The strip on top of a lane, and the tint behind its bars, mark when the service held work back; the top row marks when the whole run was stalled. Hover over any of them for the details.</p>
${timeline(attempts, conditions, lanes, endMs)}
<h2>Throughput</h2>
<p class="note">Works that ended (completed, failed or skipped) per second, counted in ${esc(binName(binMs))} buckets.</p>
${chart("Throughput", { data: throughput, color: "#2e9d5b", style: "bars" }, "works ended per second", [{ color: "#2e9d5b", label: "works ended per second", note: `average over each ${binName(binMs)} bucket` }], endMs)}
<h2>Queue depth</h2>
<p class="note">Pending and running works, each on its own scale (the most seen in each of ${depth.pending.values.length} buckets).</p>
${chart("Pending works", { data: depth.pending, color: "#e69a28", style: "line" }, "pending works", [{ color: "#e69a28", label: "pending", note: "submitted, not running, not ended", line: true }], endMs)}
${chart("Running works", { data: depth.running, color: "#4a7bd0", style: "line" }, "running works", [{ color: "#4a7bd0", label: "running", note: "handlers in progress", line: true }], endMs)}
<div id="tip"></div>
<script>${SCRIPT}</script>
</body></html>
`;
}
