import type { ServiceStatus } from "./service.js";
import type { Work } from "./work.js";

/** What `priority(ctx)` receives. */
export interface PriorityContext {
  /** The work being queued. */
  work: Work;
  /** Milliseconds since it was submitted. */
  waitTime: number;
  /** How many works are pending. */
  queueDepth: number;
}

/** Options of `submit`. */
export interface SubmitOptions {
  /** Priority in [0, 1], higher first; overrides the cue's `priority` function. @default 0.5 */
  priority?: number;
  /** Hold the work this long before it may be dispatched. @default 0 */
  delay?: number | string;
  /** Dedupe key: while a work with this key is pending or running, submitting it again returns that work's id. */
  key?: string;
}

/** Why a pending work is waiting, from `debugBlocked()`. */
export type BlockReason = "not_ready" | "service_full" | "rate_limited" | "delayed" | "retry_wait" | "queued" | "stopped";

/** One entry of `debugBlocked()`. */
export interface BlockedInfo {
  work: Work;
  reason: BlockReason;
  /** A sentence for humans. */
  details: string;
  /** When the blocker ends (epoch ms), where known. */
  until?: number;
}

/** Counts from `status()`. */
export interface CueStatus {
  started: boolean;
  /** Works not yet terminal and not running: queued + checking + blocked + delayed. */
  pending: number;
  running: number;
  /** Waiting in service queues. */
  queued: number;
  /** Readiness/staleness checks in progress before dispatch. */
  checking: number;
  /** Not ready, waiting for a recheck. */
  blocked: number;
  /** Waiting out a submit delay or a retry delay. */
  delayed: number;
  /** Finished works still kept for `get`/`wait`. */
  retained: number;
  services: ServiceStatus[];
}
