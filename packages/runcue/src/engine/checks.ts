import { toError } from "../errors.js";
import type { Check, Work } from "../work/work.js";

/**
 * True for promises and other thenables. An object whose `then` cannot even be read (a
 * throwing getter, a revoked proxy) counts as one too: adopting it with `Promise.resolve`
 * rejects with what it threw, as `await` would.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  try {
    return typeof (value as { then?: unknown }).then === "function";
  } catch {
    return true;
  }
}

/** The answer of a check that threw: `error` says what it threw. */
export class CheckThrew {
  readonly error: Error;
  constructor(value: unknown, what: string) {
    this.error = toError(value, what);
  }
}

/**
 * Calls a readiness or staleness check: no check counts as yes; the answer is a boolean, a
 * {@link CheckThrew}, or a promise that resolves to a boolean or a `CheckThrew` (never rejects,
 * whatever the check's thenable does).
 */
export function callCheck(check: Check | undefined, work: Work, what: string): boolean | CheckThrew | Promise<boolean | CheckThrew> {
  if (check === undefined) return true;
  let value: unknown;
  try {
    value = check(work);
  } catch (error) {
    return new CheckThrew(error, what);
  }
  if (!isThenable(value)) return Boolean(value);
  return new Promise<unknown>((resolve) => resolve(value)).then((v) => Boolean(v), (error: unknown) => new CheckThrew(error, what));
}
