import { ConfigurationError, type Limiter, type LimiterStore, type ServiceOptions, type StoreContext } from "runcue";
import { Link, type RedisScriptClient } from "./link.js";
import { Acquirer } from "./acquire.js";
import { CLAIMS, RedisLimiter, type LimiterTuning } from "./limiter.js";

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** Where Redis answers, e.g. `"redis://127.0.0.1:6379"`; the store opens and closes its own client. @default "redis://127.0.0.1:6379" */
  url?: string;
  /** A connected node-redis client to use instead of `url` (the store never closes it). */
  client?: RedisScriptClient;
  /** Cues with the same namespace share the limits of their services of the same name. */
  namespace: string;
  /**
   * How long a process's slots outlive it: a process that stops heartbeating (killed, frozen)
   * loses its slots and reservations this long after its last heartbeat (sent every third of it).
   * @default "10s" (10000)
   */
  leaseMs?: number;
  /**
   * How soon a lane asks again while every slot is held by other processes, in case their
   * bell (rung when one frees a slot) was lost, e.g. with a Redis restart. @default 1000
   */
  pollMs?: number;
  /** How soon a lane asks again while Redis is unreachable (nothing starts meanwhile). @default 250 */
  retryMs?: number;
  /**
   * `"redis"`: every script reads Redis `TIME`, one clock for every process (use this).
   * `"cue"`: scripts take the cue's clock; only for tests on a `VirtualClock` in one process.
   * @default "redis"
   */
  time?: "redis" | "cue";
  /** Receives errors Redis answered to a queued call (a bug to report). @default console.error */
  onError?: (error: Error) => void;
  /**
   * For tests and audits: every start on a service with a rate window also appends the time Redis
   * stamped it with (ms, Redis `TIME`) to the list `<prefix>:s:<service>:starts` (with `per`,
   * `...:k:<key>:starts`) and its costs (`"#=1,tokens=12"`) to `...:costs`, and when it frees its
   * slot, `"<start> <end>"` to `...:spans`, so the
   * limits (rate and concurrency) can be checked against Redis's own clock. The lists grow with
   * every start: delete them yourself. @default false
   */
  audit?: boolean;
}

/**
 * A {@link LimiterStore} that keeps every service's limits in Redis, so that cues in many
 * processes (on one machine or many) share exact limits: sliding windows (counts and measures),
 * concurrency, pauses, per-key limits and observed caps.
 * @example
 * const store = new RedisStore({ url: "redis://127.0.0.1:6379", namespace: "myapp" });
 * const cue = new Cue({ store });
 * cue.service("openai", { rate: "500/min", concurrent: 20 });
 * // ... cue.start(), submit, await cue.idle(), await cue.stop() ...
 * await store.close();
 */
export class RedisStore implements LimiterStore {
  readonly #link: Link;
  readonly #pollMs: number;
  readonly #retryMs: number;
  readonly #onError: (error: Error) => void;
  readonly #audit: boolean;
  readonly #limiters: RedisLimiter[] = [];
  /** Every limiter's acquires, alone or a lane's together, in one script call each. */
  readonly #acquirer: Acquirer;

  constructor(options: RedisStoreOptions) {
    const namespace = options?.namespace;
    if (typeof namespace !== "string" || namespace.length === 0 || /[{}\p{Cc}]/u.test(namespace)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid namespace for RedisStore: ${JSON.stringify(namespace)} (expected a non-empty string without braces or control characters)`);
    }
    if (options.url !== undefined && options.client !== undefined) {
      throw new ConfigurationError("ERR_INVALID_OPTION", "Invalid RedisStore options: both url and client given (expected one of them)");
    }
    const leaseMs = positive(options.leaseMs, 10_000, "leaseMs");
    this.#pollMs = positive(options.pollMs, 1000, "pollMs");
    this.#retryMs = positive(options.retryMs, 250, "retryMs");
    if (options.time !== undefined && options.time !== "redis" && options.time !== "cue") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid time for RedisStore: ${JSON.stringify(options.time)} (expected "redis" or "cue")`);
    }
    this.#onError = options.onError ?? ((error) => console.error(error));
    if (options.audit !== undefined && typeof options.audit !== "boolean") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid audit for RedisStore: ${JSON.stringify(options.audit)} (expected true or false)`);
    }
    this.#audit = options.audit ?? false;
    this.#link = new Link({
      url: options.url,
      client: options.client,
      namespace,
      leaseMs,
      retryMs: this.#retryMs,
      serverTime: options.time !== "cue",
      onError: this.#onError,
    });
    this.#acquirer = new Acquirer(this.#link, this.#retryMs);
  }

  /** The namespace's key prefix in Redis (`{runcue:<namespace>}`); every key starts with it. */
  get prefix(): string {
    return this.#link.ns;
  }

  /** Script calls this store has sent so far (each is one command, pipelined per tick): a measure of its Redis traffic. */
  get scriptCalls(): number {
    return this.#link.calls;
  }

  /** Times this process pushed its share of the state back: Redis had lost it (restart, flush) or had reaped this process while cut off. */
  get reseeds(): number {
    return this.#link.reseeds;
  }

  /** Bells heard: slots freed by other processes that woke a waiting lane here. */
  get bellsRung(): number {
    return this.#link.bellsRung;
  }

  /**
   * Resolves once connected, the server checked (Redis 6.2+, `maxmemory-policy noeviction`) and
   * the services registered so far compared with those of every other cue in the namespace;
   * rejects with why not: a {@link ConfigurationError} naming both limits when another cue gives
   * a service other limits. Await it after `cue.service(...)` and before `cue.start()` to fail
   * at start (without it, the conflicting service only refuses to start work).
   */
  async ready(): Promise<void> {
    await this.#link.ready();
    await Promise.all(this.#limiters.map((l) => l.registered));
  }

  #tuning(): LimiterTuning {
    return { pollMs: this.#pollMs, retryMs: this.#retryMs, onError: this.#onError, audit: this.#audit };
  }

  limiter(name: string, options: ServiceOptions, context: StoreContext): Limiter {
    const limiter = new RedisLimiter(name, options, context, this.#link, this.#tuning(), this.#acquirer);
    this.#limiters.push(limiter);
    return limiter;
  }

  /**
   * The claims of submit keys, shared by every cue of the namespace: a work submitted with a
   * `key` takes its key's one slot before its services' and frees it when it leaves `running`,
   * so works of one key never run in two processes at once (`key_held` while another holds it).
   * A dead process's claims are freed with its slots, after the lease.
   */
  claims(context: StoreContext): Limiter {
    const limiter = new RedisLimiter("submit keys", { concurrent: 1, per: (work) => work.key ?? "" }, context, this.#link, this.#tuning(), this.#acquirer, CLAIMS);
    this.#limiters.push(limiter);
    return limiter;
  }

  /** Sends what is queued, gives back this process's leases and closes the store's own client. Call after `cue.stop()`. */
  close(): Promise<void> {
    return this.#link.close();
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${name} for RedisStore: ${String(value)} (expected a positive number of milliseconds)`);
  }
  return value;
}
