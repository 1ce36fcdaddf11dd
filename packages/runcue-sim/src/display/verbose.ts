import type { SimEvent } from "../events.js";
import type { Stall, StallKind, StallReport } from "../stall.js";
import type { Summary } from "../summary.js";
import { type Display, type DisplayContext, type StallStop } from "./display.js";
import { colorsFor, eventLine, type Colors } from "./format.js";
import { configLine, runLine, stallText, stopStalledText, summaryText } from "./text.js";

/** One line per event (`HH:MM:SS.mmm symbol event [task] id details`), stall reports, the summary. */
export class VerboseDisplay implements Display {
  readonly #ctx: DisplayContext;
  readonly #c: Colors;
  readonly #summary: boolean;

  /** @param summary print the summary at the end (not when the JSON display prints it). */
  constructor(ctx: DisplayContext, summary = true) {
    this.#ctx = ctx;
    this.#c = colorsFor(ctx.out, ctx.config.color);
    this.#summary = summary;
  }

  begin(): void {
    const { config, scenario } = this.#ctx;
    const header = `${"TIME".padEnd(12)}   ${"EVENT".padEnd(11)} ${"[TASK]".padEnd(16)} ${"ID".padStart(6)} DETAILS`;
    this.#ctx.out.write(`${this.#c.bold("runcue-sim [verbose]")} ${runLine(config, scenario)}\n${this.#c.dim(configLine(config))}\n${header}\n${"-".repeat(80)}\n`);
  }

  event(event: SimEvent): void {
    this.#ctx.out.write(`${eventLine(event, this.#c)}\n`);
  }

  stall(stall: Stall, repeat: boolean): void {
    // A wait for a known moment is said once; on the virtual clock such waits pass in no time.
    if (stall.kind === "waiting" && (repeat || this.#ctx.config.virtual)) return;
    const report = stall.report();
    this.#ctx.out.write(stallText(report, repeat, this.#c, 5, this.#width()));
  }

  resume(kind: StallKind): void {
    if (kind === "waiting") return;
    this.#ctx.out.write(`${this.#c.green("▶  Progress again")}\n`);
  }

  stopStalled(report: StallReport, why: StallStop): void {
    this.#ctx.out.write(stopStalledText(report, why, this.#ctx.config, this.#c, this.#width()));
  }

  /** Lines fit the terminal; in a pipe or a log they are never cut. */
  #width(): number {
    return this.#ctx.out.isTTY === true ? (this.#ctx.out.columns ?? 120) : Infinity;
  }

  end(summary: Summary): void {
    if (this.#summary) this.#ctx.out.write(`\n${summaryText(summary, this.#c, this.#width())}`);
  }
}
