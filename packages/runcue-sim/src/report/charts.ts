import type { Attempt, WorkSpan } from "../timeline.js";

/** A series of values sampled at evenly spaced times from 0 to the end of the run. */
export interface Series {
  /** Milliseconds between samples. */
  stepMs: number;
  values: number[];
}

/** How many samples (or buckets) a chart has. */
export const SAMPLES = 200;

/** Works ended (completed, failed or skipped) per second, in {@link SAMPLES} buckets. */
export function throughputSeries(spans: readonly WorkSpan[], endMs: number): Series {
  const stepMs = Math.max(endMs / SAMPLES, 1);
  const counts = new Array<number>(SAMPLES).fill(0);
  for (const s of spans) {
    if (s.ended === undefined) continue;
    const i = Math.min(SAMPLES - 1, Math.floor(s.ended / stepMs));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return { stepMs, values: counts.map((n) => (n * 1000) / stepMs) };
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
