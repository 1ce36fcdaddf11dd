/**
 * Checks for values users pass in. Each throws a `ConfigurationError` that names the option,
 * the value given and what is accepted.
 * @module
 */
import { ConfigurationError, describeValue } from "./errors.js";

/** Edit distance, for "did you mean" hints on misspelled option names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(tmp + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

/**
 * Checks that `value` is a plain options object (or undefined) with only known keys.
 * @param what names the options in messages, e.g. `options of service "openai"`.
 */
export function checkOptions(value: unknown, allowed: readonly string[], what: string): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${describeValue(value)} (expected an object with any of: ${allowed.join(", ")})`);
  }
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const near = allowed.filter((a) => distance(a.toLowerCase(), key.toLowerCase()) <= 2);
    const hint = near.length > 0 ? `did you mean ${near.map((n) => `"${n}"`).join(" or ")}? ` : "";
    const given = describeValue((value as Record<string, unknown>)[key]);
    throw new ConfigurationError("ERR_INVALID_OPTION", `Unknown option "${key}" (given ${given}) in ${what} (${hint}accepted: ${allowed.join(", ")})`);
  }
}

/** Checks an optional `signal` option. */
export function checkSignal(value: unknown, what: string): void {
  if (value === undefined || value instanceof AbortSignal) return;
  throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid signal in ${what}: ${describeValue(value)} (expected an AbortSignal)`);
}

/** Checks that `value` is a function (or, with `optional`, undefined). */
export function checkFunction(value: unknown, what: string, optional = false): void {
  if (typeof value === "function" || (optional && value === undefined)) return;
  throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${describeValue(value)} (expected a function)`);
}

/** Checks a task or service name: a non-empty string without control characters. */
export function checkName(value: unknown, what: string): asserts value is string {
  // eslint-disable-next-line no-control-regex
  if (typeof value === "string" && value.length > 0 && value.length <= 256 && !/[\u0000-\u001f\u007f]/.test(value)) return;
  throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${describeValue(value)} (expected a non-empty string of at most 256 characters without control characters)`);
}
