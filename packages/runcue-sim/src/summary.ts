import type { BlockReason } from "runcue";
import type { SimConfig } from "./config.js";
import { describeRate } from "./config.js";
import type { StallReport } from "./stall.js";

/** How a run ended. */
export type Outcome = "completed" | "stalled" | "duration" | "interrupted";

/** The exit code of each outcome. */
export const EXIT_CODES: Record<Outcome, number> = { completed: 0, duration: 0, stalled: 3, interrupted: 130 };

/** The exit code of a run whose `--report` could not be written (unless the outcome's code is already non-zero). */
export const EXIT_REPORT_FAILED = 4;

/**
 * The version of the JSON summary's shape (`schema/summary.schema.json`). Raised whenever a
 * field is renamed, removed or changes meaning; adding a field does not raise it.
 */
export const SUMMARY_VERSION = 1;

/** Pending works per reason (only reasons with at least one work). */
export type ReasonCounts = Partial<Record<BlockReason, number>>;

/** Totals of one service over the run. Durations in ms (whole numbers). */
export interface ServiceSummary {
  name: string;
  /** The concurrency cap, or null when unlimited. */
  concurrent: number | null;
  /** The rate limit as given, or null. */
  rate: string | null;
  started: number;
  completed: number;
  failed: number;
  retried: number;
  /** Slot-milliseconds used: the sum of its attempts' durations. */
  busyMs: number;
  /** busyMs / (concurrent × durationMs), in [0, 1], 4 decimals; null when unlimited. */
  utilisation: number | null;
  /** Works of this service that ended (completed or failed) per second of the run, 3 decimals. */
  endedPerSecond: number;
}

/** One pending work in a stall report, standing for `count` works waiting the same way. */
export interface BlockedItemSummary {
  id: string;
  task: string;
  label: string;
  reason: BlockReason;
  details: string;
  /** How many pending works wait for the same reason with the same details (this one first). */
  count: number;
  /** Milliseconds until the blocker ends, where runcue knows it; else null. */
  inMs: number | null;
}

/** Why work was pending with nothing running when the run ended. Times in ms since the run started. */
export interface StallSummary {
  /** `waiting`: some work waits for a known moment (rate window, retry delay); `blocked`: only not-ready work is left. */
  kind: "waiting" | "blocked";
  /** When the last work started or finished. */
  sinceMs: number;
  /** How long nothing had started or finished when the run ended. */
  stalledForMs: number;
  /** Pending works. */
  pending: number;
  byReason: ReasonCounts;
  /** The most telling pending works, alike ones grouped; at most 10. */
  items: BlockedItemSummary[];
  /** Pending works that `items` leave out ("and N more"). */
  more: number;
  /** With `waiting`: ms until the first blocker ends, where known; else null. */
  nextInMs: number | null;
  /** True when only not-ready work was left and nothing ran or waited for a time. */
  deadlocked: boolean;
}

/** The final summary: printed in every mode, and the `--json` output. Durations in ms. */
export interface Summary {
  /** {@link SUMMARY_VERSION}. */
  version: typeof SUMMARY_VERSION;
  scenario: string;
  seed: number;
  clock: "virtual" | "real";
  outcome: Outcome;
  /** The process exit code (see the README). */
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
  /** Why those works were pending, per reason, taken just before the run stopped (empty when none). */
  pendingByReason: ReasonCounts;
  /** The run's length on its clock (simulated time with `--virtual`). */
  durationMs: number;
  /** Wall-clock milliseconds the run took. */
  realMs: number;
  /** Completed works per second of the run's clock, 3 decimals. */
  completedPerSecond: number;
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
    durationMs: number | null;
    timeoutMs: number | null;
  };
  /**
   * Why the run was stalled or waiting when it ended: work pending and nothing running (a
   * `--timeout`, a deadlock, or Ctrl+C during a wait). Null when the run did not end that way.
   */
  stall: StallSummary | null;
  /** The HTML report written, or null. */
  report: string | null;
  /** Why the asked-for report could not be written, or null. */
  reportError: string | null;
}

/** A whole number of milliseconds. */
export function ms(n: number): number {
  return Math.round(n);
}

/** `n` rounded to `digits` decimals. */
export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
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
    durationMs: config.durationS === undefined ? null : ms(config.durationS * 1000),
    timeoutMs: config.timeoutS === undefined ? null : ms(config.timeoutS * 1000),
  };
}

/** A stall report as the summary keeps it: whole milliseconds, null for unknown values, and how many works the items leave out. */
export function summariseStall(report: StallReport): StallSummary {
  const listed = report.items.reduce((n, item) => n + item.count, 0);
  return {
    kind: report.kind,
    sinceMs: ms(report.since),
    stalledForMs: ms(report.stalledFor),
    pending: report.total,
    byReason: { ...report.byReason },
    items: report.items.map((i) => ({ id: i.id, task: i.task, label: i.label, reason: i.reason, details: i.details, count: i.count, inMs: i.inMs === undefined ? null : ms(i.inMs) })),
    more: Math.max(0, report.total - listed),
    nextInMs: report.nextInMs === undefined ? null : ms(report.nextInMs),
    deadlocked: report.deadlocked,
  };
}
