import type { CueStatus } from "runcue";
import { humanDuration } from "./display/format.js";
import type { SimEvent } from "./events.js";
import type { SimState } from "./state.js";

/**
 * What held a service (or the whole run) back for a while: its rate window was full with work
 * waiting (`rate_limited`), a `RateLimited` pushback paused it (`paused`), all its slots were
 * busy with work waiting (`full`), or the run was stalled (`stalled`: nothing started or
 * finished, work pending, nothing running; `waiting` when it waited for a known moment).
 */
export type ConditionKind = "rate_limited" | "paused" | "full" | "waiting" | "stalled";

/** One spell of a condition. Times are ms since the run started. */
export interface Condition {
  /** The service, or null for the whole run (stalls). */
  service: string | null;
  kind: ConditionKind;
  start: number;
  end: number;
  /** Why, in words: shown on hover and in the report's legend. */
  reason: string;
}

interface Open {
  kind: ConditionKind;
  start: number;
  reason: string;
  /** A pause's known end. */
  until?: number;
}

/**
 * Records, for the HTML report's timeline, when each service was rate-limited, paused or full.
 * It looks at `cue.status()` after every event (O(services), only when a report is asked for):
 * a service's condition can only change when something starts or ends, or when a window frees
 * (and then the next start happens at once if work waits, which is an event too). Works waiting
 * per service are counted from the events. Stall spells come from the stall watch
 * ({@link stallStarted}, {@link stallEnded}).
 */
export class ConditionRecorder {
  readonly conditions: Condition[] = [];
  readonly #state: SimState;
  readonly #status: () => CueStatus;
  /** The run clock's epoch ms, to read `pausedUntil`. */
  readonly #clockNow: () => number;
  readonly #elapsed: () => number;
  readonly #waiting = new Map<string, number>();
  readonly #running = new Set<string>();
  readonly #open = new Map<string | null, Open>();

  constructor(state: SimState, status: () => CueStatus, clockNow: () => number, elapsed: () => number) {
    this.#state = state;
    this.#status = status;
    this.#clockNow = clockNow;
    this.#elapsed = elapsed;
    state.onEvent((e) => this.#on(e));
  }

  /** The run was found stalled at `now`, nothing having started or finished since `since`. */
  stallStarted(since: number, kind: "waiting" | "blocked", reason: string): void {
    const current = this.#open.get(null);
    if (current !== undefined) this.#close(null, this.#elapsed());
    this.#open.set(null, { kind: kind === "waiting" ? "waiting" : "stalled", start: since, reason });
  }

  /** Work started or finished again, or the run ended. */
  stallEnded(at: number): void {
    this.#close(null, at);
  }

  /** Closes every open spell at `at` (the run's end). */
  finish(at: number): void {
    for (const key of [...this.#open.keys()]) this.#close(key, at);
  }

  #close(key: string | null, at: number): void {
    const open = this.#open.get(key);
    if (open === undefined) return;
    this.#open.delete(key);
    const end = open.until !== undefined ? Math.min(at, open.until) : at;
    if (end > open.start) this.conditions.push({ service: key, kind: open.kind, start: open.start, end, reason: open.reason });
  }

  #on(e: SimEvent): void {
    const service = this.#state.serviceOf(e.task);
    if (service !== undefined) {
      const change = (d: number): void => {
        this.#waiting.set(service, Math.max(0, (this.#waiting.get(service) ?? 0) + d));
      };
      switch (e.kind) {
        case "queued": change(1); break;
        case "started": change(-1); this.#running.add(e.id); break;
        case "retried": change(1); this.#running.delete(e.id); break;
        case "skipped": change(-1); break;
        case "completed":
        case "failed":
        case "cancelled":
          if (!this.#running.delete(e.id)) change(-1);
          break;
        default:
      }
    }
    this.#sample(e.at);
  }

  #sample(at: number): void {
    const status = this.#status();
    const epoch = this.#clockNow();
    const queued = status.queued > 0;
    for (const s of status.services) {
      const waiting = this.#waiting.get(s.name) ?? 0;
      let next: Open | undefined;
      if (s.pausedUntil > 0) {
        const until = at + (s.pausedUntil - epoch);
        next = { kind: "paused", start: at, until, reason: `paused by a RateLimited pushback for ${humanDuration(until - at)}` };
      } else if (queued && waiting > 0 && s.rates.some((r) => r.used >= r.limit)) {
        const full = s.rates.filter((r) => r.used >= r.limit).map((r) => `${r.label} (${r.used}/${r.limit} used)`).join(", ");
        next = { kind: "rate_limited", start: at, reason: `rate window full: ${full}; ${waiting} work${waiting === 1 ? "" : "s"} waiting` };
      } else if (queued && waiting > 0 && s.active >= s.concurrent) {
        next = { kind: "full", start: at, reason: `all ${s.concurrent} slots busy; ${waiting} work${waiting === 1 ? "" : "s"} waiting` };
      }
      const open = this.#open.get(s.name);
      if (open !== undefined && open.until !== undefined && at >= open.until) this.#close(s.name, open.until);
      const current = this.#open.get(s.name);
      if (current !== undefined && next !== undefined && current.kind === next.kind) {
        if (next.until !== undefined) current.until = Math.max(current.until ?? 0, next.until);
        continue;
      }
      if (current === undefined && next === undefined) continue;
      if (current !== undefined) this.#close(s.name, at);
      if (next !== undefined) this.#open.set(s.name, next);
    }
  }
}
