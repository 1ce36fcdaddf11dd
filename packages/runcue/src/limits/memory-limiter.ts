import { ConfigurationError, describeValue, messageOf } from "../errors.js";
import { checkCosts, recordedWeightOf, weightOf, type Costs, type LimitRequest } from "./costs.js";
import { KeyState, makeWindows, type CarriedWindow } from "./key-state.js";
import type { KeyStatus, LimitBlock, Limiter, ObserveOptions, ServiceStatus, WindowStatus } from "./limiter.js";
import type { Window, WindowEntry } from "./rate-window.js";
import { parseRate, type ParsedRate, type Rate } from "./rate.js";
import { resolveLimits, type ServiceOptions } from "./service-options.js";

/** Idle keys checked for removal per acquisition of a key, so memory follows the active keys. */
const SWEEP_PER_ACQUIRE = 2;

/**
 * The in-process {@link Limiter}: concurrency slots, exact sliding windows counting starts or a
 * measure of cost, burst windows, a pushback pause and server-reported caps, per key when the
 * service has `per`. Answers synchronously. State changes only through the contract's methods.
 */
export class MemoryLimiter implements Limiter {
  readonly name: string;
  #concurrent: number;
  #rates: ParsedRate[];
  #burst: number | undefined;
  readonly #per: ((work: never) => unknown) | undefined;
  readonly #guardMs: number;
  readonly #base: KeyState;
  readonly #keys = new Map<string, KeyState>();
  #sweep: Iterator<[string, KeyState]> | undefined = undefined;

  /** @param rateGuardMs see `RateWindow`; 1 ms on the system clock, 0 on a virtual one. */
  constructor(name: string, options: ServiceOptions, rateGuardMs = 0) {
    this.name = name;
    this.#guardMs = rateGuardMs;
    const limits = resolveLimits(name, options);
    this.#concurrent = limits.concurrent;
    this.#rates = limits.rates;
    this.#burst = limits.burst;
    this.#per = options.per as ((work: never) => unknown) | undefined;
    this.#base = new KeyState(makeWindows(this.#rates, rateGuardMs));
  }

  get concurrent(): number {
    return this.#concurrent;
  }

  get timed(): boolean {
    return this.#rates.length > 0;
  }

  get keyed(): boolean {
    return this.#per !== undefined;
  }

