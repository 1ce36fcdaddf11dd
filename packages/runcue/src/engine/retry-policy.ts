import { ConfigurationError, describeValue } from "../errors.js";
import { checkOptions } from "../validate.js";
import { parseDuration, parseOptionalDuration, type Duration } from "../time/duration.js";

/** The task option `retry`. */
export interface RetryOptions {
  /** Total attempts, including the first. @default 1 (no retries) */
  attempts: number;
  /** Wait before the second attempt. @default 1000 */
  delay?: Duration;
  /** `"fixed"` waits `delay` every time; `"exponential"` doubles it each attempt. @default "exponential" */
  backoff?: "fixed" | "exponential";
  /** Upper bound of the wait. @default 5 minutes */
  maxDelay?: Duration;
  /**
   * Randomises each wait: `true` or `1` picks uniformly in [0, wait] ("full jitter"), a fraction
   * `j` picks in [wait·(1−j), wait]. @default 0
   */
  jitter?: boolean | number;
}

/** A resolved retry policy. */
export class RetryPolicy {
  readonly attempts: number;
  readonly delayMs: number;
  readonly backoff: "fixed" | "exponential";
  readonly maxDelayMs: number;
  readonly jitter: number;

  constructor(options: RetryOptions | undefined, task: string) {
    checkOptions(options, ["attempts", "delay", "backoff", "maxDelay", "jitter"], `retry options of task "${task}"`);
    const attempts = options?.attempts ?? 1;
    if (!Number.isInteger(attempts) || attempts < 1) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid retry.attempts for task "${task}": ${describeValue(options?.attempts)} (expected an integer >= 1, counting the first attempt)`);
    }
    const backoff = options?.backoff ?? "exponential";
    if (backoff !== "fixed" && backoff !== "exponential") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid retry.backoff for task "${task}": ${JSON.stringify(backoff)} (expected "fixed" or "exponential")`);
    }
    const jitter = options?.jitter === true ? 1 : options?.jitter === false || options?.jitter === undefined ? 0 : options.jitter;
    if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid retry.jitter for task "${task}": ${String(options?.jitter)} (expected true, false or a number in [0, 1])`);
    }
    this.attempts = attempts;
    this.delayMs = parseDuration(options?.delay ?? 1000, `retry.delay of task "${task}"`);
    this.maxDelayMs = parseOptionalDuration(options?.maxDelay, `retry.maxDelay of task "${task}"`) ?? 300_000;
    this.backoff = backoff;
    this.jitter = jitter;
  }

  /** The wait after failed attempt number `attempt` (1-based). */
  delayAfter(attempt: number, random: () => number): number {
    const base = this.backoff === "fixed" ? this.delayMs : this.delayMs * 2 ** (attempt - 1);
    const capped = Math.min(base, this.maxDelayMs);
    return this.jitter === 0 ? capped : capped * (1 - this.jitter * random());
  }
}
