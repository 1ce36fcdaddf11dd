import { ConfigurationError } from "../errors.js";
import type { LimitBlock, Limiter, ServiceStatus } from "./limiter.js";
import { parseRate, type Rate } from "./rate.js";
import { RateWindow } from "./rate-window.js";

/** Options of `cue.service()`. */
export interface ServiceOptions {
  /**
   * Rate limit: at most N starts in any window, e.g. `"60/min"`, `["60/min", "1000/day"]`.
   * @default no rate limit
   */
  rate?: Rate;
  /**
   * How many works may run (or be checked for dispatch) at once.
   * @default unlimited
   */
  concurrent?: number;
}

/**
 * The in-process {@link Limiter}: concurrency slots, exact sliding rate windows and a pushback
 * pause, answered synchronously. State changes only through the contract's methods.
 */
export class MemoryLimiter implements Limiter {
  readonly name: string;
  readonly concurrent: number;
  readonly timed: boolean;
  readonly #windows: readonly RateWindow[];
  #active = 0;
  #pausedUntil = 0;

  /** @param rateGuardMs see {@link RateWindow}; 1 ms on the system clock, 0 on a virtual one. */
  constructor(name: string, options: ServiceOptions, rateGuardMs = 0) {
    const concurrent = options.concurrent ?? Infinity;
    if (options.concurrent !== undefined && (typeof concurrent !== "number" || !Number.isInteger(concurrent) || concurrent <= 0)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid concurrent for service "${name}": ${String(options.concurrent)} (expected a positive integer, or omit it for no limit)`);
    }
    this.name = name;
    this.concurrent = concurrent;
    this.#windows = options.rate === undefined ? [] : parseRate(options.rate).map((r) => new RateWindow(r, rateGuardMs));
    this.timed = this.#windows.length > 0;
  }

  tryAcquire(now: number): true | number {
    if (this.#active >= this.concurrent) return Infinity;
    if (now < this.#pausedUntil) return this.#pausedUntil;
    const windows = this.#windows;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as RateWindow;
      if (!w.available(now)) return this.#nextFreeAt(now);
    }
    this.#active++;
    for (let i = 0; i < windows.length; i++) (windows[i] as RateWindow).reserve();
    return true;
  }

  /** When every window has room (ignoring concurrency): a later time, or Infinity while reservations fill one. */
  #nextFreeAt(now: number): number {
    let at = now;
    for (const w of this.#windows) {
      const t = w.nextFreeAt(now);
      if (t > at) at = t;
    }
    return at;
  }

  commit(at: number): void {
    const windows = this.#windows;
    for (let i = 0; i < windows.length; i++) (windows[i] as RateWindow).commit(at);
  }

  cancel(): void {
    this.#active--;
    const windows = this.#windows;
    for (let i = 0; i < windows.length; i++) (windows[i] as RateWindow).unreserve();
  }

  release(): void {
    this.#active--;
  }

  pause(until: number): void {
    if (until > this.#pausedUntil) this.#pausedUntil = until;
  }

  pausedUntil(now: number): number {
    return now < this.#pausedUntil ? this.#pausedUntil : 0;
  }

  block(now: number): LimitBlock | undefined {
    if (now < this.#pausedUntil) {
      return { reason: "rate_limited", paused: true, details: `Service '${this.name}' paused by RateLimited pushback for ${Math.ceil(this.#pausedUntil - now)}ms more`, until: this.#pausedUntil };
    }
    if (this.#active >= this.concurrent) {
      return { reason: "service_full", details: `Service '${this.name}' at capacity (${this.#active}/${this.concurrent})` };
    }
    for (const w of this.#windows) {
      if (!w.available(now)) {
        const until = w.nextFreeAt(now);
        const wait = Number.isFinite(until) ? `next start in ${Math.ceil(until - now)}ms` : "waiting for reserved starts";
        return { reason: "rate_limited", details: `Service '${this.name}' rate ${w.label} used (${w.used(now)}/${w.limit}); ${wait}`, ...(Number.isFinite(until) ? { until } : {}) };
      }
    }
    return undefined;
  }

  status(now: number): ServiceStatus {
    return {
      name: this.name,
      active: this.#active,
      concurrent: this.concurrent,
      rates: this.#windows.map((w) => ({ limit: w.limit, intervalMs: w.intervalMs, used: w.used(now), label: w.label })),
      pausedUntil: this.#pausedUntil > now ? this.#pausedUntil : 0,
    };
  }
}
