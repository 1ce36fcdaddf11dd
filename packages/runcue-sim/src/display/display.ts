import type { SimConfig } from "../config.js";
import type { SimEvent } from "../events.js";
import type { Scenario } from "../scenarios/scenario.js";
import type { Snapshot } from "../snapshot.js";
import type { Stall, StallKind, StallReport } from "../stall.js";
import type { Summary } from "../summary.js";

/** Where a display writes: stdout or stderr, or a test's buffer. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  /** A terminal emits `resize` when its size changes (the live display redraws). */
  on?(event: "resize", listener: () => void): unknown;
  off?(event: "resize", listener: () => void): unknown;
}

/** What every display knows about the run it shows. */
export interface DisplayContext {
  config: SimConfig;
  scenario: Scenario;
  out: Output;
}

/** Why a run stopped stalled: `--timeout`, or (virtual clock only) nothing could ever happen again. */
export type StallStop = "timeout" | "deadlock";

/**
 * A way of showing a run. The runner calls `begin`, then `event` for every event, `tick` about
 * ten times a second (of real time), the stall callbacks, and finally `end` with the summary.
 */
export interface Display {
  begin?(): void;
  event?(event: SimEvent): void;
  /** `snapshot` is only built when called, so displays that skip ticks cost nothing. */
  tick?(snapshot: () => Snapshot): void;
  stall?(stall: Stall, repeat: boolean): void;
  resume?(kind: StallKind): void;
  stopStalled?(report: StallReport, why: StallStop): void;
  end(summary: Summary, last: Snapshot): void;
}

/** Shows a run on several displays at once (`--json -v`: the log on stderr, the JSON on stdout). */
export class MultiDisplay implements Display {
  readonly #displays: readonly Display[];

  constructor(displays: readonly Display[]) {
    this.#displays = displays;
  }

  begin(): void { for (const d of this.#displays) d.begin?.(); }
  event(event: SimEvent): void { for (const d of this.#displays) d.event?.(event); }
  tick(snapshot: () => Snapshot): void { for (const d of this.#displays) d.tick?.(snapshot); }
  stall(stall: Stall, repeat: boolean): void { for (const d of this.#displays) d.stall?.(stall, repeat); }
  resume(kind: StallKind): void { for (const d of this.#displays) d.resume?.(kind); }
  stopStalled(report: StallReport, why: StallStop): void { for (const d of this.#displays) d.stopStalled?.(report, why); }
  end(summary: Summary, last: Snapshot): void { for (const d of this.#displays) d.end(summary, last); }
}
