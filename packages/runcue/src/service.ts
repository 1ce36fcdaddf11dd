import { ConfigurationError } from "./errors.js";
import { parseRate, type Rate } from "./rate.js";
import { RateWindow } from "./rate-window.js";

/** Options of {@link Cue.service}. */
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

/** Why a service cannot start work now. */
export interface ServiceBlock {
  reason: "service_full" | "rate_limited";
  details: string;
  /** When the service can next start work (epoch ms), if known. */
  until?: number;
}

/** A snapshot of one service, from {@link Cue.status}. */
export interface ServiceStatus {
  name: string;
  /** Works running (or reserved while their checks run). */
  active: number;
  /** The concurrency cap, `Infinity` when unlimited. */
  concurrent: number;
  /** Each rate window: its limit, interval and starts used in the window ending now. */
  rates: { limit: number; intervalMs: number; used: number; label: string }[];
  /** Epoch ms until which a {@link RateLimited} pushback pauses the service, or 0. */
  pausedUntil: number;
}

/** Concurrency slots, rate windows and pushback pause of one named service. */
export class Service {
  readonly name: string;
  readonly concurrent: number;
  readonly windows: readonly RateWindow[];
  active = 0;
  pausedUntil = 0;

  /** @param rateGuardMs see {@link RateWindow}; 1 ms on the system clock, 0 on a virtual one. */
  constructor(name: string, options: ServiceOptions, rateGuardMs = 0) {
    if (typeof name !== "string" || name.length === 0) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid service name: ${JSON.stringify(name)} (expected a non-empty string)`);
    }
    const concurrent = options.concurrent ?? Infinity;
    if (options.concurrent !== undefined && (!Number.isInteger(concurrent) || concurrent <= 0)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid concurrent for service "${name}": ${String(options.concurrent)} (expected a positive integer, or omit it for no limit)`);
    }
    this.name = name;
    this.concurrent = concurrent;
    this.windows = options.rate === undefined ? [] : parseRate(options.rate).map((r) => new RateWindow(r, rateGuardMs));
  }

  /** True when a work may start (or be reserved) at `now`. */
  canStart(now: number): boolean {
    if (this.active >= this.concurrent || now < this.pausedUntil) return false;
    const windows = this.windows;
    for (let i = 0; i < windows.length; i++) if (!(windows[i] as RateWindow).available(now)) return false;
    return true;
  }

  /** When this service could start work, ignoring concurrency: now, a later time, or Infinity. */
  nextFreeAt(now: number): number {
    let at = Math.max(now, this.pausedUntil);
    for (const w of this.windows) at = Math.max(at, w.nextFreeAt(now));
    return at;
  }

  /** Takes a slot and reserves a start in every window. */
  acquire(): void {
    this.active++;
    const windows = this.windows;
    for (let i = 0; i < windows.length; i++) (windows[i] as RateWindow).reserve();
  }

  /** Turns the reserved starts into starts at `now`. */
  commit(now: number): void {
    const windows = this.windows;
    for (let i = 0; i < windows.length; i++) (windows[i] as RateWindow).commit(now);
  }

  /** Gives back a slot; `reserved` also gives back uncommitted starts. */
  release(reserved: boolean): void {
    this.active--;
    if (reserved) for (const w of this.windows) w.unreserve();
  }

  /** Why this service cannot start work at `now`, or undefined if it can. */
  block(now: number): ServiceBlock | undefined {
    if (now < this.pausedUntil) {
      return { reason: "rate_limited", details: `Service '${this.name}' paused by RateLimited pushback for ${Math.ceil(this.pausedUntil - now)}ms more`, until: this.pausedUntil };
    }
    if (this.active >= this.concurrent) {
      return { reason: "service_full", details: `Service '${this.name}' at capacity (${this.active}/${this.concurrent})` };
    }
    for (const w of this.windows) {
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
      active: this.active,
      concurrent: this.concurrent,
      rates: this.windows.map((w) => ({ limit: w.limit, intervalMs: w.intervalMs, used: w.used(now), label: w.label })),
      pausedUntil: this.pausedUntil > now ? this.pausedUntil : 0,
    };
  }
}
