import type { Snapshot } from "../snapshot.js";
import type { Stall, StallKind, StallReport } from "../stall.js";
import type { Summary } from "../summary.js";
import { type Display, type DisplayContext, type StallStop } from "./display.js";
import { colorsFor, perSecond, percent, type Colors } from "./format.js";
import { configLine, runLine, stallText, stopStalledText, summaryText } from "./text.js";

/** At most two status lines a second. */
const STATUS_EVERY_MS = 500;

/** `[done/submitted] Q:.. R:.. ✓:.. ✗:.. (pct%) thr/s`, plus skips, retries and waits when there are any. */
export function statusLine(s: Snapshot): string {
  const q = s.queue;
  let line = `[${s.done}/${s.submitted}] Q:${q.queued} R:${q.running} ✓:${q.completed} ✗:${q.failed}`;
  if (q.skipped > 0) line += ` ↷:${q.skipped}`;
  if (q.retrying > 0) line += ` ⟳:${q.retrying}`;
  if (q.waiting > 0) line += ` W:${q.waiting}`;
  return `${line} (${percent(s.progress)}) ${perSecond(s.throughput)}`;
}

/**
 * Plain lines, for pipes, logs and `--no-tui`. On a TTY the status line rewrites itself with a
 * carriage return; elsewhere each status line is a new line, printed only when the counts moved.
 */
export class PlainDisplay implements Display {
  readonly #ctx: DisplayContext;
  readonly #c: Colors;
  readonly #tty: boolean;
  #lastAt = -Infinity;
  #lastCounts = "";
  #openLine = 0;

  constructor(ctx: DisplayContext) {
    this.#ctx = ctx;
    this.#c = colorsFor(ctx.out, ctx.config.color);
    // On a dumb terminal (TERM=dumb) a carriage return is cursor movement too: new lines only.
    this.#tty = ctx.out.isTTY === true && ctx.config.moveCursor;
  }

  begin(): void {
    const { config, scenario } = this.#ctx;
    this.#print(`${this.#c.bold("runcue-sim")} ${runLine(config, scenario)}\n${this.#c.dim(configLine(config))}\n`);
  }

  tick(snapshot: () => Snapshot): void {
    const now = performance.now();
    if (now - this.#lastAt < STATUS_EVERY_MS) return;
    this.#lastAt = now;
    this.#status(snapshot());
  }

  #status(s: Snapshot): void {
    const line = statusLine(s);
    const counts = line.slice(0, line.lastIndexOf("("));
    if (this.#tty) {
      this.#ctx.out.write(`\r${line.padEnd(this.#openLine)}`);
      this.#openLine = line.length;
    } else if (counts !== this.#lastCounts) {
      this.#ctx.out.write(`${line}\n`);
    }
    this.#lastCounts = counts;
  }

  stall(stall: Stall, repeat: boolean): void {
    // A wait for a known moment is said once; on the virtual clock such waits pass in no time.
    if (stall.kind === "waiting" && (repeat || this.#ctx.config.virtual)) return;
    const report = stall.report();
    this.#print(stallText(report, repeat, this.#c, 5, this.#width()));
  }

  resume(kind: StallKind): void {
    if (kind === "waiting") return;
    this.#print(`${this.#c.green("▶  Progress again")}\n`);
  }

  stopStalled(report: StallReport, why: StallStop): void {
    this.#print(stopStalledText(report, why, this.#ctx.config, this.#c, this.#width()));
  }

  end(summary: Summary, last: Snapshot): void {
    this.#lastAt = -Infinity;
    this.#status(last);
    this.#print(`\n${summaryText(summary, this.#c, this.#width())}`);
  }

  /** Lines fit the terminal; in a pipe or a log they are never cut. */
  #width(): number {
    return this.#ctx.out.isTTY === true ? (this.#ctx.out.columns ?? 120) : Infinity;
  }

  /** Writes whole lines, ending the rewritten status line first. */
  #print(text: string): void {
    if (this.#openLine > 0) {
      this.#ctx.out.write("\n");
      this.#openLine = 0;
    }
    this.#ctx.out.write(text);
  }
}
