import { createHash } from "node:crypto";
import type { BlockReason, Cue, ServiceStatus, Work } from "runcue";
import { REASON_TEXT, paramsText, type DashboardSnapshot, type FailureView, type KeyView, type RateView, type ServiceView, type ThroughputBucket } from "./snapshot.js";

/** Finishes are counted in buckets this long... */
export const BUCKET_MS = 5000;
/** ...and this many are kept: the last 5 minutes. */
export const BUCKETS = 60;
const FAILURES = 50;
const RETRIES = 20;
const EXAMPLES = 5;
/** Keys of a service with `per` shown, the busiest first. */
const KEYS = 10;

/** What a feed needs to know. */
export interface FeedOptions {
  title: string;
  showParams: boolean;
}

/**
 * What the dashboard knows about a cue beyond `summary()`: the failures and retries it saw,
 * finishes per time bucket, the current stall and when each service may start next. Every event
 * costs O(1); a snapshot costs O(services + buckets) plus the core's bounded example scan, so it
 * stays cheap with 100,000 works pending.
 */
export class Feed {
  readonly #cue: Cue;
  readonly #options: FeedOptions;
  readonly #since: number;
  readonly #buckets = new Map<number, ThroughputBucket>();
  #failures: FailureView[] = [];
  #retries: FailureView[] = [];
  #stall: DashboardSnapshot["stall"] = null;
  readonly #removers: (() => void)[];
  /** True once the cue was seen started: a work started, or a snapshot found it started. */
  sawStarted = false;

