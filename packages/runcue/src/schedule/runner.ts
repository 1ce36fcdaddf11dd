import { toError } from "../errors.js";
import type { SubmitOptions } from "../options.js";
import { MAX_TIMER_MS, type TimerHandle } from "../time/clock.js";
import type { ScheduleHost } from "./host.js";
import type { ResolvedSchedule } from "./options.js";
import type { Tick, TickOutcome } from "./tick.js";
import { ticksBetween } from "./timing.js";

/** A key per tick: distinct ticks are distinct works, and no tick is ever submitted twice. */
function tickKey(name: string, at: number): string {
  return `schedule:${name}@${Number.isInteger(at) && Math.abs(at) <= 8.64e15 ? new Date(at).toISOString() : String(at)}`;
}

/**
 * @internal One schedule's loop on the cue's clock. It only submits work, through the host.
 *
 * The loop keeps a **watermark**: the newest moment whose ticks have all been handled. It never
 * moves back, so no tick fires twice, whatever the clock does. A timer is armed for the first
 * tick after the watermark (at most {@link MAX_TIMER_MS} ahead, so any clock's timers stay in
 * range). When it fires:
 * - before the tick is due (a timer that fired early, one step of a long wait, a clock that went
 *   back): arm again, nothing else;
 * - one tick due: handle it (`late` says by how much it is late);
 * - several due (a late wake-up: a suspended machine, a blocked loop): handle the newest once;
 *   with `catchUp`, also every other missed tick within the window (`catchUp: true`).
 *
 * `start()` moves the watermark to now, or to now − `catchUp` (ticks missed in the window are
 * handled at once as catch-up ticks). Ticks while stopped are otherwise never handled.
 *
 * Handling a tick: paused → outcome `paused`. Catch-up ticks are submitted as `allow` ticks (each
 * its own work). Otherwise by `overlap`: `allow` submits with a key per tick; `skip` submits
 * with the schedule's key, which the cue dedupes while that work is pending or running (the
 * returned id is the live work's: outcome `overlap`); `queue` holds the newest tick while the
 * current work lives, and submits it when that work ends.
 */
export class ScheduleRunner {
  readonly spec: ResolvedSchedule;
  readonly #host: ScheduleHost;
  /** The key of on-time ticks in `skip` and `queue` modes. */
  readonly #key: string;
  #active = false;
  #paused = false;
  #removed = false;
  #firing = false;
  #timer: TimerHandle = undefined;
  #armed = false;
  #watermark = -Infinity;
  #index = 0;
  #submitted = 0;
  #lastTickAt: number | undefined = undefined;
  #lastWorkId: string | undefined = undefined;
  /** The work on-time ticks overlap with: the last one they submitted. */
  #current: string | undefined = undefined;
  /** `queue` mode: the newest tick waiting for `#current` to end. It reserves one of `limit`. */
  #held: Tick | undefined = undefined;
  #watching: string | undefined = undefined;

  constructor(spec: ResolvedSchedule, host: ScheduleHost) {
    this.spec = spec;
    this.#host = host;
    this.#key = `schedule:${spec.name}`;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get removed(): boolean {
    return this.#removed;
  }

  get submitted(): number {
    return this.#submitted;
  }

  get lastTickAt(): number | undefined {
    return this.#lastTickAt;
  }

  get lastWorkId(): string | undefined {
    return this.#lastWorkId;
  }

