import type { BlockReason, CueTotals } from "runcue";

/** A pending work shown as an example of why works wait. */
export interface ExampleWork {
  id: string;
  task: string;
  attempt: number;
  /** When it was submitted (the cue's clock). */
  createdAt: number;
  /** Its params as JSON (at most 200 characters), only with `showParams`. */
  params?: string;
}

/** Pending works that wait for one reason. */
export interface ReasonView {
  reason: BlockReason;
  count: number;
  /** What the reason means, for people. */
  text: string;
  examples: ExampleWork[];
}

/** One rate window of a service (or of one key of it). */
export interface RateView {
  label: string;
  limit: number;
  /** Starts, or measure units (tokens, ...), in the window ending now. */
  used: number;
  intervalMs: number;
  /** The measure the window counts (like `tokens`), or null for starts. */
  measure: string | null;
  /** When the next start fits, if later than the snapshot; null when one fits now or no time is known. */
  nextFreeAt: number | null;
}

/** One key of a service with `per`: its own slots, windows and pause. */
export interface KeyView {
  /** The key itself with `showParams`; otherwise `#` and 6 hex digits of its SHA-256 (keys are often API keys). */
  key: string;
  active: number;
  rates: RateView[];
  pausedUntil: number | null;
  /** When the key's next start fits (every window of the key has room and no pause holds), if later than the snapshot; else null. */
  nextStartAt: number | null;
}

/** One service: its slots, rate windows, queue and pause. */
export interface ServiceView {
  name: string;
  active: number;
  /** The concurrency cap; null when unlimited. */
  concurrent: number | null;
  queued: number;
  rates: RateView[];
  /** Until when a `RateLimited` pushback pauses it (the cue's clock); null when not paused. */
  pausedUntil: number | null;
  /** When the next start fits (every window has room and no pause holds), if later than the snapshot; else null. */
  nextStartAt: number | null;
  /** With `per`: how many keys hold state, and the busiest 10 of them. */
  keyCount: number;
  keys: KeyView[];
}

/** A failure or a retry, for the recent lists. */
export interface FailureView {
  id: string;
  task: string;
  attempt: number;
  /** When it happened (the cue's clock). */
  at: number;
  error: { name: string; message: string };
  /** For a retry: the wait before the next attempt, and whether it was a `RateLimited` pushback. */
  retry?: { delayMs: number; pushback: boolean };
}

/** Finishes per time bucket. */
export interface ThroughputBucket {
  /** The bucket's start (the cue's clock). */
  at: number;
  completed: number;
  failed: number;
  skipped: number;
}

/** The dashboard's picture of a cue: what `/snapshot.json` returns and each `snapshot` event carries. */
export interface DashboardSnapshot {
  /** Increases by one with each snapshot sent. */
  seq: number;
  /** When it was taken (the cue's clock, epoch ms). */
  at: number;
  title: string;
  started: boolean;
  /** When the dashboard began watching (the cue's clock): the uptime's origin. */
  since: number;
  pending: number;
  running: number;
  totals: CueTotals;
  /** Finishes per second over the last minute (or since the dashboard began, if sooner). */
  perSecond: number;
  throughput: { bucketMs: number; buckets: ThroughputBucket[] };
  reasons: ReasonView[];
  services: ServiceView[];
  /** The last 50 failures, newest first. */
  failures: FailureView[];
  /** The last 20 retries and pushbacks, newest first. */
  retries: FailureView[];
  /** The current stall (no progress while work is pending), or null. */
  stall: { at: number; sinceProgressMs: number; pending: number; reasons: { reason: BlockReason; count: number; text: string }[] } | null;
}

/** What each reason means, in a sentence. */
export const REASON_TEXT: Record<BlockReason, string> = {
  not_ready: "isReady says no: the inputs they need are not there yet (a failed or missing upstream work, or an artifact nothing produces).",
  waiting_for: "Submitted with after: they wait for the works they name to complete.",
  no_producer: "A declared input is missing and no task of this cue produces it: it will not appear by itself.",
  cycle: "They wait for each other's declared outputs (a cycle): none of them can start.",
  store_unavailable: "The shared store (Redis) of a service they use does not answer: nothing starts until it does.",
  reseeding: "The shared store lost its state; every process puts its recent starts back before any starts again.",
  key_held: "Their submit key is claimed by a work running in another process sharing the store: they start when it ends.",
  service_full: "Every slot of a service they use is taken: they start as running works finish.",
  rate_limited: "A rate window of a service they use is full, or a RateLimited pushback paused it: they start when it frees.",
  delayed: "Waiting out a submit delay or the wait before a retry.",
  retry_wait: "Waiting before their next attempt.",
  queued: "Next in line: dispatch is scheduled, or their readiness check is waiting for a check slot.",
  stopped: "The cue is not started: nothing runs until start().",
};

/** A work's params as JSON of at most 200 characters; never throws. */
export function paramsText(params: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(params) ?? String(params);
  } catch {
    text = "(params that cannot be shown as JSON)";
  }
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
