import type { Work } from "runcue";

/** Where one pending spell of a work went, split by why it waited. All in milliseconds. */
export interface WaitBreakdown {
  /** From becoming pending (its submit, or the failed attempt before a retry) to its start. */
  totalMs: number;
  /** Time `isReady` said no: from each `block` to the `queue` that ended it. */
  notReadyMs: number;
  /** Time in its services' queue, waiting for a slot or a rate start: from its last `queue` to its start. */
  queuedMs: number;
  /** The part of `queuedMs` its services waited for a rate window to have room. */
  rateLimitedMs: number;
  /** The part of `queuedMs` its services were paused by a `RateLimited` pushback. */
  pausedMs: number;
  /** The rest of `queuedMs`: every slot taken, or other works ahead in line. */
  serviceFullMs: number;
  /** The rest: a submit delay or a retry wait, and readiness/staleness checks in progress. */
  delayedMs: number;
  /** How many times `isReady` said no (or threw, or timed out) in this spell. */
  blocks: number;
  /** The largest share: `not_ready`, `rate_limited`, `paused`, `service_full`, `retry_wait` (after a failed attempt) or `delayed`. */
  reason: "not_ready" | "rate_limited" | "paused" | "service_full" | "retry_wait" | "delayed";
}

interface Spell {
  /** When the work became pending. */
  since: number;
  /** True when the spell began with a retry (a failed attempt or a pushback). */
  retry: boolean;
  /** When the current not-ready stretch began, if it is blocked now. */
  blockedAt: number | undefined;
  notReadyMs: number;
  queuedAt: number | undefined;
  blocks: number;
}

/** One timed wait of a lane (the works of one set of services), from a `wait` event. */
interface LaneWait {
  from: number;
  until: number;
  reason: "rate_limited" | "paused";
}

/** Timed waits kept per lane: enough to cover the queue time of the works that start next. */
const KEPT_WAITS = 64;

/** Keys already made, by list: the events pass each task's own list of services, the same array every time. */
const keys = new WeakMap<readonly string[], string>();

/** The key of a set of services, whatever order they are listed in. */
function laneKey(services: readonly string[]): string {
  let key = keys.get(services);
  if (key === undefined) {
    key = [...services].sort().join("\u0000");
    keys.set(services, key);
  }
  return key;
}

/**
 * Follows each pending work through `submit`, `block`, `queue` and `retry` events, so that at its
 * start the wait can be told apart: not ready, queued for limits, or delayed. Entries are keyed
 * by the work (the cue's own object) and dropped when it starts or ends (a Map: a WeakMap of
 * 100,000 pending works costs the garbage collector dearly).
 */
export class WaitTracker {
  readonly #spells = new Map<Work, Spell>();
  readonly #laneWaits = new Map<string, LaneWait[]>();

  /** The works using `services` must wait until `until` for a rate window or a pushback pause (a `wait` event at `at`). */
  laneWaits(services: readonly string[], reason: LaneWait["reason"], at: number, until: number): void {
    const key = laneKey(services);
    let waits = this.#laneWaits.get(key);
    if (waits === undefined) {
      waits = [];
      this.#laneWaits.set(key, waits);
    }
    const last = waits.at(-1);
    // A new wait replaces a longer one still running (the lane re-armed its timer earlier).
    if (last !== undefined && last.until > at) last.until = at;
    waits.push({ from: at, until, reason });
    if (waits.length > KEPT_WAITS) waits.shift();
  }

  /** The work became pending at `at`: submitted, or sent back by a failed attempt (`retry`). */
  pending(work: Work, at: number, retry: boolean): void {
    this.#spells.set(work, { since: at, retry, blockedAt: undefined, notReadyMs: 0, queuedAt: undefined, blocks: 0 });
  }

  /** `isReady` said no at `at`. */
  blocked(work: Work, at: number): void {
    const spell = this.#spell(work);
    spell.blocks++;
    if (spell.blockedAt === undefined) spell.blockedAt = at;
  }

  /** The work entered its services' queue at `at`. */
  queued(work: Work, at: number): void {
    const spell = this.#spell(work);
    if (spell.blockedAt !== undefined) {
      spell.notReadyMs += at - spell.blockedAt;
      spell.blockedAt = undefined;
    }
    spell.queuedAt = at;
  }

  /** The work starts at `at` on `services`: how its wait splits. Ends the spell. */
  started(work: Work, services: readonly string[], at: number): WaitBreakdown {
    const spell = this.#spell(work);
    this.#spells.delete(work);
    const totalMs = Math.max(0, at - spell.since);
    const notReadyMs = spell.notReadyMs + (spell.blockedAt === undefined ? 0 : at - spell.blockedAt);
    const queuedMs = spell.queuedAt === undefined ? 0 : Math.max(0, at - spell.queuedAt);
    const delayedMs = Math.max(0, totalMs - notReadyMs - queuedMs);
    let rateLimitedMs = 0;
    let pausedMs = 0;
    const waits = queuedMs > 0 && this.#laneWaits.size > 0 ? this.#laneWaits.get(laneKey(services)) : undefined;
    if (waits !== undefined) {
      const from = at - queuedMs;
      for (const w of waits) {
        const overlap = Math.min(w.until, at) - Math.max(w.from, from);
        if (overlap <= 0) continue;
        if (w.reason === "paused") pausedMs += overlap;
        else rateLimitedMs += overlap;
      }
    }
    const serviceFullMs = Math.max(0, queuedMs - rateLimitedMs - pausedMs);
    const shares: [WaitBreakdown["reason"], number][] = [
      ["not_ready", notReadyMs],
      ["rate_limited", rateLimitedMs],
      ["paused", pausedMs],
      ["service_full", serviceFullMs],
      [spell.retry ? "retry_wait" : "delayed", delayedMs],
    ];
    let reason = shares[0]![0];
    let most = -1;
    for (const [name, ms] of shares) {
      if (ms > most) {
        most = ms;
        reason = name;
      }
    }
    return { totalMs, notReadyMs, queuedMs, rateLimitedMs, pausedMs, serviceFullMs, delayedMs, blocks: spell.blocks, reason };
  }

  /** True while the work has a spell: it was seen pending and has not started or ended since. */
  has(work: Work): boolean {
    return this.#spells.has(work);
  }

  /** The work ended without starting (skip, cancel, a pending timeout). */
  ended(work: Work): void {
    this.#spells.delete(work);
  }

  /** Forgets everything (the instrumentation is being removed). */
  clear(): void {
    this.#spells.clear();
    this.#laneWaits.clear();
  }

  /** The spell of a work seen first mid-way (instrumented after its submit): pending since its creation. */
  #spell(work: Work): Spell {
    let spell = this.#spells.get(work);
    if (spell === undefined) {
      spell = { since: work.createdAt, retry: false, blockedAt: undefined, notReadyMs: 0, queuedAt: undefined, blocks: 0 };
      this.#spells.set(work, spell);
    }
    return spell;
  }
}
