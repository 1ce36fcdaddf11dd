import type { Rate, RateSpec } from "runcue";

/** How a run shows itself. */
export type OutputMode = "tui" | "plain" | "verbose" | "json";

/** A simulation as the user described it; every field optional (see {@link resolveConfig}). */
export interface SimOptions {
  scenario?: string;
  count?: number;
  latencyMs?: number;
  jitter?: number;
  outliers?: number;
  outlierMult?: number;
  errorRate?: number;
  concurrent?: number;
  /** A runcue rate for the main service (`"60/min"` or `{ limit, interval }`). */
  rate?: string | RateSpec;
  /** Initial submissions per second (on the run's clock). @default all at once */
  submitRate?: number;
  /** Stop after this many seconds (then wait for running work). */
  durationS?: number;
  /** Stop after this many seconds stalled, with exit code 3. */
  timeoutS?: number;
  seed?: number;
  virtual?: boolean;
  mode?: OutputMode;
  /** Also print the verbose event log to stderr (only with the `json` mode). */
  verboseToStderr?: boolean;
  /** Write an HTML report here. */
  reportPath?: string;
  /** How long without a start or finish counts as a stall. @default 2000 */
  stallAfterMs?: number;
  /** Colours: false turns them off; by default they are on for a colour-capable TTY. */
  color?: boolean;
  /** May the displays move the cursor (redraw in place)? False on a dumb terminal. @default true */
  moveCursor?: boolean;
}

/** A simulation with every default applied. */
export interface SimConfig {
  scenario: string;
  count: number;
  latencyMs: number;
  jitter: number;
  outliers: number;
  outlierMult: number;
  errorRate: number;
  concurrent: number;
  rate: string | RateSpec | undefined;
  submitRate: number | undefined;
  durationS: number | undefined;
  timeoutS: number | undefined;
  seed: number;
  virtual: boolean;
  mode: OutputMode;
  verboseToStderr: boolean;
  reportPath: string | undefined;
  stallAfterMs: number;
  /** False: no colours; undefined: on for a colour-capable TTY. */
  color: boolean | undefined;
  moveCursor: boolean;
}

/** Every default of the simulator, in one place (the CLI's `--help` reads them from here). */
export const DEFAULTS = {
  scenario: "single_queue",
  count: 100,
  latencyMs: 100,
  jitter: 0.2,
  outliers: 0,
  outlierMult: 5,
  errorRate: 0,
  concurrent: 5,
  stallAfterMs: 2000,
} as const;

/** Applies the defaults; `seed` must be chosen by the caller (so it can print it). */
export function resolveConfig(options: SimOptions & { seed: number }): SimConfig {
  return {
    scenario: options.scenario ?? DEFAULTS.scenario,
    count: options.count ?? DEFAULTS.count,
    latencyMs: options.latencyMs ?? DEFAULTS.latencyMs,
    jitter: options.jitter ?? DEFAULTS.jitter,
    outliers: options.outliers ?? DEFAULTS.outliers,
    outlierMult: options.outlierMult ?? DEFAULTS.outlierMult,
    errorRate: options.errorRate ?? DEFAULTS.errorRate,
    concurrent: options.concurrent ?? DEFAULTS.concurrent,
    rate: options.rate,
    submitRate: options.submitRate,
    durationS: options.durationS,
    timeoutS: options.timeoutS,
    seed: options.seed,
    virtual: options.virtual ?? false,
    mode: options.mode ?? "plain",
    verboseToStderr: options.verboseToStderr ?? false,
    reportPath: options.reportPath,
    stallAfterMs: options.stallAfterMs ?? DEFAULTS.stallAfterMs,
    color: options.color,
    moveCursor: options.moveCursor ?? true,
  };
}

/** A rate as people read it: `60/min`, or `60 per 60s` for the object form. */
export function describeRate(rate: Rate | undefined): string {
  if (rate === undefined) return "none";
  if (typeof rate === "string") return rate;
  if (Array.isArray(rate)) return rate.map((r: string | RateSpec) => describeRate(r)).join(" + ");
  const spec = rate as RateSpec;
  const interval = typeof spec.interval === "number" ? `${spec.interval / 1000}s` : spec.interval;
  return `${spec.limit} per ${interval}`;
}
