import type { Snapshot, ServiceView } from "../snapshot.js";
import type { StallReport } from "../stall.js";
import type { Summary } from "../summary.js";
import { type Display, type DisplayContext, type StallStop } from "./display.js";
import { bar, clockTime, colorsFor, eventLine, flow, humanDuration, perSecond, percent, visibleWidth, windowName, type Colors } from "./format.js";
import { createFrameWriter, fitFrame, type FrameWriter } from "./frame.js";
import { blockedList, configLine, outcomeText, reasonCounts, runLine, stopStalledText, summaryText } from "./text.js";

const BLOCKED_ROWS = 4;
const EVENT_ROWS = 6;
/** Below this width a service row drops its utilisation bar and the event log its padding. */
const COMPACT_WIDTH = 80;

/**
 * The live terminal display: queue counts, progress, one row per service, the blocked-work
 * panel while stalled, the latest events and the configuration, redrawn in place. On a narrow
 * terminal the rows wrap rather than lose their counts; on a resize the screen is redrawn.
 */
export class TuiDisplay implements Display {
  readonly #ctx: DisplayContext;
  readonly #c: Colors;
  readonly #frame: FrameWriter;
  #stopText = "";
  #last: Snapshot | undefined;
  readonly #onResize = (): void => {
    this.#frame.resized();
    if (this.#last !== undefined) this.#frame.render(this.render(this.#last));
  };

  constructor(ctx: DisplayContext) {
    this.#ctx = ctx;
    this.#c = colorsFor(ctx.out, ctx.config.color);
    this.#frame = createFrameWriter(ctx.out);
  }

  begin(): void {
    this.#ctx.out.on?.("resize", this.#onResize);
  }

  tick(snapshot: () => Snapshot): void {
    this.#last = snapshot();
    this.#frame.render(this.render(this.#last));
  }

  stopStalled(report: StallReport, why: StallStop): void {
    // Said below the last frame, with the summary.
    this.#stopText = stopStalledText(report, why, this.#ctx.config, this.#c, this.#width());
  }

