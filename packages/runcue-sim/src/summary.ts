import type { SimConfig } from "./config.js";
import { describeRate } from "./config.js";
import type { StallReport } from "./stall.js";

/** How a run ended. */
export type Outcome = "completed" | "stalled" | "duration" | "interrupted";

/** The exit code of each outcome. */
export const EXIT_CODES: Record<Outcome, number> = { completed: 0, duration: 0, stalled: 3, interrupted: 130 };

/** Totals of one service over the run. */
export interface ServiceSummary {
  name: string;
  concurrent: number | null;
  rate: string | null;
  started: number;
  completed: number;
  failed: number;
  retried: number;
  /** Slot-seconds used. */
  busySeconds: number;
  /** busy / (concurrent × duration), or null when unlimited. */
  utilisation: number | null;
  /** (completed + failed) per second. */
  throughput: number;
}

/** The final summary: printed in every mode, and the `--json` output. */
export interface Summary {
  scenario: string;
  seed: number;
  clock: "virtual" | "real";
  outcome: Outcome;
  exitCode: number;
  submitted: number;
  completed: number;
  skipped: number;
  failed: number;
  cancelled: number;
  retries: number;
  invalidations: number;
  /** Works still pending when the run ended. */
  pending: number;
  /** The run's length on its clock (simulated time with `--virtual`). */
  durationSeconds: number;
  /** Wall-clock seconds the run took. */
  realSeconds: number;
  /** Completed works per second (of the run's clock). */
  throughput: number;
  services: ServiceSummary[];
  config: {
    count: number;
    latencyMs: number;
    jitter: number;
    outliers: number;
    outlierMult: number;
    errorRate: number;
    concurrent: number;
    rateLimit: string | null;
    submitRate: number | null;
    durationSeconds: number | null;
    timeoutSeconds: number | null;
  };
  /** Why the run was stalled, when it ended stalled. */
  stall: StallReport | null;
  /** The HTML report written, if any. */
  report: string | null;
}

/** The `config` part of a summary. */
export function summariseConfig(config: SimConfig): Summary["config"] {
  return {
    count: config.count,
    latencyMs: config.latencyMs,
    jitter: config.jitter,
    outliers: config.outliers,
    outlierMult: config.outlierMult,
    errorRate: config.errorRate,
    concurrent: config.concurrent,
    rateLimit: config.rate === undefined ? null : describeRate(config.rate),
    submitRate: config.submitRate ?? null,
    durationSeconds: config.durationS ?? null,
    timeoutSeconds: config.timeoutS ?? null,
  };
}