  /** Starts ticking (the cue started, or the schedule was added to a started cue). */
  start(): void {
    if (this.#active || this.#removed) return;
    this.#active = true;
    const now = this.#host.clock.now();
    const from = this.spec.catchUpMs === undefined ? now : now - this.spec.catchUpMs;
    if (from > this.#watermark) this.#watermark = from;
    // Started again by a tick listener: the batch in progress re-arms when it ends.
    if (!this.#firing) this.#run(true);
    this.#release();
  }

  /** Stops ticking; a held `queue` tick stays held until the next start. */
  stop(): void {
    this.#active = false;
    this.#disarm();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#release();
  }

  /** Stops for good; a held tick ends with outcome `removed`. */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.stop();
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) this.#emit(this.#retimed(held), "removed", undefined);
  }

  /** The next tick this schedule will handle, or undefined when it is finished. */
  next(): number | undefined {
    if (this.#removed) return undefined;
    return this.#nextAfter(this.#from());
  }

  /** The next `count` ticks (fewer when the schedule finishes first). Pure. */
  upcoming(count: number): number[] {
    const out: number[] = [];
    if (this.#removed) return out;
    const n = Math.min(count, this.#remaining());
    for (let t: number | undefined = this.#from(); out.length < n; ) {
      t = this.spec.timing.next(t);
      if (t === undefined) break;
      out.push(t);
    }
    return out;
  }

  /** Where the next tick is looked for: the watermark, or now when stopped (a start moves it there). */
  #from(): number {
    if (this.#active) return this.#watermark;
    const now = this.#host.clock.now();
    return now > this.#watermark ? now : this.#watermark;
  }

  #remaining(): number {
    return this.spec.limit - this.#submitted - (this.#held === undefined ? 0 : 1);
  }

  #nextAfter(t: number): number | undefined {
    return this.#remaining() > 0 ? this.spec.timing.next(t) : undefined;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armed = false;
    this.#run(false);
  };

  #disarm(): void {
    if (this.#armed) this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armed = false;
  }

  #arm(): void {
    this.#disarm();
    if (!this.#active || this.#removed) return;
    const due = this.#nextAfter(this.#watermark);
    if (due === undefined) return;
    const wait = due - this.#host.clock.now();
    this.#timer = this.#host.clock.setTimeout(this.#fire, wait <= 0 ? 0 : Math.min(wait, MAX_TIMER_MS));
    this.#armed = true;
  }

  #run(atStart: boolean): void {
    if (!this.#active || this.#removed) return;
    const now = this.#host.clock.now();
    const due = this.#nextAfter(this.#watermark);
    if (due !== undefined && due <= now) {
      this.#firing = true;
      try {
        this.#handleDue(now, atStart);
      } finally {
        this.#firing = false;
      }
    }
    this.#arm();
  }

  /** Handles the ticks in (watermark, now] as the class comment says, oldest first. */
  #handleDue(now: number, atStart: boolean): void {
    const { spec } = this;
    const remaining = this.#remaining();
    let ticks: number[];
    if (spec.catchUpMs === undefined) {
      ticks = atStart ? [] : ticksBetween(spec.timing, this.#watermark, now, 1);
    } else {
      const lo = Math.max(this.#watermark, now - spec.catchUpMs);
      ticks = ticksBetween(spec.timing, lo, now, Math.min(spec.catchUpMax, remaining));
      // Missed ticks all older than the window: the newest still runs once, as without catch-up.
      if (ticks.length === 0 && !atStart) ticks = ticksBetween(spec.timing, this.#watermark, now, 1);
    }
    for (let i = 0; i < ticks.length; i++) {
      if (this.#remaining() <= 0) break;
      const at = ticks[i] as number;
      this.#watermark = at;
      this.#lastTickAt = at;
      this.#handle({ scheduledAt: at, index: this.#index++, late: now - at, catchUp: atStart || i < ticks.length - 1 });
      // A tick listener stopped or removed the schedule: the rest stay unhandled.
      if (!this.#active || this.#removed) return;
    }
  }

  #handle(tick: Tick): void {
    if (this.#paused) {
      this.#emit(tick, "paused", undefined);
      return;
    }
    const mode = tick.catchUp ? "allow" : this.spec.overlap;
    if (mode === "allow") {
      this.#submit(tick, tickKey(this.spec.name, tick.scheduledAt));
    } else if (mode === "queue" && this.#isLive(this.#current)) {
      if (this.#held !== undefined) this.#emit(this.#held, "overlap", undefined);
      this.#held = tick;
      this.#watch(this.#current as string);
    } else {
      this.#submit(tick, this.#key);
    }
  }

  #submit(tick: Tick, key: string): void {
    let id: string;
    try {
      const params = this.spec.params(tick);
      const options: SubmitOptions = { key };
      if (this.spec.jitterMs > 0) options.delay = this.#host.random() * this.spec.jitterMs;
      id = this.#host.submit(this.spec.task, params, options);
    } catch (error) {
      this.#emit(tick, "error", undefined, toError(error, `params of schedule "${this.spec.name}"`));
      return;
    }
    if (key === this.#key && id === this.#current) {
      // The cue's key dedupe returned the live work: this tick coalesced into it.
      this.#emit(tick, "overlap", id);
      return;
    }
    this.#submitted++;
    this.#lastWorkId = id;
    if (key === this.#key) this.#current = id;
    this.#emit(tick, "submitted", id);
  }

  #isLive(id: string | undefined): boolean {
    if (id === undefined) return false;
    const state = this.#host.stateOf(id);
    return state === "pending" || state === "running";
  }

  /** `queue` mode: be told when `id` ends (once per work). */
  #watch(id: string): void {
    if (this.#watching === id) return;
    this.#watching = id;
    this.#host.whenFinished(id, () => {
      if (this.#watching === id) this.#watching = undefined;
      this.#release();
    });
  }

  /** `queue` mode: the current work ended (or the schedule started or resumed): submit the held tick. */
  #release(): void {
    const held = this.#held;
    if (held === undefined || this.#removed) return;
    if (this.#isLive(this.#current)) {
      this.#watch(this.#current as string);
      return;
    }
    if (!this.#active) return; // submitted on the next start()
    this.#held = undefined;
    const tick = this.#retimed(held);
    if (this.#paused) this.#emit(tick, "paused", undefined);
    else this.#submit(tick, this.#key);
    // A held tick reserved the last of `limit`; if it went unused, ticks are due again.
    if (!this.#armed && this.#active) this.#arm();
  }

  #retimed(tick: Tick): Tick {
    return { ...tick, late: this.#host.clock.now() - tick.scheduledAt };
  }

  #emit(tick: Tick, outcome: TickOutcome, workId: string | undefined, error?: Error): void {
    const name = this.spec.name;
    const heard = this.#host.emit(error === undefined ? { schedule: name, tick, outcome, workId } : { schedule: name, tick, outcome, workId, error });
    if (!heard && error !== undefined) {
      console.warn(`runcue: schedule "${name}" tick at ${new Date(tick.scheduledAt).toISOString()} submitted nothing: ${error.message}`);
    }
  }
}
