import type { Random } from "./random.js";

/** One simulated wait. */
export interface LatencySample {
  ms: number;
  /** True when this was an outlier (latency × outlier multiplier). */
  outlier: boolean;
}

/** The latency model of `--latency`, `--jitter`, `--outliers` and `--outlier-mult`. */
export interface LatencyModel {
  latencyMs: number;
  jitter: number;
  outliers: number;
  outlierMult: number;
}

/**
 * A wait of `scale` × the base latency: usually latency × uniform(1−j, 1+j); with probability
 * `outliers` (when allowed) latency × multiplier × uniform(0.8, 1.5) instead.
 */
export function sampleLatency(model: LatencyModel, rng: Random, scale = 1, allowOutliers = true): LatencySample {
  const base = model.latencyMs * scale;
  if (base <= 0) return { ms: 0, outlier: false };
  if (allowOutliers && rng.chance(model.outliers)) {
    return { ms: base * model.outlierMult * rng.uniform(0.8, 1.5), outlier: true };
  }
  return { ms: base * rng.uniform(1 - model.jitter, 1 + model.jitter), outlier: false };
}
