import type { Check } from "./task.js";
import type { Work } from "./work.js";

/** The bound on asynchronous isReady/isStale calls in flight (`checkConcurrency`), shared by every kind of check. */
export class CheckSlots {
  inFlight = 0;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get saturated(): boolean {
    return this.inFlight >= this.limit;
  }
}

/** True for promises and other thenables (what an async check or handler returns). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Calls a readiness or staleness check. No check counts as yes; a check that throws counts as
 * `onThrow` (not ready for isReady, stale for isStale). The result may be a thenable.
 */
export function callCheck(check: Check | undefined, work: Work, onThrow: boolean): unknown {
  if (check === undefined) return true;
  try {
    return check(work);
  } catch {
    return onThrow;
  }
}
