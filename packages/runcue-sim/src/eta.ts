import type { CueStatus } from "runcue";
import type { SimEvent } from "./events.js";
import type { SimState } from "./state.js";

/** A service's limits as the ETA needs them. */
interface Limits {
  concurrent: number;
  windows: readonly { limit: number; intervalMs: number }[];
}

interface TaskCounts {
  submitted: number;
  ended: number;
}

/**
 * Predicts how long a run has left from the services' limits and the work that remains, not
 * from the recent throughput (which knows nothing of a rate window that is about to close: the
 * old simulator showed `ETA 4.44s` above `nothing can start for 54.3s`).
 *
 * For each service: the starts it still has to make (the scenario's plan per task, less the
 * works that ended and those running), the mean length of its attempts so far, and:
 * - its concurrency: running works end one mean length after they started, and the remaining
 *   starts fill the slots as they free (equal lengths);
 * - each rate window: the starts it made in the window ending now leave it one interval after
 *   they were made, so the k-th future start is at the (k mod limit)-th freeing plus
 *   ⌊k / limit⌋ intervals (a sliding window repeats its pattern every interval);
 * - a pushback pause delays every start to its end.
 * The run's ETA is the slowest service's. It ignores that a later stage waits for an earlier
 * one (a lower bound when stages are sequential) and it is none when the run is blocked (only
 * not-ready work left: it may never end).
 */
export class EtaModel {
  readonly #state: SimState;
  readonly #fallbackMs: number;
  readonly #limits = new Map<string, Limits>();
  readonly #tasks = new Map<string, TaskCounts>();
  /** Per service, start times (ms since the run started) within its longest rate window, oldest first. */
  readonly #starts = new Map<string, number[]>();
  /** Per work running, when its attempt started. */
  readonly #running = new Map<string, { service: string; at: number }>();
  /** When the last initial submission is due (ms since the run started), with `--submit-rate`. */
  #lastSubmitAt = 0;

  /**
   * @param fallbackMs the attempt length assumed for a service none of whose attempts ended yet
   * (the configured base latency).
   */
  constructor(state: SimState, fallbackMs: number) {
    this.#state = state;
    this.#fallbackMs = fallbackMs;
    state.onEvent((e) => this.#on(e));
  }

  /** Registers the services' limits (from `cue.status()` once the scenario set them up). */
  setLimits(status: CueStatus): void {
    for (const s of status.services) {
      this.#limits.set(s.name, { concurrent: s.concurrent, windows: s.rates.map((r) => ({ limit: r.limit, intervalMs: r.intervalMs })) });
      if (s.rates.length > 0) this.#starts.set(s.name, []);
    }
  }

  /** The initial submissions are paced: the last is due at `at` (ms since the run started). */
  setLastSubmission(at: number): void {
    this.#lastSubmitAt = at;
  }

  #task(name: string): TaskCounts {
    let t = this.#tasks.get(name);
    if (t === undefined) {
      t = { submitted: 0, ended: 0 };
      this.#tasks.set(name, t);
    }
    return t;
  }

