import { ConfigurationError, toError } from "../errors.js";
import { isConfigurationError, isPermanent, isRateLimited, isRetry } from "../steering.js";
import { parseDuration, type Duration } from "../time/duration.js";
import type { RetryPolicy } from "./retry-policy.js";

/** What happens after a failed attempt. */
export type Outcome =
  | { kind: "retry"; error: Error; delayMs: number }
  | { kind: "pushback"; error: Error; pauseMs: number; service: string | undefined }
  | { kind: "fail"; error: Error };

/**
 * Decides what a failed attempt leads to, from what the handler threw (any value), which
 * attempt it was and the task's retry policy. Pure: no clock, no state.
 * - `RateLimited` (by code, from any copy of runcue): pushback for `retryAfter`; no attempt is used.
 *   An invalid `retryAfter` fails the work with a `ConfigurationError` naming the value.
 * - `Permanent`, or a `ConfigurationError`: fail now.
 * - otherwise, with attempts left: retry after `Retry`'s `delay` or the policy's backoff.
 * - otherwise: fail with the error.
 */
export function decideOutcome(thrown: unknown, attempt: number, policy: RetryPolicy, random: () => number): Outcome {
  const error = toError(thrown);
  if (isRateLimited(thrown)) {
    try {
      const pauseMs = parseDuration((thrown as { retryAfter: Duration }).retryAfter, "RateLimited retryAfter");
      const service = (thrown as { service?: unknown }).service;
      return { kind: "pushback", error, pauseMs, service: typeof service === "string" ? service : undefined };
    } catch (invalid) {
      return { kind: "fail", error: invalid instanceof ConfigurationError ? Object.assign(invalid, { cause: thrown }) : error };
    }
  }
  // A ConfigurationError (bad input, a worker module that cannot load) fails the same way every time.
  if (isPermanent(thrown) || isConfigurationError(thrown) || attempt >= policy.attempts) return { kind: "fail", error };
  let delayMs = policy.delayAfter(attempt, random);
  if (isRetry(thrown)) {
    const delay = (thrown as { delay?: unknown }).delay;
    if (delay !== undefined) {
      try {
        delayMs = parseDuration(delay as Duration, "Retry delay");
      } catch (invalid) {
        return { kind: "fail", error: invalid as Error };
      }
    }
  }
  return { kind: "retry", error, delayMs };
}