  end(summary: Summary, last: Snapshot): void {
    this.#ctx.out.off?.("resize", this.#onResize);
    this.#frame.done();
    const width = this.#width();
    const frame = fitFrame(this.render(last, summary), this.#ctx.out.columns ?? 100, undefined);
    this.#ctx.out.write(`${frame}\n\n${this.#stopText === "" ? "" : `${this.#stopText}\n`}${summaryText(summary, this.#c, width)}`);
  }

  #width(): number {
    // One column short of the terminal: a line that fills the last column makes some terminals wrap.
    return Math.max(20, Math.min((this.#ctx.out.columns ?? 100) - 1, 120));
  }

  /**
   * The frame for `s`, as lines no wider than the terminal. With `ended`, the last frame: no
   * ETA, and what the run ended with (never "done" while work is pending).
   */
  render(s: Snapshot, ended?: Pick<Summary, "outcome" | "pending" | "pendingByReason">): string {
    const c = this.#c;
    const { config, scenario } = this.#ctx;
    const width = this.#width();
    const compact = width < COMPACT_WIDTH;
    const lines: string[] = [];
    const title = runLine(config, scenario).split(" · ");
    lines.push(...flow("", [`${c.bold(c.cyan("runcue-sim"))} ${title[0] ?? ""}`, ...title.slice(1), c.dim(`t=${clockTime(s.elapsedMs)}`)], width, "  ", " · "));
    lines.push("");

    const q = s.queue;
    const count = (label: string, n: number, color: (x: string) => string): string => `${c.dim(label)} ${n > 0 ? color(String(n)) : "0"}`;
    lines.push(...flow(`${c.bold("Queue")}   `, [
      count("queued", q.queued, c.white),
      count("waiting", q.waiting, c.yellow),
      count("running", q.running, c.cyan),
      count("retrying", q.retrying, c.yellow),
      count("✓ completed", q.completed, c.green),
      count("↷ skipped", q.skipped, c.magenta),
      count("✗ failed", q.failed, c.red),
      ...(q.cancelled > 0 ? [count("∅ cancelled", q.cancelled, c.gray)] : []),
    ], width));
    const eta = s.stopping === true && ended === undefined
      ? c.yellow("stopping")
      : ended === undefined
      ? `${c.dim("ETA")} ${s.etaMs === undefined ? "unknown" : humanDuration(s.etaMs)}`
      : ended.outcome === "completed" ? c.green("done") : c.yellow(`stopped, ${ended.pending} pending`);
    const figures = [`${percent(s.progress).padStart(4)}`, `${s.done}/${s.expected}`, perSecond(s.throughput), eta];
    const figuresWidth = visibleWidth(figures.join("  "));
    const barWidth = Math.max(0, Math.min(40, width - 8 - 1 - figuresWidth - 2));
    lines.push(...flow("        ", [...(barWidth >= 10 ? [c.green(bar(s.progress, barWidth))] : []), ...figures], width));
    lines.push("");

    lines.push(c.bold("Services"));
    const nameWidth = Math.max(8, ...s.services.map((x) => x.name.length));
    for (const svc of s.services) lines.push(...this.#serviceRow(svc, nameWidth, width, compact));

    if (s.stall !== undefined) {
      const st = s.stall;
      lines.push("");
      const reasons = reasonCounts(st);
      const when = ended === undefined ? "" : " when the run stopped";
      const head = st.kind === "waiting"
        ? [`Waiting${when}:`, `${st.nextInMs === undefined ? "no start known yet" : `nothing can start for ${humanDuration(st.nextInMs)}`},`]
        : [`Blocked${when}:`, `stalled ${humanDuration(st.stalledFor)},`];
      const color = st.kind === "waiting" ? c.cyan : c.yellow;
      lines.push(...flow("", [...head, `${st.total} pending (${reasons})`].map((part) => color(c.bold(part))), width, "  ", " "));
      lines.push(...blockedList(st, c, BLOCKED_ROWS, width, "  "));
    } else if (ended !== undefined && ended.pending > 0) {
      lines.push("");
      lines.push(...flow("", [c.yellow(c.bold(`Pending when the run stopped: ${ended.pending}`)), c.yellow(`(${reasonCounts({ byReason: ended.pendingByReason })})`)], width, "  ", " "));
    }

    lines.push("");
    lines.push(c.bold("Latest events"));
    // The events panel gives way first on a short terminal (the frame must fit its height).
    const rowsLeft = (this.#ctx.out.rows ?? Infinity) - 1 - lines.length - 3;
    const eventRows = ended === undefined ? Math.max(0, Math.min(EVENT_ROWS, rowsLeft)) : EVENT_ROWS;
    const events = s.recent.slice(-eventRows);
    for (const e of events) lines.push(`  ${eventLine(e, c, width - 2, compact)}`);
    for (let i = events.length; i < eventRows; i++) lines.push("");

    lines.push("");
    const status = ended !== undefined ? outcomeText(ended) : s.stopping === true ? "stopping: running work finishes, nothing new starts" : "Ctrl+C to stop";
    lines.push(...flow("", [...configLine(config).split(" · "), status].map((p) => c.dim(p)), width, "", c.dim(" · ")));
    return lines.join("\n");
  }

  #serviceRow(svc: ServiceView, nameWidth: number, width: number, compact: boolean): string[] {
    const c = this.#c;
    const limited = Number.isFinite(svc.concurrent);
    const use = limited ? svc.active / svc.concurrent : 0;
    const color = use >= 0.9 ? c.red : use >= 0.7 ? c.yellow : c.green;
    const cells = limited ? color(bar(use, 10)) : c.dim("░".repeat(10));
    const slots = limited ? `${svc.active}/${svc.concurrent}` : `${svc.active}/∞`;
    const rateText = svc.rate === undefined ? "no rate limit" : `${svc.rate.used}/${svc.rate.limit} per ${windowName(svc.rate.intervalMs)}`;
    const failed = svc.failed > 0 ? c.red(`✗ ${svc.failed}`) : c.dim("✗ 0");
    if (!compact) {
      const rate = svc.rate === undefined ? c.dim(rateText.padEnd(18)) : rateText.padEnd(18);
      const failedCell = svc.failed > 0 ? c.red(`✗ ${svc.failed}`.padEnd(7)) : c.dim("✗ 0".padEnd(7));
      return [`  ${svc.name.padEnd(nameWidth)} ${cells} ${slots.padStart(7)}  ${rate} ${c.green(`✓ ${svc.completed}`.padEnd(8))} ${failedCell} ${perSecond(svc.throughput).padStart(9)}`];
    }
    return flow(`  ${svc.name.padEnd(nameWidth)} `, [slots, svc.rate === undefined ? c.dim(rateText) : rateText, c.green(`✓ ${svc.completed}`), failed, perSecond(svc.throughput)], width, `  ${" ".repeat(nameWidth)} `);
  }
}
