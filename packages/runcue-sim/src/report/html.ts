import { configLine, runLine } from "../display/text.js";
import { humanDuration, perSecond } from "../display/format.js";
import type { SimConfig } from "../config.js";
import type { Scenario } from "../scenarios/scenario.js";
import type { Summary } from "../summary.js";
import type { Attempt, AttemptOutcome, WorkSpan } from "../timeline.js";
import { depthSeries, packRows, throughputSeries, type Series } from "./charts.js";

/** What the report is drawn from. */
export interface ReportData {
  summary: Summary;
  config: SimConfig;
  scenario: Scenario;
  attempts: readonly Attempt[];
  spans: readonly WorkSpan[];
  /** The run's length in ms. */
  endMs: number;
}

const COLORS: Record<AttemptOutcome, string> = {
  completed: "#2e9d5b",
  failed: "#d64545",
  retried: "#e69a28",
  cancelled: "#8a8f98",
  running: "#4a7bd0",
};

const WIDTH = 1100;
const LABEL = 110;
const PLOT = WIDTH - LABEL - 20;
const ROW = 7;
const MAX_ROWS = 40;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function timeAxis(endMs: number, y: number, height: number): string {
  const ticks = 8;
  let out = "";
  for (let i = 0; i <= ticks; i++) {
    const x = LABEL + (PLOT * i) / ticks;
    out += `<line x1="${fmt(x)}" y1="${y}" x2="${fmt(x)}" y2="${y + height}" class="grid"/>`;
    out += `<text x="${fmt(x)}" y="${y + height + 12}" class="tick" text-anchor="middle">${esc(humanDuration((endMs * i) / ticks))}</text>`;
  }
  return out;
}

/** One lane per service, every attempt a bar from its start to its end, coloured by outcome. */
function timeline(attempts: readonly Attempt[], lanes: readonly string[], endMs: number): string {
  const scale = (t: number): number => LABEL + (PLOT * t) / Math.max(endMs, 1);
  const byLane = new Map<string, Attempt[]>(lanes.map((l) => [l, []]));
  for (const a of attempts) {
    if (!byLane.has(a.service)) byLane.set(a.service, []);
    byLane.get(a.service)?.push(a);
  }
  let y = 10;
  let body = "";
  for (const [lane, list] of byLane) {
    const { placed, rows } = packRows(list);
    const shown = Math.min(rows, MAX_ROWS);
    const height = shown * ROW + 6;
    body += `<rect x="${LABEL}" y="${y}" width="${PLOT}" height="${height}" class="lane"/>`;
    body += `<text x="${LABEL - 8}" y="${y + height / 2 + 4}" text-anchor="end" class="lane-name">${esc(lane)}</text>`;
    for (const { attempt: a, row } of placed) {
      const x = scale(a.start);
      const w = Math.max(scale(a.end) - x, 0.8);
      const ry = y + 3 + (row % MAX_ROWS) * ROW;
      const tip = `#${a.id} ${a.task} ${a.label} · attempt ${a.attempt} · ${a.outcome} · ${humanDuration(a.start)} → ${humanDuration(a.end)} (${humanDuration(a.end - a.start)})`;
      body += `<rect x="${x.toFixed(2)}" y="${ry}" width="${w.toFixed(2)}" height="${ROW - 1}" fill="${COLORS[a.outcome]}" data-tip="${esc(tip)}"><title>${esc(tip)}</title></rect>`;
    }
    y += height + 6;
  }
  return `<svg viewBox="0 0 ${WIDTH} ${y + 20}" width="100%" role="img" aria-label="timeline">${timeAxis(endMs, 4, y - 4)}${body}</svg>`;
}

/** A line chart of one or two series over the run. */
function lineChart(series: readonly { name: string; color: string; data: Series; unit: string }[], endMs: number): string {
  const height = 140;
  const top = 10;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.data.values));
  let paths = "";
  for (const s of series) {
    const n = s.data.values.length;
    const pts = s.data.values.map((v, i) => `${(LABEL + (PLOT * (i + 0.5)) / n).toFixed(1)},${(top + height - (height * v) / max).toFixed(1)}`);
    paths += `<polyline points="${pts.join(" ")}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`;
  }
  const legend = series.map((s, i) => `<text x="${LABEL + 10 + i * 170}" y="${top + 12}" fill="${s.color}" class="legend">■ ${esc(s.name)}</text>`).join("");
  const unit = series[0]?.unit ?? "";
  const axis = `<text x="${LABEL - 8}" y="${top + 8}" text-anchor="end" class="tick">${esc(fmt(max))}${esc(unit)}</text><text x="${LABEL - 8}" y="${top + height}" text-anchor="end" class="tick">0</text>`;
  return `<svg viewBox="0 0 ${WIDTH} ${height + top + 24}" width="100%" role="img">${timeAxis(endMs, top, height)}${axis}${paths}${legend}</svg>`;
}

