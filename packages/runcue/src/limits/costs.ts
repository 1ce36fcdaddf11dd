import { ConfigurationError, describeValue } from "../errors.js";

/**
 * What one work costs, by measure: `{ tokens: 1200 }`. Windows that count a measure charge a
 * work its cost in that measure (a missing measure counts 0); windows that count starts charge 1.
 */
export type Costs = Readonly<Record<string, number>>;

/** What a limiter is asked to admit: the work's cost (undefined: it costs only a start). */
export interface LimitRequest {
  readonly cost: Costs | undefined;
  /** What the work reported before its start was stamped: recorded instead of `cost`. */
  readonly reported?: Costs | undefined;
}

/** What a committed start records in a window counting `measure`: the reported figure, else the estimate. */
export function recordedWeightOf(request: LimitRequest, measure: string | undefined): number {
  if (measure !== undefined && request.reported !== undefined && measure in request.reported) return request.reported[measure] as number;
  return weightOf(request, measure);
}

/**
 * Checks a cost object: an object of non-negative finite numbers.
 * @param what names it in messages, e.g. `cost of task "complete"`.
 */
export function checkCosts(value: unknown, what: string): Costs {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${describeValue(value)} (expected an object of measures, e.g. { tokens: 1200 })`);
  }
  for (const [measure, n] of Object.entries(value)) {
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${measure} = ${describeValue(n)} (expected a non-negative finite number)`);
    }
  }
  return value as Costs;
}

/** What a work weighs in a window counting `measure` (undefined: starts). */
export function weightOf(request: LimitRequest | undefined, measure: string | undefined): number {
  if (measure === undefined) return 1;
  return request?.cost?.[measure] ?? 0;
}
