import { ConfigurationError, describeValue } from "../errors.js";
import type { FlowSpec } from "../flows/flows.js";
import type { SubmitOptions } from "../options.js";
import { parseDuration } from "../time/duration.js";
import { checkOptions } from "../validate.js";

const SUBMIT_OPTIONS = ["priority", "delay", "key", "cost", "then", "otherwise", "after", "force"];

/** A submit's options, validated: what the engine needs before it makes the work. */
export interface ReadSubmitOptions {
  key: string | undefined;
  /** The explicit priority, clamped to [0, 1]. */
  priority: number | undefined;
  delayMs: number;
  flow: FlowSpec | undefined;
}

/**
 * Validates a submit's options in the order their errors are reported (names, flow steps, key,
 * priority, delay). Returns the id of the pending or running work that holds `key`, if one
 * does: the submit creates nothing then, and the options after the key are not read.
 * @throws ConfigurationError naming the bad option.
 */
export function readSubmitOptions(options: SubmitOptions, flows: { parse(options: SubmitOptions): FlowSpec }, holderOf: (key: string) => string | undefined): ReadSubmitOptions | string {
  checkOptions(options, SUBMIT_OPTIONS, "submit options");
  const flow = options.then !== undefined || options.otherwise !== undefined || options.after !== undefined ? flows.parse(options) : undefined;
  const key = options.key;
  if (key !== undefined) {
    if (typeof key !== "string") throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid key: ${describeValue(key)} (expected a string)`);
    const holder = holderOf(key);
    if (holder !== undefined) return holder;
  }
  let priority: number | undefined;
  if (options.priority !== undefined) {
    if (typeof options.priority !== "number" || Number.isNaN(options.priority)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid priority: ${describeValue(options.priority)} (expected a number in [0, 1])`);
    }
    priority = Math.min(1, Math.max(0, options.priority));
  }
  const delayMs = options.delay === undefined ? 0 : parseDuration(options.delay, "delay");
  return { key, priority, delayMs, flow };
}