function summaryTable(s: Summary): string {
  const rows: [string, string][] = [
    ["Outcome", `${s.outcome} (exit ${s.exitCode})`],
    ["Submitted", String(s.submitted)],
    ["Completed", String(s.completed)],
    ["Skipped", String(s.skipped)],
    ["Failed", String(s.failed)],
    ["Cancelled", String(s.cancelled)],
    ["Retries", String(s.retries)],
    ["Invalidations", String(s.invalidations)],
    ["Pending at end", String(s.pending)],
    ["Duration", `${humanDuration(s.durationSeconds * 1000)}${s.clock === "virtual" ? ` simulated (${humanDuration(s.realSeconds * 1000)} real)` : ""}`],
    ["Throughput", perSecond(s.throughput)],
  ];
  const head = "<tr><th>service</th><th>concurrent</th><th>rate</th><th>started</th><th>completed</th><th>failed</th><th>retried</th><th>busy</th><th>utilisation</th><th>throughput</th></tr>";
  const services = s.services.map((v) => `<tr><td>${esc(v.name)}</td><td>${v.concurrent ?? "∞"}</td><td>${esc(v.rate ?? "—")}</td><td>${v.started}</td><td>${v.completed}</td><td>${v.failed}</td><td>${v.retried}</td><td>${esc(humanDuration(v.busySeconds * 1000))}</td><td>${v.utilisation === null ? "—" : `${Math.round(v.utilisation * 100)}%`}</td><td>${esc(perSecond(v.throughput))}</td></tr>`).join("");
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${esc(v)}</td></tr>`).join("")}</table><table class="svc">${head}${services}</table>`;
}

function stallSection(s: Summary): string {
  if (s.stall === null) return "";
  const items = s.stall.items.map((i) => `<li><b>${esc(i.task)} #${esc(i.id)}</b> ${esc(i.label)}${i.count > 1 ? ` and ${i.count - 1} more like it` : ""}: <i>${esc(i.reason)}</i> — ${esc(i.details)}</li>`).join("");
  const reasons = Object.entries(s.stall.byReason).map(([reason, n]) => `${esc(reason)} ${n}`).join(", ");
  const wait = s.stall.kind === "waiting" && s.stall.nextInMs !== undefined ? ` The next start was ${esc(humanDuration(s.stall.nextInMs))} away.` : "";
  return `<h2>Why it stalled</h2><p>${s.stall.total} works pending (${reasons}); nothing started or finished for ${esc(humanDuration(s.stall.stalledFor))}.${wait}</p><ul>${items}</ul>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1140px;color:#1d232b;padding:0 12px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.sub{color:#5b6572;margin:0}
table{border-collapse:collapse;margin:8px 16px 8px 0;display:inline-table;vertical-align:top}th,td{padding:3px 10px;text-align:left;border-bottom:1px solid #e3e6ea}
.svc td,.svc th{text-align:right}.svc td:first-child,.svc th:first-child{text-align:left}
.lane{fill:#f4f6f8}.lane-name{font-size:12px;fill:#333}.grid{stroke:#e3e6ea}.tick{font-size:10px;fill:#6b7480}.legend{font-size:12px}
.key span{display:inline-block;margin-right:14px}.key i{display:inline-block;width:12px;height:10px;margin-right:5px;vertical-align:middle}
#tip{position:fixed;pointer-events:none;background:#1d232b;color:#fff;padding:4px 8px;border-radius:4px;font-size:12px;display:none}
rect[data-tip]:hover{stroke:#000;stroke-width:.6}`;

const SCRIPT = `const tip=document.getElementById("tip");document.addEventListener("mousemove",e=>{const t=e.target.getAttribute&&e.target.getAttribute("data-tip");if(t){tip.textContent=t;tip.style.display="block";tip.style.left=(e.clientX+12)+"px";tip.style.top=(e.clientY+12)+"px"}else tip.style.display="none"});`;

/** A self-contained HTML page (inline CSS, SVG and script; nothing from the network). */
export function renderReport(data: ReportData): string {
  const { summary: s, config, scenario, attempts, spans, endMs } = data;
  const lanes = s.services.map((v) => v.name);
  const throughput = throughputSeries(spans, endMs);
  const depth = depthSeries(spans, attempts, endMs);
  const key = (Object.keys(COLORS) as AttemptOutcome[]).filter((k) => k !== "running").map((k) => `<span><i style="background:${COLORS[k]}"></i>${k}</span>`).join("");
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
<p class="key">${key} <span>one bar per attempt, from start to end; one lane per service</span></p>
${timeline(attempts, lanes, endMs)}
<h2>Throughput</h2>
${lineChart([{ name: "works ended per second", color: "#2e9d5b", data: throughput, unit: "/s" }], endMs)}
<h2>Queue depth</h2>
${lineChart([{ name: "pending", color: "#e69a28", data: depth.pending, unit: "" }, { name: "running", color: "#4a7bd0", data: depth.running, unit: "" }], endMs)}
<div id="tip"></div>
<script>${SCRIPT}</script>
</body></html>
`;
}
