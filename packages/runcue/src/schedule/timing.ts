import { InternalError } from "../errors.js";

/**
 * @internal When a schedule's ticks fall. `next(after)` is pure: the first tick strictly after
 * `after` (epoch ms), or undefined when there is none. Every question a schedule asks about
 * time goes through it, so an interval, a cron expression and a window all answer alike.
 */
export interface Timing {
  next(after: number): number | undefined;
}

/**
 * Ticks every `intervalMs`, on the lattice `anchor + k × intervalMs` (k any integer): the same
 * instants whenever the cue starts, so a restart recomputes the ticks it missed exactly. No
 * time zone, so no daylight saving: an interval is absolute.
 */
export function everyTiming(intervalMs: number, anchor: number): Timing {
  return {
    next(after) {
      let k = Math.floor((after - anchor) / intervalMs) + 1;
      if (!Number.isFinite(k)) return undefined;
      // Division rounds: make sure the tick is strictly after `after`.
      while (anchor + k * intervalMs <= after) k++;
      return anchor + k * intervalMs;
    },
  };
}

/** Limits a timing to ticks in `[startAt, endAt)`. */
export function windowed(inner: Timing, startAt: number, endAt: number): Timing {
  if (startAt === -Infinity && endAt === Infinity) return inner;
  return {
    next(after) {
      // From just before startAt, so a tick exactly at startAt is the first.
      let t = inner.next(after < startAt ? startAt - 1 : after);
      while (t !== undefined && t < startAt) t = inner.next(t);
      return t === undefined || t >= endAt ? undefined : t;
    },
  };
}

/**
 * Remembers the last two answers. A runner asks the same questions in a row (the due tick when
 * its timer fires, the one after it to check nothing else is due, and that one again to arm the
 * next timer), and a cron expression in a time zone costs tens of microseconds per answer.
 */
export function memoized(inner: Timing): Timing {
  let a = Number.NaN;
  let aNext: number | undefined;
  let b = Number.NaN;
  let bNext: number | undefined;
  return {
    next(after) {
      if (after === a) return aNext;
      if (after === b) return bNext;
      const t = inner.next(after);
      b = a;
      bNext = aNext;
      a = after;
      aNext = t;
      return t;
    },
  };
}

/** The ticks in `(from, to]`, ascending, keeping only the newest `max`. */
function collect(timing: Timing, from: number, to: number, max: number): number[] {
  const ticks: number[] = [];
  let after = from;
  for (;;) {
    const t = timing.next(after);
    if (t === undefined || t > to) return ticks;
    if (!(t > after)) throw new InternalError(`schedule timing went backwards: next(${after}) gave ${t}`);
    ticks.push(t);
    if (ticks.length > max) ticks.shift();
    after = t;
  }
}

/**
 * The ticks in `(lo, hi]`, ascending: all of them, or only the newest `max`. For a finite `max`
 * it searches back from `hi` in doubling spans, so a clock that jumped a year ahead costs a few
 * dozen `next` calls, not one per missed tick.
 */
export function ticksBetween(timing: Timing, lo: number, hi: number, max: number): number[] {
  if (!(hi > lo) || max <= 0) return [];
  if (max === Infinity) return collect(timing, lo, hi, max);
  // The usual case, a timer firing on time: one tick in the range, found in two calls.
  const first = timing.next(lo);
  if (first === undefined || first > hi) return [];
  const second = timing.next(first);
  if (second === undefined || second > hi) return [first];
  for (let span = 1; ; span *= 2) {
    const from = hi - span > lo ? hi - span : lo;
    const ticks = collect(timing, from, hi, max);
    if (ticks.length >= max || from === lo) return ticks;
  }
}
