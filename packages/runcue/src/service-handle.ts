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
  /** With `per`: the key the server answered for (required then). */
  key?: string;
}

/** @internal What a handle needs from its cue (the engine). */
export interface ServiceHost {
  readonly clock: Clock;
  /** Limits changed from outside (observe, pause): run a dispatch pass soon. */
  kick(): void;
  /** The options a service has now: as registered, then merged with each `update()`. */
  serviceOptions(name: string): ServiceOptions;
  /**
   * The limiter took new limits: keep `options` (merged, `per` included) as the service's, resize
   * the worker pools of its tasks, fail pending works whose cost no longer fits, run a pass.
   */
  serviceUpdated(limiter: Limiter, options: ServiceOptions): void;
}

/**
 * A registered service: its limits can change at run time, take what a server reports, pause,
 * and show their state. Returned by `cue.service(name, options)`, and by `cue.service(name)`.
 */
export class ServiceHandle {
  /** The service name. */
  readonly name: string;
  readonly #limiter: Limiter;
  readonly #host: ServiceHost;

  /** @internal made by `Cue.service`. */
  constructor(limiter: Limiter, host: ServiceHost) {
    this.name = limiter.name;
    this.#limiter = limiter;
    this.#host = host;
  }

  /**
   * Changes some limits from this moment on, keeping the others: an option given replaces the
   * current one, an option given as `undefined` removes it (`burst: undefined`: no more burst
   * windows; `concurrent: undefined`: no cap), an option not given keeps its value. Starts
   * already in a window still count, and a start's `work.report()` still settles it. Lowering
   * `concurrent` below what runs lets the running finish and starts nothing until the count is
   * under the new cap. A pending work whose cost no longer fits a whole window of the new limits
   * fails with a `ConfigurationError` (it could never start), as it would have been refused at
   * submit. Worker pools of the service's tasks follow a new `concurrent`. `per` cannot change.
   * @throws ConfigurationError naming an invalid value, or a new `per`; the old limits then stay.
   * @example
   * const openai = cue.service("openai", { rate: ["1000/min", "150000 tokens/min"], concurrent: 40, burst: 20 });
   * openai.update({ concurrent: 10 }); // the rates and the burst stay
   * openai.update({ burst: undefined }); // no burst windows any more
   */
  update(options: { [K in keyof ServiceOptions]?: ServiceOptions[K] | undefined }): this {
    const what = `update of service "${this.name}"`;
    checkOptions(options, SERVICE_OPTIONS, what);
    const current = this.#host.serviceOptions(this.name);
    if ("per" in options && options.per !== current.per) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid per in ${what}: ${describeValue(options.per)} (per cannot change: its keys already hold state; register another service for other keys)`);
    }
    // Given replaces, given as undefined removes, not given keeps.
    const merged = Object.fromEntries(Object.entries({ ...current, ...options }).filter(([, value]) => value !== undefined));
    const { per, ...limits } = merged as ServiceOptions;
    this.#limiter.update(limits, this.#host.clock.now()); // validates: on a throw nothing changed
    this.#host.serviceUpdated(this.#limiter, per === undefined ? limits : { ...limits, per });
    return this;
  }

  /**
   * Takes what a server reported (`x-ratelimit-remaining-*`, `x-ratelimit-reset-*`): until the
   * reset, never start more than `remaining` requests (or units of `measure`), on top of the
   * configured limits. It never raises a limit. With `per`, it is about one key: give `key`.
   * @throws ConfigurationError for a negative `remaining`, a reset in the past, both or neither of `resetIn` and `resetAt`, or a missing `key` with `per`.
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
    const now = this.#host.clock.now();
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
    if (key === undefined && this.#limiter.keyed) {
      // Each key has its own limits: a figure for no key would cap nothing, silently.
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: service "${this.name}" has per: observe() needs the key the server reported for (given no key; expected key: the string per returns for that key's works)`);
    }
    this.#limiter.observe({ remaining, resetAt: at, measure, key }, now);
    this.#host.kick();
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
    this.#limiter.pause(this.#host.clock.now() + ms);
    this.#host.kick();
    return this;
  }

  /** Per window: its limit, what is used and when the next start fits; per key with `per`. */
  status(): ServiceStatus {
    return this.#limiter.status(this.#host.clock.now());
  }
}
