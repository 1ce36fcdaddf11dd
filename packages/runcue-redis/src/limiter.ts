import { ConfigurationError, MemoryLimiter, type Costs, type JointAcquire, type LimitBlock, type Limiter, type ObserveOptions, type ServiceOptions, type ServiceStatus, type StoreContext } from "runcue";
import type { Link } from "./link.js";
import { Scope, encodeKey, type WindowSpec } from "./scope.js";
import { COMMIT, FREE, OBSERVE, PAUSE, REPORT } from "./scripts.js";
import type { AcquirePart, LimitRequest, PartLimiter } from "./part.js";
import { REGISTER } from "./session-scripts.js";



/** Tuning of a limiter, from the store's options. */
export interface LimiterTuning {
  /** How soon to ask again when slots are held by other processes (no finish here will wake us). */
  pollMs: number;
  /** How soon to ask again while Redis is unreachable. */
  retryMs: number;
  /** Receives a configuration conflict with another cue (once per conflict). */
  onError: (error: Error) => void;
  /** Append each start's Redis time to the scope's `starts` list (the store's `audit` option). */
  audit: boolean;
}

const COUNT = "#";
/** Where the claims of submit keys live, under the namespace. */
export const CLAIMS = "claims";

/**
 * A {@link Limiter} whose state lives in Redis, shared by every cue that uses the same
 * namespace. `tryAcquire` is one script call (a promise); the other methods answer from the
 * local {@link Scope} cache and send their Redis work through the link's outbox.
 *
 * Validation, `per` keys, measures and burst windows come from the core's own `MemoryLimiter`,
 * built beside it with the same options, so both stores accept and derive exactly the same limits.
 */
export class RedisLimiter implements Limiter, PartLimiter {
  readonly name: string;
  /** The store's acquirer: this limiter's starts, alone or with the other limiters of a lane, in one script call. */
  readonly joint: JointAcquire;
  readonly #link: Link;
  readonly #context: StoreContext;
  readonly #tuning: LimiterTuning;
  readonly #shape: MemoryLimiter;
  readonly #service: string;
  #concurrent = Infinity;
  #windows: WindowSpec[] = [];
  #burst: number | undefined;
  readonly #base: Scope;
  readonly #keys = new Map<string, Scope>();
  /** The limits as registered in Redis (JSON), compared with every other cue's. */
  #limits = "";
  /** `set` after an `update()` until Redis took the new limits; `check` otherwise. */
  #register: "set" | "check" = "check";
  /** A conflict with the limits another cue registered, while it lasts. */
  #conflict: ConfigurationError | undefined;
  /** Settles once the limits were registered at creation: rejects with a {@link ConfigurationError} on a conflict. */
  readonly registered: Promise<void>;

  /** True for the store's claims of submit keys (one slot per key), false for a service. */
  readonly #claims: boolean;

