/** Small statistics over samples: medians, percentiles, sliding windows. */

/** The value below which `p` (0..100) percent of the samples fall (nearest-rank on sorted copies). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

/** The middle value (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The most values falling into any half-open window `[t, t + width)`; the maximum is reached at a window starting on a value. */
export function maxInSlidingWindow(times: readonly number[], width: number): number {
  const sorted = Float64Array.from(times).sort();
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (j < i) j = i;
    const end = (sorted[i] as number) + width;
    while (j < sorted.length && (sorted[j] as number) < end) j++;
    if (j - i > best) best = j - i;
  }
  return best;
}

/** Counts of values in consecutive fixed windows `[origin + k*width, origin + (k+1)*width)` for k = 0..count-1. */
export function fixedWindowCounts(times: readonly number[], origin: number, width: number, count: number): number[] {
  const counts = new Array<number>(count).fill(0);
  for (const t of times) {
    const k = Math.floor((t - origin) / width);
    if (k >= 0 && k < count) counts[k] = (counts[k] as number) + 1;
  }
  return counts;
}