  constructor(cue: Cue, options: FeedOptions) {
    this.#cue = cue;
    this.#options = options;
    this.#since = cue.clock.now();
    const progress = (): void => {
      this.#stall = null;
    };
    this.#removers = [
      cue.on("complete", () => {
        progress();
        this.#count("completed");
      }),
      cue.on("skip", () => {
        progress();
        this.#count("skipped");
      }),
      cue.on("start", () => {
        this.sawStarted = true;
        progress();
      }),
      cue.on("fail", ({ work, error }) => {
        this.#count("failed");
        this.#failures = push(this.#failures, failure(work, error, cue.clock.now()), FAILURES);
      }),
      cue.on("retry", ({ work, error, delayMs, pushback }) => {
        // The work already counts its next attempt (a pushback uses none): name the one that failed.
        const failed = { ...failure(work, error, cue.clock.now()), attempt: pushback ? work.attempt : work.attempt - 1 };
        this.#retries = push(this.#retries, { ...failed, retry: { delayMs, pushback } }, RETRIES);
      }),
      cue.on("stall", ({ sinceProgressMs, pending, reasons }) => {
        this.#stall = { at: cue.clock.now(), sinceProgressMs, pending, reasons: reasons.map((r) => ({ ...r, text: REASON_TEXT[r.reason] })) };
      }),
    ];
  }

  /** Removes every listener this feed added to the cue. */
  close(): void {
    for (const remove of this.#removers) remove();
    this.#removers.length = 0;
  }

  /** The cue as the page shows it, numbered `seq`. */
  snapshot(seq: number): DashboardSnapshot {
    const s = this.#cue.summary({ examples: EXAMPLES });
    const now = s.at;
    if (s.started) this.sawStarted = true;
    return {
      seq,
      at: now,
      title: this.#options.title,
      started: s.started,
      since: this.#since,
      pending: s.pending,
      running: s.running,
      totals: { ...s.totals },
      perSecond: this.#perSecond(now),
      throughput: { bucketMs: BUCKET_MS, buckets: this.#series(now) },
      reasons: s.reasons.map((r) => ({
        reason: r.reason,
        count: r.count,
        text: REASON_TEXT[r.reason as BlockReason] ?? r.reason,
        examples: r.examples.map((w) => ({
          id: w.id, task: w.task, attempt: w.attempt, createdAt: w.createdAt,
          ...(this.#options.showParams ? { params: paramsText(w.params) } : {}),
        })),
      })),
      services: s.services.map((svc) => this.#service(svc, now)),
      failures: this.#failures,
      retries: this.#retries,
      stall: this.#stall,
    };
  }

  #service(svc: ServiceStatus & { queued: number }, now: number): ServiceView {
    const rates = svc.rates.map((r) => rateView(r, now));
    const pausedUntil = svc.pausedUntil > now ? svc.pausedUntil : null;
    const keys = svc.keys ?? [];
    const busiest = [...keys].sort((a, b) => b.active - a.active || fullness(b.rates) - fullness(a.rates)).slice(0, KEYS);
    return {
      name: svc.name,
      active: svc.active,
      concurrent: Number.isFinite(svc.concurrent) ? svc.concurrent : null,
      queued: svc.queued,
      rates,
      pausedUntil,
      nextStartAt: nextStart(svc, now),
      keyCount: keys.length,
      keys: busiest.map((k): KeyView => ({
        key: this.#options.showParams ? k.key : `#${createHash("sha256").update(k.key).digest("hex").slice(0, 6)}`,
        active: k.active,
        rates: k.rates.map((r) => rateView(r, now)),
        pausedUntil: k.pausedUntil > now ? k.pausedUntil : null,
        nextStartAt: nextStart(k, now),
      })),
    };
  }

  #count(kind: "completed" | "failed" | "skipped"): void {
    const now = this.#cue.clock.now();
    const at = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    let bucket = this.#buckets.get(at);
    if (bucket === undefined) {
      bucket = { at, completed: 0, failed: 0, skipped: 0 };
      this.#buckets.set(at, bucket);
      for (const key of this.#buckets.keys()) if (key <= at - BUCKETS * BUCKET_MS) this.#buckets.delete(key);
    }
    bucket[kind]++;
  }

  /** The last {@link BUCKETS} buckets up to `now`, oldest first, empty ones included. */
  #series(now: number): ThroughputBucket[] {
    const last = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    const out: ThroughputBucket[] = [];
    for (let i = BUCKETS - 1; i >= 0; i--) {
      const at = last - i * BUCKET_MS;
      const b = this.#buckets.get(at);
      out.push(b === undefined ? { at, completed: 0, failed: 0, skipped: 0 } : { ...b });
    }
    return out;
  }

  /** Finishes per second over the last minute, or since the dashboard began watching if that is sooner. */
  #perSecond(now: number): number {
    const from = Math.max(Math.floor((now - 60_000) / BUCKET_MS) * BUCKET_MS, this.#since);
    let count = 0;
    for (const b of this.#buckets.values()) if (b.at + BUCKET_MS > from) count += b.completed + b.failed + b.skipped;
    const seconds = (now - from) / 1000;
    return seconds > 0 ? count / seconds : 0;
  }
}

function rateView(r: ServiceStatus["rates"][number], now: number): RateView {
  return {
    label: r.label, limit: r.limit, used: r.used, intervalMs: r.intervalMs, measure: r.measure,
    nextFreeAt: r.nextFreeAt > now && Number.isFinite(r.nextFreeAt) ? r.nextFreeAt : null,
  };
}

/**
 * When the next start fits a service or one of its keys: every window has room and no pause
 * holds; null when that is now, or unknown (a window that can never fit the next start).
 */
function nextStart(limits: { rates: readonly { nextFreeAt: number }[]; pausedUntil: number }, now: number): number | null {
  let next = Math.max(now, limits.pausedUntil);
  for (const r of limits.rates) next = Math.max(next, r.nextFreeAt);
  return next > now && Number.isFinite(next) ? next : null;
}

/** How full the fullest window is, from 0 to 1 (and beyond, for a reservation over the limit). */
function fullness(rates: readonly { used: number; limit: number }[]): number {
  let most = 0;
  for (const r of rates) most = Math.max(most, r.limit > 0 ? r.used / r.limit : 0);
  return most;
}

function failure(work: Work, error: Error, at: number): FailureView {
  const message = String(error.message);
  return {
    id: work.id,
    task: work.task,
    attempt: work.attempt,
    at,
    error: { name: String(error.name), message: message.length > 500 ? `${message.slice(0, 499)}…` : message },
  };
}

/** A new list with `item` first and at most `max` items (the snapshot may still hold the old one). */
function push<T>(list: T[], item: T, max: number): T[] {
  return [item, ...list.slice(0, max - 1)];
}
