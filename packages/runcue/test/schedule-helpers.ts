// Clocks that misbehave on purpose, and a cue with a recorded schedule, for the schedule tests.
import { Cue, VirtualClock, type Clock, type CueOptions, type TickEvent, type TimerHandle } from "runcue";

/** 2026-01-01T00:00:00Z: a Thursday, far from any DST change in Europe. */
export const T0 = Date.parse("2026-01-01T00:00:00Z");
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

/**
 * A clock over a {@link VirtualClock} whose reading can jump: `jump(ms)` moves what `now()` says
 * (forward, as after a suspended machine, or backward, as after an NTP correction) while timers
 * keep firing after the real (virtual) delay they were set with. Optionally every timer longer
 * than `earlyMs` fires that much early, as a coarse timer wheel might.
 */
export class JumpClock implements Clock {
  readonly virtual: VirtualClock;
  offset = 0;
  /** Every `setTimeout` delay asked for, in order. */
  readonly delays: number[] = [];
  readonly #earlyMs: number;

  constructor(start = T0, earlyMs = 0) {
    this.virtual = new VirtualClock(start);
    this.#earlyMs = earlyMs;
  }

  now(): number {
    return this.virtual.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.delays.push(ms);
    return this.virtual.setTimeout(fn, ms > this.#earlyMs ? ms - this.#earlyMs : ms);
  }

  clearTimeout(handle: TimerHandle): void {
    this.virtual.clearTimeout(handle);
  }

  jump(ms: number): void {
    this.offset += ms;
  }

  /** Fires timers until the clock's reading reaches `time`. */
  advanceTo(time: number): Promise<void> {
    return this.virtual.advanceTo(time - this.offset);
  }

  advance(ms: number): Promise<void> {
    return this.virtual.advance(ms);
  }
}

/** A cue on `clock` with a task `t` (a handler that records its start times) and every `tick` event recorded. */
export function recordedCue(clock: Clock = new VirtualClock(T0), options: Omit<CueOptions, "clock"> = {}): {
  cue: Cue;
  ticks: TickEvent[];
  /** The times handlers of `t` started, with their params. */
  runs: { at: number; params: unknown }[];
} {
  const cue = new Cue({ ...options, clock });
  const ticks: TickEvent[] = [];
  const runs: { at: number; params: unknown }[] = [];
  cue.task("t", (work) => {
    runs.push({ at: cue.clock.now(), params: work.params });
  });
  cue.on("tick", (event) => {
    ticks.push(event);
  });
  return { cue, ticks, runs };
}

/** The `scheduledAt` of each tick event with this outcome (all when none given). */
export function times(ticks: readonly TickEvent[], outcome?: TickEvent["outcome"]): number[] {
  return ticks.filter((t) => outcome === undefined || t.outcome === outcome).map((t) => t.tick.scheduledAt);
}
