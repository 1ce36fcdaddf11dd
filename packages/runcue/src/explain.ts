import type { BlockedInfo } from "./types.js";
import type { WorkUnit } from "./work.js";

/** What {@link explain} needs to know about the engine. */
export interface ExplainContext {
  now: number;
  started: boolean;
  /** Async checks are at their `checkConcurrency` bound. */
  checksSaturated: boolean;
  checkConcurrency: number;
}

function describeParams(params: unknown): string {
  try {
    const text = JSON.stringify(params);
    if (text === undefined) return String(params);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return "[unserialisable params]";
  }
}

/** Why a pending work is waiting, from where it sits (for `debugBlocked()`). */
export function explain(work: WorkUnit, ctx: ExplainContext): BlockedInfo {
  const { now } = ctx;
  switch (work.place) {
    case "delayed": {
      const ms = Math.max(0, Math.ceil(work.dueAt - now));
      return work.retryWait
        ? { work, reason: "retry_wait", details: `Attempt ${work.attempt} of ${work.def.retry.attempts} of ${work.task} starts in ${ms}ms (last error: ${work.error?.message ?? "none"})`, until: work.dueAt }
        : { work, reason: "delayed", details: `${work.task} is delayed; due in ${ms}ms`, until: work.dueAt };
    }
    case "blocked":
      return { work, reason: "not_ready", details: `isReady returned false for ${work.task}(params=${describeParams(work.params)})` };
    case "checking":
      return { work, reason: "not_ready", details: `isReady/isStale for ${work.task} still running (holding its service slots)` };
    default: {
      if (!ctx.started) return { work, reason: "stopped", details: "The cue is not started (call start())" };
      if (work.place === "intake" || work.place === "screening") {
        return { work, reason: "queued", details: `${work.task} is waiting for its isReady/isStale check` };
      }
      for (const s of work.def.services) {
        const block = s.block(now);
        if (block) return { work, ...block };
      }
      if (ctx.checksSaturated) {
        return { work, reason: "queued", details: `Waiting for one of ${ctx.checkConcurrency} async check slots (checkConcurrency)` };
      }
      return { work, reason: "queued", details: `${work.task} is next in line; dispatch is scheduled` };
    }
  }
}
