import { ConfigurationError, describeValue } from "./errors.js";
import type { Limiter, ServiceStatus } from "./limits/limiter.js";
import { SERVICE_OPTIONS, type ServiceOptions } from "./limits/service-options.js";
import type { Clock } from "./time/clock.js";
import { parseDuration, type Duration } from "./time/duration.js";
import { checkOptions } from "./validate.js";

/** What a server said about the budget left, for {@link ServiceHandle.observe}. */
export interface Observation {
  /** Requests (or units of `measure`) left until the reset: a non-negative number. */
  remaining: number;
  /** When the server's window resets, from now (`"6s"`, milliseconds). Give this or `resetAt`. */
  resetIn?: Duration;
  /** When the server's window resets (epoch ms, on the cue's clock). Give this or `resetIn`. */
  resetAt?: number;
  /** The measure `remaining` counts (`"tokens"`); omit it for requests. */
  measure?: string;
  /** With `per`: the key the server answered for. */
  key?: string;
}

/**
 * A registered service: its limits can change at run time, take what a server reports, pause,
 * and show their state. Returned by `cue.service(name, options)`, and by `cue.service(name)`.
 */
export class ServiceHandle {
  /** The service name. */
  readonly name: string;
  readonly #limiter: Limiter;
  readonly #clock: Clock;
  readonly #kick: () => void;

  /** @internal made by `Cue.service`. */
  constructor(limiter: Limiter, clock: Clock, kick: () => void) {
    this.name = limiter.name;
    this.#limiter = limiter;
    this.#clock = clock;
    this.#kick = kick;
  }

  /**
   * New limits from this moment on (`rate`, `concurrent`, `burst`); starts already in a window
   * still count. Lowering `concurrent` below what runs lets the running finish and starts
   * nothing until the count is under the new cap. `per` cannot change.
   * @throws ConfigurationError naming an invalid value; the old limits then stay.
   * @example
   * openai.update({ rate: ["1000/min", "150000 tokens/min"], concurrent: 40 });
   */
  update(options: ServiceOptions): this {
    checkOptions(options, SERVICE_OPTIONS, `update of service "${this.name}"`);
    this.#limiter.update(options, this.#clock.now());
    this.#kick();
    return this;
  }

  /**
   * Takes what a server reported (`x-ratelimit-remaining-*`, `x-ratelimit-reset-*`): until the
   * reset, never start more than `remaining` requests (or units of `measure`), on top of the
   * configured limits. It never raises a limit.
   * @throws ConfigurationError for a negative `remaining`, a reset in the past, or both or neither of `resetIn` and `resetAt`.
   * @example
   * openai.observe({ remaining: Number(res.headers.get("x-ratelimit-remaining-requests")), resetIn: "6s" });
   */
  observe(observation: Observation): this {
    const what = `observe of service "${this.name}"`;
    checkOptions(observation, ["remaining", "resetIn", "resetAt", "measure", "key"], what);
    const { remaining, resetIn, resetAt, measure, key } = observation;
    if (typeof remaining !== "number" || !Number.isFinite(remaining) || remaining < 0) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid remaining in ${what}: ${describeValue(remaining)} (expected a non-negative number)`);
    }
    if ((resetIn === undefined) === (resetAt === undefined)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: give exactly one of resetIn (a duration from now) and resetAt (epoch ms)`);
    }
    const now = this.#clock.now();
    const at = resetAt ?? now + parseDuration(resetIn as Duration, `resetIn of ${what}`);
    if (typeof at !== "number" || !Number.isFinite(at) || at <= now) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid reset in ${what}: ${describeValue(resetAt ?? resetIn)} (expected a time after now, ${Math.round(now)})`);
    }
    if (measure !== undefined && !this.#limiter.measures().has(measure)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Unknown measure in ${what}: ${describeValue(measure)} (this service counts: ${[...this.#limiter.measures()].join(", ") || "requests only"})`);
    }
    if (key !== undefined && (typeof key !== "string" || !this.#limiter.keyed)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid key in ${what}: ${describeValue(key)} (a string, for a service with per)`);
    }
    this.#limiter.observe({ remaining, resetAt: at, measure, key }, now);
    this.#kick();
    return this;
  }

  /**
   * Starts nothing through this service for `duration` (every key; a `RateLimited` pushback
   * pauses only its work's key).
   * @example
   * openai.pause("30s");
   */
  pause(duration: Duration): this {
    const ms = parseDuration(duration, `pause of service "${this.name}"`);
    this.#limiter.pause(this.#clock.now() + ms);
    this.#kick();
    return this;
  }

  /** Per window: its limit, what is used and when the next start fits; per key with `per`. */
  status(): ServiceStatus {
    return this.#limiter.status(this.#clock.now());
  }
}
