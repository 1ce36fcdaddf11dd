import type { BlockReason } from "../events/event-map.js";
import type { Limiter, ServiceStatus } from "../limits/limiter.js";
import type { Lane } from "../queue/lane.js";
import type { Lifecycle } from "../work/lifecycle.js";
import { Phase } from "../work/phase.js";
import type { WorkRecord } from "../work/record.js";
import type { Work } from "../work/work.js";

/** Counts since the cue was made, from `cue.summary()`. */
export interface CueTotals {
  submitted: number;
  /** Completed by their handler (skips not included). */
  completed: number;
  failed: number;
  skipped: number;
  cancelled: number;
  /** Attempts that failed and went back to wait (pushbacks included). */
  retried: number;
}

/** One service in `cue.summary()`: its status, and how many works wait in queues that use it. */
export interface ServiceSummary extends ServiceStatus {
  /** Works queued for this service (waiting for slots or rate starts). */
  queued: number;
}

/** A cheap picture of a cue for dashboards and metric scrapes, from `cue.summary()`. */
export interface CueSummary {
  /** When it was taken (the cue's clock). */
  at: number;
  started: boolean;
  pending: number;
  running: number;
  /** Pending works by why they wait, most first, each with a few example works. */
  reasons: { reason: BlockReason; count: number; examples: Work[] }[];
  services: ServiceSummary[];
  totals: CueTotals;
}

/** What a summary reads. */
export interface SummaryHost {
  readonly lifecycle: Lifecycle;
  readonly services: ReadonlyMap<string, { status(now: number): ServiceStatus }>;
  readonly lanes: Iterable<Lane<WorkRecord>>;
  isStarted(): boolean;
  /** Pending works, oldest first (for examples only: read lazily, a few at a time). */
  pendingWorks(): Iterable<WorkRecord>;
  /** How many blocked works wait for their `after` list (the rest of `Blocked` is `not_ready`). */
  readonly waitingFor: number;
  /** The reason one pending work waits (as `debugBlocked()` gives it). */
  reasonOf(work: WorkRecord, now: number): BlockReason;
}

/**
 * Builds a summary in O(services + lanes) plus a bounded scan for examples: counts come from the
 * lifecycle's phase counts and the lanes' sizes, never from walking every pending work, so a
 * scrape stays cheap with a million works pending.
 */
export function summarize(host: SummaryHost, now: number, examples: number): CueSummary {
  const c = host.lifecycle.counts;
  const counts = new Map<BlockReason, number>();
  const add = (reason: BlockReason, n: number): void => {
    if (n > 0) counts.set(reason, (counts.get(reason) ?? 0) + n);
  };
  const queuedBy = new Map<string, number>();
  if (!host.isStarted()) {
    add("stopped", host.lifecycle.pending);
  } else {
    add("not_ready", (c[Phase.Blocked] as number) - host.waitingFor + (c[Phase.Screening] as number) + (c[Phase.Checking] as number));
    add("waiting_for", host.waitingFor);
    add("delayed", c[Phase.Delayed] as number);
    add("queued", c[Phase.Intake] as number);
  }
  for (const lane of host.lanes) {
    if (lane.size === 0) continue;
    for (const l of lane.services) queuedBy.set(l.name, (queuedBy.get(l.name) ?? 0) + lane.size);
    if (!host.isStarted()) continue;
    let reason: BlockReason = "queued";
    for (let i = 0; i < lane.limiters.length; i++) {
      const block = (lane.limiters[i] as Limiter).block(now, lane.keys[i], lane.peek());
      if (block) {
        reason = block.reason;
        break;
      }
    }
    add(reason, lane.size);
  }
  const reasons = [...counts].map(([reason, count]) => ({ reason, count, examples: [] as Work[] })).sort((a, b) => b.count - a.count);
  if (examples > 0 && reasons.length > 0) {
    const byReason = new Map(reasons.map((r) => [r.reason, r.examples]));
    let missing = reasons.length;
    let scanned = 0;
    for (const work of host.pendingWorks()) {
      if (++scanned > 10_000 || missing === 0) break;
      const list = byReason.get(host.isStarted() ? normalise(host.reasonOf(work, now)) : "stopped");
      if (list === undefined || list.length >= examples) continue;
      list.push(work);
      if (list.length === examples) missing--;
    }
  }
  const completed = (c[Phase.Completed] as number) - host.lifecycle.totals.skipped;
  return {
    at: now,
    started: host.isStarted(),
    pending: host.lifecycle.pending,
    running: host.lifecycle.running,
    reasons,
    services: [...host.services.values()].map((s) => {
      const status = s.status(now);
      return { ...status, queued: queuedBy.get(status.name) ?? 0 };
    }),
    totals: {
      submitted: host.lifecycle.totals.submitted,
      completed,
      failed: c[Phase.Failed] as number,
      skipped: host.lifecycle.totals.skipped,
      cancelled: c[Phase.Cancelled] as number,
      retried: host.lifecycle.totals.retried,
    },
  };
}

/** The summary counts retry waits under `delayed`. */
function normalise(reason: BlockReason): BlockReason {
  return reason === "retry_wait" ? "delayed" : reason;
}
