import { messageOf } from "../errors.js";
import type { Emitter } from "../events/emitter.js";
import type { BlockReason, CueEventMap } from "../events/event-map.js";
import type { Limiter } from "../limits/limiter.js";
import type { Lane } from "../queue/lane.js";
import type { WorkRecord } from "../work/record.js";
import type { Work } from "../work/work.js";
import type { BlockedInfo } from "./explain.js";

/** Counts `debugBlocked()` reasons, most common first (the `stall` event's `reasons`). */
export function countReasons(infos: readonly BlockedInfo[]): { reason: BlockReason; count: number }[] {
  const counts = new Map<BlockReason, number>();
  for (const info of infos) counts.set(info.reason, (counts.get(info.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

/**
 * The `wait` event of a lane that must wait until `until`: for a pushback pause, or a rate window;
 * undefined when its limits do not say so (a shared store asks again at a poll time while another
 * process holds every slot or the work's key, or while it is unreachable, or to refresh an answer
 * that changed on the way): that is no `wait`, and `debugBlocked()` says why.
 */
export function waitPayload(lane: Lane<WorkRecord>, until: number, now: number): CueEventMap["wait"] | undefined {
  let rate = false;
  for (let i = 0; i < lane.limiters.length && !rate; i++) {
    const block = (lane.limiters[i] as Limiter).block(now, lane.keys[i], lane.peek());
    if (block === undefined) continue;
    if (block.reason !== "rate_limited") return undefined;
    rate = true;
  }
  if (!rate) return undefined;
  const paused = lane.services.some((l) => l.pausedUntil(now) > now);
  return { services: lane.services.map((l) => l.name), reason: paused ? "paused" : "rate_limited", until };
}

/** The default stall warning: how long, how many, and the top reasons, in whole milliseconds. */
export function stallLine(sinceMs: number, pending: number, reasons: readonly { reason: BlockReason; count: number }[]): string {
  const top = reasons.slice(0, 3).map((r) => `${r.count} ${r.reason}`).join(", ");
  return `runcue: stall: no progress for ${Math.round(sinceMs)}ms; ${pending} works pending (${top || "no reason known"}); see cue.debugBlocked()`;
}

/** The default warning for a failure nobody listens to: one line, never silent. */
export function failureLine(work: Work, error: Error): string {
  return `runcue: task "${work.task}" work ${work.id} failed (attempt ${work.attempt}): ${messageOf(error)} (listen with cue.on("fail") to handle failures)`;
}

/** A promise of `register`'s value that rejects with the signal's reason if it aborts first; the registration is undone either way. */
export function awaitWith<T>(signal: AbortSignal | undefined, register: (resolve: (v: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      unregister();
      reject(signal?.reason);
    };
    const unregister = register((v) => {
      signal?.removeEventListener("abort", onAbort);
      resolve(v);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Emits `wait` for a lane waiting on a rate window or pause (nothing without a listener, or for another wait). */
export function emitWait(events: Emitter, lane: Lane<WorkRecord>, until: number, now: number): void {
  if (!events.has("wait")) return;
  const payload = waitPayload(lane, until, now);
  if (payload !== undefined) events.emit("wait", payload);
}

/** Emits `pause` once per service a pushback paused. */
export function emitPause(events: Emitter, work: Work, services: readonly string[], until: number, error: Error): void {
  if (!events.has("pause")) return;
  for (const service of services) events.emit("pause", { service, until, work, error });
}

/** A work pending past `pendingWarnAfter`: the `pendingWarning` event, or a line when nobody listens. */
export function warnPending(events: Emitter, work: Work, pendingMs: number, limitMs: number): void {
  if (events.has("pendingWarning")) events.emit("pendingWarning", { work, pendingMs });
  else console.warn(`runcue: ${work.task}[${work.id}] pending for ${Math.round(pendingMs)}ms (threshold ${limitMs}ms)`);
}

/** A stall: the `stall` event with the blocked reasons counted, or a line when nobody listens. */
export function warnStall(events: Emitter, sinceMs: number, pending: number, blocked: () => readonly BlockedInfo[]): void {
  const reasons = countReasons(blocked());
  if (events.has("stall")) events.emit("stall", { sinceProgressMs: sinceMs, pending, reasons });
  else console.warn(stallLine(sinceMs, pending, reasons));
}
