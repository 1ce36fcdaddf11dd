import type { Attempt, WorkSpan } from "../timeline.js";

/** A series of values over evenly spaced buckets from 0 to the end of the run. */
export interface Series {
  /** Milliseconds per bucket. */
  stepMs: number;
  values: number[];
}

/** How many samples the queue-depth charts have. */
export const SAMPLES = 200;

/** Bucket lengths the throughput chart may use: round durations, in ms. */
const BIN_SIZES = [
  1, 2, 5, 10, 20, 50, 100, 200, 250, 500,
  1000, 2000, 5000, 10_000, 15_000, 20_000, 30_000,
  60_000, 120_000, 300_000, 600_000, 900_000, 1_200_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/**
 * The throughput chart's bucket length. About `target` buckets of a round length; but when a
 * rate window of interval I spans the run several times, buckets of at most I / 4 that divide
 * I (so each window's burst of starts lands in its own bucket, with empty ones between: a
 * 60/min run shows one burst per minute instead of a line that beats against the window), as
 * long as there are no more than `maxBins` of them.
 */
export function throughputBinMs(endMs: number, rateIntervalsMs: readonly number[], target = 150, maxBins = 800): number {
  const end = Math.max(endMs, 1);
  const plain = BIN_SIZES.find((b) => end / b <= target) ?? (BIN_SIZES.at(-1) as number);
  const windows = rateIntervalsMs.filter((i) => i > 0 && end >= 2 * i);
  if (windows.length === 0) return plain;
  const interval = Math.min(...windows);
  const fits = BIN_SIZES.filter((b) => b <= interval / 4 && interval % b === 0 && end / b <= maxBins);
  const best = fits.at(-1);
  return best !== undefined && best < plain ? best : plain;
}

/** Works ended (completed, failed or skipped) per second, in buckets of `binMs`. */
export function throughputSeries(spans: readonly WorkSpan[], endMs: number, binMs: number): Series {
  const n = Math.max(1, Math.ceil(Math.max(endMs, 1) / binMs));
  const counts = new Array<number>(n).fill(0);
  for (const s of spans) {
    if (s.ended === undefined) continue;
    const i = Math.min(n - 1, Math.floor(s.ended / binMs));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return { stepMs: binMs, values: counts.map((c) => (c * 1000) / binMs) };
}

interface Change {
  at: number;
  pending: number;
  running: number;
}

/**
 * Pending (submitted, not yet running or ended) and running works over time, sampled at the
 * end of each of {@link SAMPLES} buckets, as the maximum seen within the bucket.
 */
export function depthSeries(spans: readonly WorkSpan[], attempts: readonly Attempt[], endMs: number): { pending: Series; running: Series } {
  const changes: Change[] = [];
  for (const s of spans) {
    changes.push({ at: s.submitted, pending: 1, running: 0 });
    if (s.ended !== undefined && s.skipped) changes.push({ at: s.ended, pending: -1, running: 0 });
  }
  for (const a of attempts) {
    changes.push({ at: a.start, pending: -1, running: 1 });
    // A retried attempt goes back to pending; other outcomes end the work.
    changes.push({ at: a.end, pending: a.outcome === "retried" ? 1 : 0, running: -1 });
  }
  // Failures without a running attempt (timeouts while pending) also leave the queue.
  const started = new Set(attempts.map((a) => a.id));
  for (const s of spans) if (s.ended !== undefined && !s.skipped && !started.has(s.id)) changes.push({ at: s.ended, pending: -1, running: 0 });
  changes.sort((a, b) => a.at - b.at || b.running - a.running);
  const stepMs = Math.max(endMs / SAMPLES, 1);
  const pending = new Array<number>(SAMPLES).fill(0);
  const running = new Array<number>(SAMPLES).fill(0);
  let p = 0;
  let r = 0;
  let i = 0;
  for (let b = 0; b < SAMPLES; b++) {
    const until = (b + 1) * stepMs;
    let maxP = p;
    let maxR = r;
    for (; i < changes.length && (changes[i] as Change).at < until; i++) {
      p += (changes[i] as Change).pending;
      r += (changes[i] as Change).running;
      maxP = Math.max(maxP, p);
      maxR = Math.max(maxR, r);
    }
    pending[b] = maxP;
    running[b] = maxR;
  }
  return { pending: { stepMs, values: pending }, running: { stepMs, values: running } };
}

/** A bar in a lane: which row of the lane it sits in. */
export interface PlacedAttempt {
  attempt: Attempt;
  row: number;
}

/** Packs a lane's attempts into rows so that bars in one row never overlap (greedy, by start). */
export function packRows(attempts: readonly Attempt[]): { placed: PlacedAttempt[]; rows: number } {
  const sorted = [...attempts].sort((a, b) => a.start - b.start || a.end - b.end);
  const rowEnds: number[] = [];
  const placed = sorted.map((attempt) => {
    let row = rowEnds.findIndex((end) => end <= attempt.start);
    if (row === -1) {
      row = rowEnds.length;
      rowEnds.push(attempt.end);
    } else {
      rowEnds[row] = attempt.end;
    }
    return { attempt, row };
  });
  return { placed, rows: Math.max(rowEnds.length, 1) };
}

/** The round step (1, 2 or 5 × 10^k) that gives the number of steps over `span` nearest to `count`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(span / Math.max(1, count)));
  let best = power;
  for (const step of [power, 2 * power, 5 * power, 10 * power, 20 * power]) {
    if (Math.abs(span / step - count) < Math.abs(span / best - count)) best = step;
  }
  return best;
}

/** A value axis from 0: a round maximum at or above `max` and round ticks up to it. */
export function valueAxis(max: number, count = 4): { max: number; ticks: number[] } {
  const step = niceStep(max > 0 ? max : 1, count);
  const top = Math.max(step, Math.ceil((max > 0 ? max : 1) / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { max: top, ticks };
}

/** A time axis over [0, endMs]: the unit its labels are in, and round ticks (in ms) within the run. */
export function timeAxis(endMs: number, count = 8): { unit: "ms" | "s" | "min" | "h"; unitMs: number; ticks: number[]; label(ms: number): string } {
  const end = Math.max(endMs, 1);
  const [unit, unitMs] = end < 2000 ? (["ms", 1] as const) : end < 180_000 ? (["s", 1000] as const) : end < 10_800_000 ? (["min", 60_000] as const) : (["h", 3_600_000] as const);
  const step = niceStep(end / unitMs, count) * unitMs;
  const ticks: number[] = [];
  for (let t = 0; t <= end + 1e-6; t += step) ticks.push(t);
  const decimals = Math.max(0, -Math.floor(Math.log10(step / unitMs) + 1e-9));
  return { unit, unitMs, ticks, label: (ms) => (ms / unitMs).toFixed(decimals) };
}