  keyOf(work: object): string | undefined {
    if (this.#per === undefined) return undefined;
    let key: unknown;
    try {
      key = (this.#per as (work: object) => unknown)(work);
    } catch (error) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `The per function of service "${this.name}" threw: ${messageOf(error)}`, { cause: error });
    }
    if (typeof key !== "string" || key.length === 0) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid key from per of service "${this.name}": ${describeValue(key)} (expected a non-empty string)`);
    }
    return key;
  }

  /** The state of `key` (created on first use), or of the whole service. */
  #state(key: string | undefined): KeyState {
    if (key === undefined) return this.#base;
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = new KeyState(makeWindows(this.#rates, this.#guardMs));
      this.#keys.set(key, state);
    }
    return state;
  }

  tryAcquire(now: number, key: string | undefined, request: LimitRequest): true | number {
    const state = this.#state(key);
    if (key !== undefined) this.#sweepIdle(now, key);
    if (state.active >= this.#concurrent) return Infinity;
    // A key is held by its own pause and by the service's (`service.pause()` pauses every key).
    const paused = key === undefined ? state.pausedUntil : Math.max(state.pausedUntil, this.#base.pausedUntil);
    if (now < paused) return paused;
    const windows = state.windows;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as Window;
      if (!w.fits(now, weightOf(request, w.measure))) return nextFree(windows, now, request);
    }
    if (state.observed.length !== 0) {
      const observed = state.observedFits(now, request);
      if (observed !== true) return observed;
      state.chargeObserved(request, 1);
    }
    state.active++;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as Window;
      w.reserve(weightOf(request, w.measure));
    }
    return true;
  }

  commit(at: number, key: string | undefined, request: LimitRequest): void {
    const state = this.#state(key);
    const windows = state.windows;
    let list: ReturnType<Window["commit"]>[] | undefined;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as Window;
      const entry = w.commit(at, weightOf(request, w.measure), recordedWeightOf(request, w.measure));
      if (w.measure !== undefined) (list ??= [])[i] = entry;
    }
    if (list !== undefined) state.started(request, at, list);
    if (request.reported !== undefined) {
      for (const o of state.observed) {
        if (o.measure !== undefined && o.measure in request.reported) o.remaining -= (request.reported[o.measure] as number) - weightOf(request, o.measure);
      }
    }
  }

  cancel(key: string | undefined, request: LimitRequest): void {
    const state = this.#state(key);
    state.active--;
    for (const w of state.windows) w.unreserve(weightOf(request, w.measure));
    state.chargeObserved(request, -1);
  }

  release(key: string | undefined): void {
    this.#state(key).active--;
  }

  report(key: string | undefined, request: LimitRequest, actual: Costs): void {
    const state = this.#state(key);
    const started = state.startOf(request);
    if (started === undefined) return; // not started through this limiter's windows
    state.windows.forEach((w, i) => {
      if (w.measure === undefined || !(w.measure in actual)) return;
      const weight = actual[w.measure] as number;
      const entry = started.list[i];
      if (entry !== undefined) w.adjust(entry, weight);
      else started.list[i] = w.record(started.at, weight); // estimated at 0: nothing was recorded
    });
    for (const o of state.observed) {
      if (o.measure !== undefined && o.measure in actual) o.remaining -= (actual[o.measure] as number) - weightOf(request, o.measure);
    }
  }

  measures(): Set<string> {
    return new Set(this.#rates.flatMap((r) => (r.measure === undefined ? [] : [r.measure])));
  }

  maxCost(measure: string): number | undefined {
    let max: number | undefined;
    for (const r of this.#rates) if (r.measure === measure) max = max === undefined ? r.limit : Math.min(max, r.limit);
    return max;
  }

  pause(until: number, key?: string): void {
    const state = this.#state(key);
    if (until > state.pausedUntil) state.pausedUntil = until;
  }

  pausedUntil(now: number, key?: string): number {
    const state = key === undefined ? this.#base : this.#keys.get(key);
    const until = Math.max(state?.pausedUntil ?? 0, key === undefined ? 0 : this.#base.pausedUntil);
    return now < until ? until : 0;
  }

  update(options: ServiceOptions, now: number): void {
    if (options.per !== undefined) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid update of service "${this.name}": per cannot change (its keys already hold state)`);
    }
    const limits = resolveLimits(this.name, options);
    this.#concurrent = limits.concurrent;
    this.#rates = limits.rates;
    this.#burst = limits.burst;
    for (const state of [this.#base, ...this.#keys.values()]) {
      const fresh = makeWindows(this.#rates, this.#guardMs);
      state.carried(fresh, carryOver(state.windows, fresh, now));
    }
  }

  observe(options: ObserveOptions, now: number): void {
    const state = this.#state(options.key);
    state.observed = state.observed.filter((o) => o.measure !== options.measure && o.resetAt > now);
    state.observed.push({ measure: options.measure, remaining: options.remaining, resetAt: options.resetAt });
  }

  block(now: number, key?: string, request?: LimitRequest): LimitBlock | undefined {
    const state = key === undefined ? this.#base : this.#keys.get(key) ?? this.#base;
    const who = key === undefined ? `Service '${this.name}'` : `Service '${this.name}' key ${JSON.stringify(key)}`;
    const paused = this.pausedUntil(now, key);
    if (paused > 0) return { reason: "rate_limited", paused: true, details: `${who} paused by RateLimited pushback for ${Math.ceil(paused - now)}ms more`, until: paused };
    if (state.active >= this.#concurrent) return { reason: "service_full", details: `${who} at capacity (${state.active}/${this.#concurrent})` };
    for (const w of state.windows) {
      if (w.fits(now, weightOf(request, w.measure))) continue;
      const until = w.nextFreeAt(now, weightOf(request, w.measure));
      const wait = Number.isFinite(until) ? `next start in ${Math.ceil(until - now)}ms` : "waiting for reserved starts";
      return { reason: "rate_limited", details: `${who} rate ${w.label} used (${round(w.used(now))}/${w.limit}); ${wait}`, ...(Number.isFinite(until) ? { until } : {}) };
    }
    const observed = request === undefined ? true : state.observedFits(now, request);
    if (observed !== true) return { reason: "rate_limited", details: `${who}: the server reported nothing left until ${Math.ceil(observed - now)}ms from now`, until: observed };
    return undefined;
  }

  status(now: number): ServiceStatus {
    const base = this.#keyStatus(this.#base, now);
    const status: ServiceStatus = {
      name: this.name,
      active: base.active,
      concurrent: this.#concurrent,
      rates: base.rates,
      pausedUntil: this.#base.pausedUntil > now ? this.#base.pausedUntil : 0,
      ...(this.#burst === undefined ? {} : { burst: this.#burst }),
    };
    if (this.#per !== undefined) {
      status.keys = [...this.#keys].filter(([, s]) => !s.idle(now)).map(([key, s]) => ({ key, ...this.#keyStatus(s, now) }));
      status.active = status.keys.reduce((n, k) => n + k.active, 0);
    }
    return status;
  }

  #keyStatus(state: KeyState, now: number): Omit<KeyStatus, "key"> {
    const rates: WindowStatus[] = state.windows.map((w) => ({
      limit: w.limit, intervalMs: w.intervalMs, used: round(w.used(now)), label: w.label,
      measure: w.measure ?? null, nextFreeAt: w.nextFreeAt(now, w.measure === undefined ? 1 : 0),
    }));
    return { active: state.active, rates, pausedUntil: state.pausedUntil > now ? state.pausedUntil : 0 };
  }

  /** Drops up to a few idle keys, walking the key map a little per call (memory follows the active keys). */
  #sweepIdle(now: number, current: string): void {
    for (let i = 0; i < SWEEP_PER_ACQUIRE; i++) {
      this.#sweep ??= this.#keys.entries();
      const next = this.#sweep.next();
      if (next.done === true) {
        this.#sweep = undefined;
        return;
      }
      const [key, state] = next.value;
      if (key !== current && state.idle(now)) this.#keys.delete(key);
    }
  }

  /** How many keys hold state (for tests of the sweep). */
  get keyCount(): number {
    return this.#keys.size;
  }
}

/** The earliest time every window has room for the request. */
function nextFree(windows: readonly Window[], now: number, request: LimitRequest): number {
  let at = now;
  for (const w of windows) {
    const t = w.nextFreeAt(now, weightOf(request, w.measure));
    if (t > at) at = t;
  }
  return at > now ? at : Infinity;
}

/**
 * Fills the new windows of an `update()`: the starts still in the old window of the same measure
 * (the longest) keep counting, and say which old entry each new one took over.
 */
function carryOver(old: readonly Window[], fresh: readonly Window[], now: number): (CarriedWindow | undefined)[] {
  return fresh.map((w) => {
    let from = -1;
    old.forEach((o, i) => {
      const best = old[from];
      if (o.measure === w.measure && (best === undefined || o.intervalMs > best.intervalMs || (o.intervalMs === best.intervalMs && o.limit > best.limit))) from = i;
    });
    const source = old[from];
    if (source === undefined) return undefined;
    const moved = new Map<WindowEntry, WindowEntry>();
    for (const entry of source.entries(now)) {
      const taken = w.record(entry.at, entry.weight);
      if (taken !== undefined) moved.set(entry, taken);
    }
    w.reserve(source.reserved); // works holding a reservation commit (or give it back) in the new window
    return { from, moved };
  });
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export type { Rate };
export type { ServiceOptions } from "./service-options.js";
export { parseRate, checkCosts };
