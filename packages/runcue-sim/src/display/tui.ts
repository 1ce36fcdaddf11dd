import type { Snapshot, ServiceView } from "../snapshot.js";
import type { StallReport } from "../stall.js";
import type { Summary } from "../summary.js";
import { type Display, type DisplayContext, type StallStop } from "./display.js";
import { bar, clockTime, colorsFor, windowName, eventLine, humanDuration, perSecond, percent, truncate, type Colors } from "./format.js";
import { createFrameWriter, type FrameWriter } from "./frame.js";
import { blockedList, configLine, runLine, stopStalledText, summaryText } from "./text.js";

/** Frames per second of the live display (the runner ticks at this rate at most). */
const BLOCKED_ROWS = 4;
const EVENT_ROWS = 6;

/**
 * The live terminal display: queue counts, progress, one row per service, the blocked-work
 * panel while stalled, the latest events and the configuration, redrawn in place.
 */
export class TuiDisplay implements Display {
  readonly #ctx: DisplayContext;
  readonly #c: Colors;
  readonly #frame: FrameWriter;
  #stopText = "";

  constructor(ctx: DisplayContext) {
    this.#ctx = ctx;
    this.#c = colorsFor(ctx.out);
    this.#frame = createFrameWriter(ctx.out);
  }

  tick(snapshot: () => Snapshot): void {
    this.#frame.render(this.render(snapshot()));
  }

  stopStalled(report: StallReport, why: StallStop): void {
    // Said below the last frame, with the summary.
    this.#stopText = stopStalledText(report, why, this.#ctx.config, this.#c, this.#ctx.out.columns ?? 100);
  }

  end(summary: Summary, last: Snapshot): void {
    this.#frame.render(this.render(last, false));
    this.#frame.done();
    this.#ctx.out.write(`\n${this.#stopText === "" ? "" : `${this.#stopText}\n`}${summaryText(summary, this.#c)}`);
  }

  /** The frame for `s`, as lines of text no wider than the terminal. */
  render(s: Snapshot, running = true): string {
    const c = this.#c;
    const { config, scenario } = this.#ctx;
    const width = Math.max(60, Math.min(this.#ctx.out.columns ?? 100, 120));
    const lines: string[] = [];
    const title = `${c.bold(c.cyan("runcue-sim"))} ${runLine(config, scenario)}`;
    lines.push(`${title}   ${c.dim(`t=${clockTime(s.elapsedMs)}`)}`);
    lines.push("");

    const q = s.queue;
    const count = (label: string, n: number, color: (x: string) => string): string => `${c.dim(label)} ${n > 0 ? color(String(n)) : "0"}`;
    lines.push(`${c.bold("Queue")}   ${[
      count("queued", q.queued, c.white),
      count("waiting", q.waiting, c.yellow),
      count("running", q.running, c.cyan),
      count("retrying", q.retrying, c.yellow),
      count("✓ completed", q.completed, c.green),
      count("↷ skipped", q.skipped, c.magenta),
      count("✗ failed", q.failed, c.red),
    ].join("  ")}`);
    const progressWidth = Math.max(10, Math.min(40, width - 60));
    const eta = s.etaMs === undefined ? "—" : humanDuration(s.etaMs);
    lines.push(`        ${c.green(bar(s.progress, progressWidth))} ${percent(s.progress).padStart(4)}  ${s.done}/${s.expected}  ${perSecond(s.throughput)}  ${c.dim("ETA")} ${running ? eta : "done"}`);
    lines.push("");

    lines.push(c.bold("Services"));
    const nameWidth = Math.max(8, ...s.services.map((x) => x.name.length));
    for (const svc of s.services) lines.push(`  ${this.#serviceRow(svc, nameWidth)}`);

    if (s.stall !== undefined) {
      const st = s.stall;
      lines.push("");
      const reasons = Object.entries(st.byReason).map(([r, n]) => `${r} ${n}`).join(", ");
      const title = st.kind === "waiting"
        ? c.cyan(c.bold(`Waiting: nothing can start for ${humanDuration(st.nextInMs ?? 0)}, ${st.total} pending (${reasons})`))
        : c.yellow(c.bold(`Blocked: stalled ${humanDuration(st.stalledFor)}, ${st.total} pending (${reasons})`));
      lines.push(title);
      lines.push(...blockedList(st, c, BLOCKED_ROWS, width, "  "));
    }

    lines.push("");
    lines.push(c.bold("Latest events"));
    const events = s.recent.slice(-EVENT_ROWS);
    for (const e of events) lines.push(`  ${eventLine(e, c, width - 2)}`);
    for (let i = events.length; i < EVENT_ROWS; i++) lines.push("");

    lines.push("");
    lines.push(c.dim(truncate(`${configLine(config)} · ${running ? "Ctrl+C to stop" : "finished"}`, width)));
    return lines.join("\n");
  }

  #serviceRow(svc: ServiceView, nameWidth: number): string {
    const c = this.#c;
    const limited = Number.isFinite(svc.concurrent);
    const use = limited ? svc.active / svc.concurrent : 0;
    const color = use >= 0.9 ? c.red : use >= 0.7 ? c.yellow : c.green;
    const cells = limited ? color(bar(use, 10)) : c.dim("░".repeat(10));
    const slots = (limited ? `${svc.active}/${svc.concurrent}` : `${svc.active}/∞`).padStart(7);
    const rate = svc.rate === undefined ? c.dim("no rate limit".padEnd(18)) : `${svc.rate.used}/${svc.rate.limit} per ${windowName(svc.rate.intervalMs)}`.padEnd(18);
    const failed = svc.failed > 0 ? c.red(`✗ ${svc.failed}`.padEnd(7)) : c.dim("✗ 0".padEnd(7));
    return `${svc.name.padEnd(nameWidth)} ${cells} ${slots}  ${rate} ${c.green(`✓ ${svc.completed}`.padEnd(8))} ${failed} ${perSecond(svc.throughput).padStart(9)}`;
  }
}
