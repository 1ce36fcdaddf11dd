import type { Work } from "runcue";

/** Where one pending spell of a work went, split by why it waited. All in milliseconds. */
export interface WaitBreakdown {
  /** From becoming pending (its submit, or the failed attempt before a retry) to its start. */
  totalMs: number;
  /** Time `isReady` said no: from each `block` to the `queue` that ended it. */
  notReadyMs: number;
  /** Time in its services' queue, waiting for a slot or a rate start: from its last `queue` to its start. */
  queuedMs: number;
  /** The rest: a submit delay or a retry wait, and readiness/staleness checks in progress. */
  delayedMs: number;
  /** How many times `isReady` said no (or threw, or timed out) in this spell. */
  blocks: number;
  /** The largest share: `not_ready`, `queued`, `retry_wait` (after a failed attempt) or `delayed`. */
  reason: "not_ready" | "queued" | "retry_wait" | "delayed";
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

/**
 * Follows each pending work through `submit`, `block`, `queue` and `retry` events, so that at its
 * start the wait can be told apart: not ready, queued for limits, or delayed. Entries live in a
 * WeakMap keyed by the work (the cue's own object), and are dropped when the work starts or ends.
 */
export class WaitTracker {
  readonly #spells = new WeakMap<Work, Spell>();

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

  /** The work starts at `at`: how its wait splits. Ends the spell. */
  started(work: Work, at: number): WaitBreakdown {
    const spell = this.#spell(work);
    this.#spells.delete(work);
    const totalMs = Math.max(0, at - spell.since);
    const notReadyMs = spell.notReadyMs + (spell.blockedAt === undefined ? 0 : at - spell.blockedAt);
    const queuedMs = spell.queuedAt === undefined ? 0 : Math.max(0, at - spell.queuedAt);
    const delayedMs = Math.max(0, totalMs - notReadyMs - queuedMs);
    const shares: [WaitBreakdown["reason"], number][] = [
      ["not_ready", notReadyMs],
      ["queued", queuedMs],
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
    return { totalMs, notReadyMs, queuedMs, delayedMs, blocks: spell.blocks, reason };
  }

  /** The work ended without starting (skip, cancel, a pending timeout). */
  ended(work: Work): void {
    this.#spells.delete(work);
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
