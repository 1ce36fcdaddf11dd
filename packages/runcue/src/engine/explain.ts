import { describeValue, messageOf } from "../errors.js";
import type { BlockReason } from "../events/event-map.js";
import type { Limiter } from "../limits/limiter.js";
import { Phase } from "../work/phase.js";
import type { WorkRecord } from "../work/record.js";
import type { Work } from "../work/work.js";

/** One entry of `debugBlocked()`. */
export interface BlockedInfo {
  /** The pending work. */
  work: Work;
  /** Why it waits. */
  reason: BlockReason;
  /** A sentence for humans, with the numbers. */
  details: string;
  /** When the blocker ends (epoch ms), where known. */
  until?: number;
  /** `waiting_for`: the ids of the works in its `after` list that have not completed yet. */
  waitingFor?: string[];
}

/** What {@link explain} needs to know about the engine. */
export interface ExplainContext {
  now: number;
  started: boolean;
  /** Async checks are at their `checkConcurrency` bound. */
  checksSaturated: boolean;
  checkConcurrency: number;
  checkTimeout: number | undefined;
}

const BLOCK_DETAILS = {
  not_ready: (w: WorkRecord) => `isReady returned false for ${w.task}(params=${describeValue(w.params)})`,
  check_error: (w: WorkRecord) => `isReady threw for ${w.task}(params=${describeValue(w.params)}); counted as not ready, asked again at the next recheck`,
  check_timeout: (w: WorkRecord, ctx: ExplainContext) => `isReady for ${w.task}(params=${describeValue(w.params)}) did not settle within ${String(ctx.checkTimeout)}ms (checkTimeout); counted as not ready, asked again at the next recheck`,
  no_producer: (w: WorkRecord) => w.artifacts?.blockDetail ?? `An input of ${w.task} is missing and no pending work produces it`,
  cycle: (w: WorkRecord) => w.artifacts?.blockDetail ?? `${w.task} is in a waits-for cycle`,
  waiting_for: (w: WorkRecord) => `${w.task} waits for ${waitingIds(w).map((id) => `work ${id}`).join(", ")} (its after list) to complete`,
};

function waitingIds(work: WorkRecord): string[] {
  return (work.links?.waitingOn ?? []).map((w) => w.id);
}

/** Why a pending work is waiting, read from its phase (for `debugBlocked()`). */
export function explain(work: WorkRecord, ctx: ExplainContext): BlockedInfo {
  const { now } = ctx;
  switch (work.phase) {
    case Phase.Delayed: {
      const ms = Math.max(0, Math.ceil(work.dueAt - now));
      // A retry wait always follows a failed attempt (its error is kept); a submit delay has none.
      return work.error !== undefined
        ? { work, reason: "retry_wait", details: `Attempt ${work.attempt} of ${work.def.retry.attempts} of ${work.task} starts in ${ms}ms (last error: ${messageOf(work.error)})`, until: work.dueAt }
        : { work, reason: "delayed", details: `${work.task} is delayed; due in ${ms}ms`, until: work.dueAt };
    }
    case Phase.Blocked:
      if (work.artifacts !== undefined && work.blockCause !== "waiting_for" && work.artifacts.blockCause !== undefined) {
        // Declared artifacts say which input it waits for, and who could produce it.
        const cause = work.artifacts.blockCause;
        return { work, reason: cause === "not_ready" ? "not_ready" : cause, details: work.artifacts.blockDetail };
      }
      return work.blockCause === "waiting_for"
        ? { work, reason: "waiting_for", details: BLOCK_DETAILS.waiting_for(work), waitingFor: waitingIds(work) }
        : { work, reason: "not_ready", details: BLOCK_DETAILS[work.blockCause](work, ctx) };
    case Phase.Checking:
    case Phase.Screening: {
      const holds = work.phase === Phase.Checking ? " (holding its service slots)" : "";
      const limit = ctx.checkTimeout === undefined ? "" : `; checkTimeout ${ctx.checkTimeout}ms`;
      return { work, reason: "not_ready", details: `isReady/isStale for ${work.task} still running${holds}${limit}` };
    }
    default: {
      if (!ctx.started) return { work, reason: "stopped", details: "The cue is stopped: pending work waits for start()" };
      if (work.phase === Phase.Intake) {
        return ctx.checksSaturated
          ? { work, reason: "queued", details: `Waiting for one of ${ctx.checkConcurrency} async check slots (checkConcurrency)` }
          : { work, reason: "queued", details: `${work.task} is waiting for its isReady/isStale check` };
      }
      const lane = work.lane;
      for (let i = 0; i < lane.limiters.length; i++) {
        const block = (lane.limiters[i] as Limiter).block(now, lane.keys[i], work);
        if (block) {
          const { reason, details, until } = block;
          return until === undefined ? { work, reason, details } : { work, reason, details, until };
        }
      }
      if (ctx.checksSaturated && work.checkedGen !== -1) {
        return { work, reason: "queued", details: `Waiting for one of ${ctx.checkConcurrency} async check slots (checkConcurrency)` };
      }
      return { work, reason: "queued", details: `${work.task} is next in line; dispatch is scheduled` };
    }
  }
}
