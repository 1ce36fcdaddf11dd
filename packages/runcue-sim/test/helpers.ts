import { resolveConfig, type SimOptions } from "../src/config.js";
import type { Output } from "../src/display/display.js";
import type { SimEvent } from "../src/events.js";
import { runSimulation, type RunHooks } from "../src/runner.js";
import type { Summary } from "../src/summary.js";

/** An output that keeps what was written. */
export class Capture implements Output {
  text = "";
  isTTY = false;
  columns = 120;

  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** What a test run leaves behind. */
export interface SimRun {
  summary: Summary;
  events: SimEvent[];
  stdout: string;
  stderr: string;
}

/** Runs a simulation on the virtual clock (unless told otherwise), seeded, JSON mode, captured. */
export async function simulate(options: SimOptions = {}, interrupt?: AbortSignal, sample?: RunHooks["sample"]): Promise<SimRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const events: SimEvent[] = [];
  const config = resolveConfig({ mode: "json", virtual: true, ...options, seed: options.seed ?? 1 });
  const summary = await runSimulation(config, { stdout, stderr }, { onEvent: (e) => events.push(e), ...(interrupt ? { interrupt } : {}), ...(sample ? { sample } : {}) });
  return { summary, events, stdout: stdout.text, stderr: stderr.text };
}

/** The events of one kind. */
export function ofKind(events: readonly SimEvent[], kind: SimEvent["kind"]): SimEvent[] {
  return events.filter((e) => e.kind === kind);
}