  #on(e: SimEvent): void {
    switch (e.kind) {
      case "queued":
        this.#task(e.task).submitted++;
        return;
      case "started": {
        const service = this.#state.serviceOf(e.task);
        if (service === undefined) return;
        this.#running.set(e.id, { service, at: e.at });
        const log = this.#starts.get(service);
        if (log === undefined) return;
        log.push(e.at);
        const longest = Math.max(...(this.#limits.get(service)?.windows.map((w) => w.intervalMs) ?? [0]));
        let drop = 0;
        while (drop < log.length && (log[drop] as number) <= e.at - longest) drop++;
        if (drop > 0) log.splice(0, drop);
        return;
      }
      case "retried":
        this.#running.delete(e.id);
        return;
      case "completed":
      case "failed":
      case "skipped":
      case "cancelled":
        this.#running.delete(e.id);
        this.#task(e.task).ended++;
        return;
      default:
    }
  }

  /**
   * Milliseconds left, or undefined when it cannot be known: only not-ready work is left with
   * nothing running, queued or timed (it may never become ready), or a service with work left
   * is unknown.
   * @param now ms since the run started. @param pauseLeft ms each service stays paused by a pushback.
   */
  estimate(now: number, status: CueStatus, pauseLeft: (service: string) => number): number | undefined {
    const remaining = new Map<string, number>();
    let listed = 0;
    for (const task of new Set([...this.#tasks.keys(), ...this.#state.plannedTasks()])) {
      const service = this.#state.serviceOf(task);
      if (service === undefined) continue;
      const t = this.#tasks.get(task) ?? { submitted: 0, ended: 0 };
      const left = Math.max(0, Math.max(this.#state.plannedFor(task) ?? 0, t.submitted) - t.ended);
      remaining.set(service, (remaining.get(service) ?? 0) + left);
      listed += left;
    }
    const total = this.#state.expected - this.#state.done;
    if (total <= 0) return 0;
    if (status.running === 0 && status.queued === 0 && status.delayed === 0 && status.checking === 0 && status.blocked > 0) return undefined;
    // Works the scenario planned without naming a task: spread over the services as submitted so far.
    const unassigned = total - listed;
    if (unassigned > 0 && listed > 0) {
      for (const [service, left] of remaining) remaining.set(service, left + (unassigned * left) / listed);
    }

    let eta = 0;
    const active = new Map(status.services.map((s) => [s.name, s.active]));
    for (const [service, left] of remaining) {
      if (left <= 0) continue;
      const limits = this.#limits.get(service);
      if (limits === undefined) return undefined;
      const mean = this.#meanAttemptMs(service);
      const running = [...this.#running.values()].filter((r) => r.service === service).map((r) => Math.max(now, r.at + mean));
      const starts = Math.max(0, Math.ceil(left) - (active.get(service) ?? running.length));
      const pause = Math.max(0, pauseLeft(service));
      let end = running.length > 0 ? Math.max(...running) : now;
      if (starts > 0) {
        end = Math.max(end, this.#slotsEnd(limits.concurrent, running, starts, mean, now + pause));
        for (const w of limits.windows) end = Math.max(end, this.#windowEnd(service, w, starts, now, pause) + mean);
      }
      eta = Math.max(eta, end - now);
    }
    // Paced submissions: the last one is still to come, and then it has to run.
    if (this.#lastSubmitAt > now) eta = Math.max(eta, this.#lastSubmitAt - now + this.#fallbackMs);
    return eta;
  }

  /** Mean attempt length on `service` so far, or the fallback. */
  #meanAttemptMs(service: string): number {
    const t = this.#state.services.find((s) => s.name === service);
    const attempts = t === undefined ? 0 : t.completed + t.failed + t.retried;
    return t !== undefined && attempts > 0 ? t.busyMs / attempts : this.#fallbackMs;
  }

  /** When the last of `starts` more attempts of `mean` ms ends, given `concurrent` slots that free at `running` ends. */
  #slotsEnd(concurrent: number, running: readonly number[], starts: number, mean: number, from: number): number {
    if (!Number.isFinite(concurrent)) return from + mean;
    // More slots than works to place change nothing (and a huge -c must not cost a huge array).
    const slots = Math.max(1, Math.min(concurrent, starts + running.length));
    const free = [...running.map((t) => Math.max(t, from))].sort((a, b) => a - b).slice(0, slots);
    while (free.length < slots) free.unshift(from);
    free.sort((a, b) => a - b);
    let end = from;
    // Starts go to the slots round-robin in the order they free: slot k takes starts k, k + slots, ...
    for (let k = 0; k < Math.min(slots, starts); k++) {
      const n = Math.floor((starts - 1 - k) / slots) + 1;
      end = Math.max(end, (free[k] as number) + n * mean);
    }
    return end;
  }

  /** When the last of `starts` more starts can be made under window `w` (sliding: its pattern repeats every interval). */
  #windowEnd(service: string, w: { limit: number; intervalMs: number }, starts: number, now: number, pause: number): number {
    const log = this.#starts.get(service) ?? [];
    const inWindow = log.filter((t) => t > now - w.intervalMs).slice(-w.limit);
    // Slot k frees at freeAt[k]: the free ones now, the used ones an interval after their start.
    const freeAt = [...new Array<number>(w.limit - inWindow.length).fill(now), ...inWindow.map((t) => t + w.intervalMs)];
    const last = starts - 1;
    const at = (freeAt[last % w.limit] as number) + Math.floor(last / w.limit) * w.intervalMs;
    return Math.max(at, now + pause);
  }
}