  /**
   * @param prefix where its state lives in Redis, under the namespace: `s:<name>` for a service,
   * `claims` for the submit keys' claims (no service name encodes to it).
   */
  constructor(name: string, options: ServiceOptions, context: StoreContext, link: Link, tuning: LimiterTuning, joint: JointAcquire, prefix = `s:${encodeKey(name)}`) {
    this.name = name;
    this.joint = joint;
    this.#link = link;
    this.#context = context;
    this.#tuning = tuning;
    this.#shape = new MemoryLimiter(name, options, context.rateGuardMs);
    this.#service = `${link.ns}:${prefix}`;
    this.#claims = prefix === CLAIMS;
    this.#base = new Scope(this.#service);
    this.#reshape();
    this.registered = link.register(this.#service, this.#limits, "check").then((other) => {
      if (other !== "") throw this.#conflicting(other);
    });
    this.registered.catch(() => undefined); // reported through store.ready() and the blocks
  }

  #conflicting(other: string): ConfigurationError {
    const error = new ConfigurationError("ERR_INVALID_OPTION", `Service "${this.name}" is registered in Redis namespace ${this.#link.ns} with other limits: ${other} there, ${this.#limits} here (every cue sharing a namespace must give a service the same limits; change them with service.update() in every process)`);
    if (this.#conflict?.message !== error.message) this.#tuning.onError(error);
    this.#conflict = error;
    return error;
  }

  /** Reads the limits (windows, burst windows, cap) as the core derived them. */
  #reshape(): void {
    const status = this.#shape.status(0);
    this.#concurrent = status.concurrent;
    this.#burst = status.burst;
    this.#windows = status.rates.map((r) => ({ measure: r.measure ?? undefined, limit: r.limit, intervalMs: r.intervalMs, label: r.label }));
    const limits: Record<string, unknown> = { rate: this.#windows.map((w) => w.label), concurrent: Number.isFinite(this.#concurrent) ? this.#concurrent : null };
    if (this.#burst !== undefined) limits.burst = this.#burst;
    if (this.keyed) limits.per = true;
    this.#limits = JSON.stringify(limits);
  }

  get timed(): boolean {
    return this.#windows.length > 0;
  }

  get keyed(): boolean {
    return this.#shape.keyed;
  }

  keyOf(work: object): string | undefined {
    return this.#shape.keyOf(work);
  }

  #scope(key: string | undefined): Scope {
    if (key === undefined) return this.#base;
    let scope = this.#keys.get(key);
    if (scope === undefined) {
      scope = new Scope(`${this.#service}:k:${encodeKey(key)}`, key);
      this.#keys.set(key, scope);
    }
    return scope;
  }

  /** The measures the windows count, and what the request weighs in each (`#=1,tokens=1200`). */
  #costs(request: LimitRequest | undefined, recorded: boolean): string {
    const parts: string[] = [];
    const seen = new Set<string>();
    for (const w of this.#windows) {
      const m = w.measure ?? COUNT;
      if (seen.has(m)) continue;
      seen.add(m);
      const source = recorded && request?.reported !== undefined && m in request.reported ? request.reported : request?.cost;
      parts.push(`${m}=${m === COUNT ? 1 : source?.[m] ?? 0}`);
    }
    return parts.join(",");
  }

  tryAcquire(now: number, key: string | undefined, request: LimitRequest): true | number | Promise<true | number> {
    return this.joint.tryAcquire(now, [this], [key], request);
  }

  /** The cue's clock, now. */
  now(): number {
    return this.#context.clock.now();
  }

  /** Takes a spare lease of the request's cost in the key's scope (`check`: only says whether there is one). */
  spare(key: string | undefined, request: LimitRequest, check: boolean): boolean {
    const scope = this.#scope(key);
    const reservation = this.#costs(request, false);
    if (scope.spare.length === 0 || scope.spareCost !== reservation) return false;
    if (check) return true;
    const spare = scope.spare.pop() as string;
    scope.reserved.push(spare);
    scope.reservedFor.set(request, spare);
    return true;
  }

  /** This limiter's part of an acquire script call (see `ACQUIRE`): its keys and arguments. */
  part(key: string | undefined, request: LimitRequest): AcquirePart {
    const scope = this.#scope(key);
    if (scope.batchOpen) scope.starved = true;
    const lease = this.#link.nextLease();
    const cost = Object.entries(request.cost ?? {}).map(([m, n]) => `${m}=${n}`).join(",");
    const args = [lease, this.#limits, this.#register, String(Number.isFinite(this.#concurrent) ? this.#concurrent : -1), cost, String(this.#windows.length)];
    // A start keeps its slot `rateGuardMs` longer than the interval (the core's guard on the system clock).
    for (const w of this.#windows) args.push(w.measure ?? COUNT, String(w.limit), String(w.intervalMs + this.#context.rateGuardMs));
    return { limiter: this, scope, lease, keys: [scope.prefix, this.#base.prefix], args, batch: scope.batch, frees: scope.frees, changes: scope.frees + scope.commits };
  }

  /** Redis lost its state: this part waits out the reseed period. */
  reseeding(part: AcquirePart, until: number, now: number): void {
    part.scope.unavailable = false;
    part.scope.block = { reason: "reseeding", details: `Service '${this.name}': reseeding: Redis lost its state (restarted without persistence, flushed, failed over); every process pushes its starts back before any starts again, ${Math.ceil(until - now)}ms more`, until };
  }

  /** Another cue registered other limits for this service: nothing starts until they agree. Returns when to ask again. */
  conflicted(part: AcquirePart, registered: string, now: number): number {
    const error = this.#conflicting(registered);
    const until = now + this.#tuning.pollMs;
    part.scope.unavailable = false;
    part.scope.block = { reason: "rate_limited", details: `Service '${this.name}': ${error.message}`, until };
    return until;
  }

  /** A reply (grant or refusal) showed the scope's shared state: slots held, and each window's use. */
  saw(part: AcquirePart, held: number, used: number[]): void {
    const scope = part.scope;
    this.#conflict = undefined;
    this.#register = "check";
    scope.unavailable = false;
    // Frees sent after the acquire are not in the reply's count yet.
    scope.held = Math.max(0, held - (scope.frees - part.frees));
    scope.used = used;
    scope.block = undefined;
  }

  /** Granted `count` leases (`lease`, `lease.2`...): the first for this request, the others spare for the lane's next works this tick. */
  granted(part: AcquirePart, count: number, request: LimitRequest): void {
    const { scope, lease } = part;
    const costs = this.#costs(request, false);
    const leases = [lease];
    for (let k = 2; k <= count; k++) leases.push(`${lease}.${k}`);
    for (const l of leases) this.#link.journal.granted(l, scope.prefix, costs);
    scope.reserved.push(lease);
    scope.reservedFor.set(request, lease);
    this.#link.unbell(`${scope.prefix}:bell`, this.#context.wake);
    scope.openBatch(leases.slice(1), costs, (l) => this.#free(scope, l, request, true));
  }

  /** A grant that came too late (self-fencing): gives its leases back at once. */
  givenBack(part: AcquirePart, count: number, request: LimitRequest): void {
    const costs = this.#costs(request, false);
    for (let k = 1; k <= count; k++) {
      const l = k === 1 ? part.lease : `${part.lease}.${k}`;
      this.#link.journal.granted(l, part.scope.prefix, costs);
      this.#free(part.scope, l, request, true);
    }
  }

  /**
   * This part refused the start: records why and answers when to ask again (a time,
   * `Infinity` when only a finish here frees it, or a poll time with the scope's bell armed
   * when another process holds it). `local` turns a server time into this process's.
   */
  refused(part: AcquirePart, reason: string, retryAt: number, asked: number, now: number, local: (t: number) => number): number {
    const scope = part.scope;
    const key = JSON.stringify(scope.key);
    const who = scope === this.#base ? `Service '${this.name}'` : `Service '${this.name}' key ${key}`;
    const remote = scope.held > scope.local;
    const poll = Math.max(now, asked) + this.#tuning.pollMs;
    // This process freed or started something while the reply was on its way (its dispatch pass
    // skipped this lane, busy asking): the answer may be out of date, ask again at once.
    const changed = scope.frees + scope.commits > part.changes;
    const again = Math.max(now, asked) + 1e-3;
    switch (reason) {
      case "paused": {
        const until = Math.max(local(retryAt), asked + 1e-3);
        scope.pausedUntil = Math.max(scope.pausedUntil, until);
        scope.block = { reason: "rate_limited", paused: true, details: `${who} paused by RateLimited pushback for ${Math.ceil(until - now)}ms more (shared through Redis)`, until };
        return until;
      }
      case "full":
        scope.block = this.#claims
          ? { reason: "key_held", details: `Submit key ${key} is held: a work with this key is running in ${remote ? "another process" : "this process"} (claims shared through Redis)` }
          : { reason: "service_full", details: `${who} at capacity (${scope.held}/${this.#concurrent} across processes, ${scope.local} here)` };
        // Only a finish frees a slot: one here runs a dispatch pass; one elsewhere rings the bell.
        return changed ? again : remote ? this.#bell(scope, poll) : Infinity;
      case "reserved":
        scope.block = { reason: "rate_limited", details: `${who} rate window full of reserved starts (across processes); waiting for them to start` };
        return changed ? again : remote ? this.#bell(scope, poll) : Infinity;
      default: {
        const until = Math.max(local(retryAt), asked + 1e-3);
        const what = reason === "observed" ? "the server reported nothing left" : `a rate window is full (${this.#usage(scope)})`;
        scope.block = { reason: "rate_limited", details: `${who}: ${what}; next start in ${Math.ceil(until - now)}ms`, until };
        return until;
      }
    }
  }

  /**
   * Waits for the scope's bell: a slot freed by another process wakes the cue (one more
   * dispatch pass). The poll stays as a safety net (a bell lost with a Redis restart).
   */
  #bell(scope: Scope, poll: number): number {
    const wake = this.#context.wake;
    if (wake !== undefined) this.#link.bell(`${scope.prefix}:bell`, wake);
    return poll;
  }

  /** Fail closed: no grant while Redis is away; ask again a little later. */
  unavailable(part: AcquirePart, asked: number, error: unknown): number {
    const now = Math.max(asked, this.#context.clock.now());
    const until = now + this.#tuning.retryMs;
    const why = error instanceof Error ? error.message : String(error);
    const fatal = this.#link.fatal !== undefined;
    part.scope.unavailable = true;
    part.scope.block = { reason: "store_unavailable", details: `Service '${this.name}': store_unavailable: ${fatal ? "" : "Redis unreachable, nothing starts until it answers: "}${why}`, until };
    return until;
  }
  #usage(scope: Scope): string {
    return this.#windows.map((w, i) => `${w.label} ${Math.round((scope.used[i] ?? 0) * 1000) / 1000}/${w.limit}`).join(", ");
  }

  commit(at: number, key: string | undefined, request: LimitRequest): void {
    const scope = this.#scope(key);
    const lease = scope.takeReserved(request);
    if (lease === undefined) return;
    scope.committed.push(lease);
    scope.commits++;
    scope.leaseOf.set(request, lease);
    const ttl = Math.max(...this.#windows.map((w) => w.intervalMs), 0) + this.#context.rateGuardMs + 1000;
    const costs = this.#costs(request, true);
    const link = this.#link;
    link.send(COMMIT, [scope.prefix], [link.time(at), lease, costs, String(Math.ceil(ttl)), this.#tuning.audit ? "1" : ""], (recorded) => link.journal.committed(lease, scope.prefix, Number(recorded), costs, Math.ceil(ttl)));
  }

  cancel(key: string | undefined, request: LimitRequest): void {
    const scope = this.#scope(key);
    const lease = scope.takeReserved(request);
    if (lease === undefined) return;
    this.#free(scope, lease, request, true);
    this.#forget(key, scope);
  }

  release(key: string | undefined): void {
    const scope = this.#scope(key);
    // The engine commits only on lanes with a rate window: a start on a service with only a
    // concurrency cap still holds its (reserved) lease. Slots are alike: free any.
    const lease = scope.committed.shift() ?? scope.reserved.shift();
    if (lease === undefined) return;
    this.#free(scope, lease, undefined, false);
    this.#forget(key, scope);
  }

  #free(scope: Scope, lease: string, request: LimitRequest | undefined, reserved: boolean): void {
    scope.held = Math.max(0, scope.held - 1);
    scope.frees++;
    if (reserved) {
      this.#windows.forEach((w, i) => {
        const weight = w.measure === undefined ? 1 : request?.cost?.[w.measure] ?? 0;
        scope.used[i] = Math.max(0, (scope.used[i] ?? 0) - weight);
      });
    }
    if (scope.block?.reason === "service_full" || scope.block?.reason === "key_held") scope.block = undefined;
    this.#link.journal.freed(lease, reserved);
    this.#link.send(FREE, [scope.prefix, this.#link.ns], [this.#link.clientId, lease, this.#link.time(this.#context.clock.now()), this.#tuning.audit ? "1" : ""]);
  }

  /** Lets go of an idle key's cache, so memory follows the active keys. */
  #forget(key: string | undefined, scope: Scope): void {
    if (key !== undefined && scope.idle(this.#context.clock.now())) this.#keys.delete(key);
  }

  report(key: string | undefined, request: LimitRequest, actual: Costs): void {
    const scope = this.#scope(key);
    const lease = scope.leaseOf.get(request);
    if (lease === undefined) return;
    const list = (costs: Costs | undefined): string => Object.entries(costs ?? {}).map(([m, n]) => `${m}=${n}`).join(",");
    this.#link.journal.reported(lease, actual);
    this.#link.send(REPORT, [scope.prefix], [lease, list(actual), list(request.cost)]);
  }

  measures(): Set<string> {
    return this.#shape.measures();
  }

  maxCost(measure: string): number | undefined {
    return this.#shape.maxCost(measure);
  }

  pause(until: number, key?: string): void {
    const scope = this.#scope(key);
    if (until <= scope.pausedUntil) return;
    scope.pausedUntil = until;
    const now = this.#context.clock.now();
    const link = this.#link;
    link.send(PAUSE, [scope.prefix], [link.time(now), String(Math.max(0, until - now))], (end) => link.journal.paused(scope.prefix, Number(end)));
  }

  pausedUntil(now: number, key?: string): number {
    const own = key === undefined ? this.#base.pausedUntil : this.#keys.get(key)?.pausedUntil ?? 0;
    const until = Math.max(own, this.#base.pausedUntil);
    return now < until ? until : 0;
  }

  update(options: ServiceOptions, now: number): void {
    this.#shape.update(options, now); // validates (and refuses a new `per`) as the core does
    this.#reshape();
    // Last update wins: these limits replace the registered ones; a cue elsewhere that still
    // has the old ones is refused (a conflict) until it updates too.
    this.#register = "set";
    this.#link.send(REGISTER, [this.#service], [this.#limits, "set", String(this.#link.leaseMs)]);
  }

  observe(options: ObserveOptions, now: number): void {
    const scope = this.#scope(options.key);
    const args = [this.#link.time(now), options.measure ?? COUNT, String(options.remaining), String(Math.max(0, options.resetAt - now))];
    this.#link.send(OBSERVE, [scope.prefix], args);
  }

  block(now: number, key?: string): LimitBlock | undefined {
    const paused = this.pausedUntil(now, key);
    const scope = key === undefined ? this.#base : this.#keys.get(key) ?? this.#base;
    if (paused > 0) return { reason: "rate_limited", paused: true, details: `Service '${this.name}' paused by RateLimited pushback for ${Math.ceil(paused - now)}ms more`, until: paused };
    const block = scope.block;
    if (block === undefined || (!scope.unavailable && block.until !== undefined && block.until <= now)) return undefined;
    return block;
  }

  status(now: number): ServiceStatus {
    const base = this.#base.status(this.#windows, now);
    const status: ServiceStatus = {
      name: this.name,
      active: base.active,
      concurrent: this.#concurrent,
      rates: base.rates,
      pausedUntil: base.pausedUntil,
      ...(this.#burst === undefined ? {} : { burst: this.#burst }),
    };
    if (this.keyed) {
      status.keys = [...this.#keys].map(([key, s]) => ({ key, ...s.status(this.#windows, now) }));
      status.active = status.keys.reduce((n, k) => n + k.active, 0);
    }
    return status;
  }


}
