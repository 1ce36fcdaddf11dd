// Schedules (issue 11), continued: catch-up with staleness, pause/resume/remove, start/stop,
// previews, params and jitter, the tick event, and bad input.
import { describe, expect, it, vi } from "vitest";
import { ConfigurationError, Cue, sleep, VirtualClock, type TickEvent, type Work } from "runcue";
import { DAY, HOUR, iso, MINUTE, recordedCue, SECOND, T0, times } from "./schedule-helpers.js";

describe("catchUp: on start(), the ticks missed in the window are submitted, and staleness skips those done", () => {
  it("48 missed hourly ticks with outputs for 40 of them: 48 submits, 8 handler runs, 40 skips", async () => {
    const clock = new VirtualClock(T0 + 48 * HOUR + 20 * MINUTE);
    const cue = new Cue({ clock });
    const done = new Set<number>();
    for (let h = 1; h <= 48; h++) if (h % 6 !== 0) done.add(T0 + h * HOUR); // 8 hours lack their output
    const ran: number[] = [];
    const report = cue.task("report", { stale: (w: Work<{ hour: number }>) => !done.has(w.params.hour) }, (w: Work<{ hour: number }>) => {
      ran.push(w.params.hour);
      done.add(w.params.hour);
    });
    let skips = 0;
    cue.onSkip(() => { skips++; });
    const ticks: TickEvent[] = [];
    cue.on("tick", (e) => { ticks.push(e); });
    cue.schedule("hourly", { task: report, every: "1h", catchUp: "48h", params: (tick) => ({ hour: tick.scheduledAt }) });
    cue.start();
    await clock.runUntilIdle(() => cue.idle());
    expect(ticks).toHaveLength(48);
    expect(ticks.every((e) => e.outcome === "submitted" && e.tick.catchUp)).toBe(true);
    expect(times(ticks)).toEqual(Array.from({ length: 48 }, (_, i) => T0 + (i + 1) * HOUR));
    expect(ran).toEqual([6, 12, 18, 24, 30, 36, 42, 48].map((h) => T0 + h * HOUR));
    expect(skips).toBe(40);
    // Each catch-up tick is its own work, with a key per tick.
    expect((await cue.get(ticks[0]?.workId as string))?.key).toBe("schedule:hourly@2026-01-01T01:00:00.000Z");
    await cue.stop();
  });

  it("catchUp { within, max } submits only the newest max missed ticks", async () => {
    const clock = new VirtualClock(T0 + 10 * HOUR);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("h", { task: "t", every: "1h", catchUp: { within: "1d", max: 3 } });
    cue.start();
    expect(times(ticks)).toEqual([8, 9, 10].map((h) => T0 + h * HOUR));
    expect(ticks.map((e) => e.tick.late)).toEqual([2 * HOUR, HOUR, 0]);
  });

  it("without catchUp, start() submits nothing for ticks before it", async () => {
    const clock = new VirtualClock(T0 + 10 * HOUR + MINUTE);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("h", { task: "t", every: "1h", startAt: T0 });
    cue.start();
    await clock.advanceTo(T0 + 11 * HOUR);
    expect(times(ticks)).toEqual([T0 + 11 * HOUR]);
  });
});

describe("start() and stop()", () => {
  it("no tick while stopped; a restart goes on from the first tick after it; ticks handled before the stop never repeat", async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("m", { task: "t", every: "10m", catchUp: "15m" });
    cue.start();
    await clock.advanceTo(T0 + 30 * MINUTE);
    await cue.stop();
    await clock.advanceTo(T0 + 2 * HOUR + 5 * MINUTE);
    // The first start caught up 23:50 and 00:00 (within 15 minutes), then 00:10 to 00:30 on time.
    expect(times(ticks)).toEqual([-10, 0, 10, 20, 30].map((m) => T0 + m * MINUTE));
    expect(ticks.map((e) => e.tick.catchUp)).toEqual([true, true, false, false, false]);
    cue.start(); // at 02:05: catches up 02:00 (within 15 min), not 00:40 to 01:50
    await clock.advanceTo(T0 + 2 * HOUR + 10 * MINUTE);
    expect(times(ticks).slice(5)).toEqual([T0 + 2 * HOUR, T0 + 2 * HOUR + 10 * MINUTE]);
    expect(ticks[5]?.tick.catchUp).toBe(true);
    await cue.stop();
    cue.start(); // at 02:10 again: 02:00 and 02:10 were handled, the window has nothing new
    await clock.advance(MINUTE);
    expect(ticks).toHaveLength(7);
  });

  it("a schedule added to a started cue starts at once; one added before start() waits for it", async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("before", { task: "t", every: "1m" });
    await clock.advanceTo(T0 + 5 * MINUTE);
    expect(ticks).toHaveLength(0);
    cue.start();
    cue.schedule("after", { task: "t", every: "1m" });
    await clock.advanceTo(T0 + 6 * MINUTE);
    expect(ticks.map((e) => e.schedule).sort()).toEqual(["after", "before"]);
  });

  it("a tick listener that stops the cue stops the catch-up batch after that tick", async () => {
    const clock = new VirtualClock(T0 + 5 * HOUR);
    const { cue, ticks } = recordedCue(clock);
    cue.on("tick", (e) => {
      if (e.tick.index === 1) void cue.stop();
    });
    cue.schedule("h", { task: "t", every: "1h", catchUp: "1d" });
    cue.start();
    expect(ticks).toHaveLength(2);
    await clock.advance(DAY);
    expect(ticks).toHaveLength(2);
  });
});

describe("pause, resume, remove", () => {
  it("paused ticks come due on time but submit nothing (outcome paused); resume submits the next", async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks, runs } = recordedCue(clock);
    const h = cue.schedule("m", { task: "t", every: "1m" });
    cue.start();
    await clock.advanceTo(T0 + MINUTE);
    expect(h.pause()).toBe(h);
    expect(h.paused).toBe(true);
    expect(cue.schedules()[0]?.paused).toBe(true);
    await clock.advanceTo(T0 + 3 * MINUTE);
    h.resume();
    await clock.advanceTo(T0 + 4 * MINUTE);
    expect(ticks.map((e) => e.outcome)).toEqual(["submitted", "paused", "paused", "submitted"]);
    expect(ticks[1]?.workId).toBeUndefined();
    expect(runs).toHaveLength(2);
  });

  it("remove(): no more ticks, next() undefined, gone from schedules(), the name is free; pause after it throws", async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks } = recordedCue(clock);
    const h = cue.schedule("m", { task: "t", every: "1m" });
    cue.start();
    await clock.advanceTo(T0 + MINUTE);
    h.remove();
    h.remove(); // harmless
    await clock.advanceTo(T0 + HOUR);
    expect(ticks).toHaveLength(1);
    expect(h.next()).toBeUndefined();
    expect(h.upcoming(3)).toEqual([]);
    expect(cue.schedules()).toEqual([]);
    expect(() => h.pause()).toThrow(/Cannot pause schedule "m": it was removed/);
    expect(() => h.resume()).toThrow(ConfigurationError);
    cue.schedule("m", { task: "t", every: "1h" });
    expect(cue.schedules().map((s) => s.every)).toEqual([HOUR]);
  });

  it('remove() while a "queue" tick waits its turn ends that tick as removed', async () => {
    const clock = new VirtualClock(T0);
    const cue = new Cue({ clock });
    cue.task("slow", async (w) => { await sleep(cue.clock, 5 * MINUTE, w.signal); });
    const ticks: TickEvent[] = [];
    cue.on("tick", (e) => { ticks.push(e); });
    const h = cue.schedule("q", { task: "slow", every: "1m", overlap: "queue" });
    cue.start();
    await clock.advanceTo(T0 + 2 * MINUTE);
    h.remove();
    expect(ticks.map((e) => e.outcome)).toEqual(["submitted", "removed"]);
    await clock.runUntilIdle(() => cue.idle());
    expect(cue.status().pending).toBe(0);
  });
});

describe("next(), upcoming() and schedules()", () => {
  it("upcoming(5) equals the next five ticks as they fire; next() is the first", async () => {
    const clock = new VirtualClock(T0 + 17 * SECOND);
    const { cue, ticks } = recordedCue(clock);
    const h = cue.schedule("m", { task: "t", every: "7m", limit: 12 });
    const preview = h.upcoming(5);
    expect(h.next()).toBe(preview[0]);
    cue.start();
    await clock.advanceTo(preview[4] as number);
    expect(times(ticks)).toEqual(preview);
    expect(h.upcoming(100)).toHaveLength(7); // the limit leaves 7
    expect(() => h.upcoming(-1)).toThrow(/Invalid count for upcoming\(\) of schedule "m": -1/);
  });

  it("schedules() lists each with its next tick, last tick and last submitted work id", async () => {
    const clock = new VirtualClock(T0);
    const { cue } = recordedCue(clock);
    cue.schedule("a", { task: "t", every: "1h", overlap: "allow" });
    cue.schedule("b", { task: "t", every: "30m" });
    cue.start();
    await clock.advanceTo(T0 + HOUR);
    expect(cue.schedules()).toEqual([
      { name: "a", task: "t", every: HOUR, cron: undefined, tz: undefined, overlap: "allow", next: T0 + 2 * HOUR, lastTick: T0 + HOUR, lastWorkId: "2", submitted: 1, paused: false },
      { name: "b", task: "t", every: 30 * MINUTE, cron: undefined, tz: undefined, overlap: "skip", next: T0 + 90 * MINUTE, lastTick: T0 + HOUR, lastWorkId: "3", submitted: 2, paused: false },
    ]);
  });
});

describe("params, jitter and the tick event", () => {
  it("params is a function of the tick, or a value; the work gets it", async () => {
    const clock = new VirtualClock(T0);
    const { cue, runs } = recordedCue(clock);
    cue.schedule("f", { task: "t", every: "1m", params: (tick) => ({ at: iso(tick.scheduledAt), n: tick.index }), limit: 2 });
    cue.schedule("v", { task: "t", every: "1m", params: { region: "eu" }, limit: 1 });
    cue.start();
    await clock.advanceTo(T0 + 3 * MINUTE);
    expect(runs.map((r) => r.params)).toEqual([{ at: "2026-01-01T00:01:00.000Z", n: 0 }, { region: "eu" }, { at: "2026-01-01T00:02:00.000Z", n: 1 }]);
  });

  it("params are type-checked against the task handle", () => {
    const cue = new Cue({ clock: new VirtualClock(T0) });
    const fetchPage = cue.task("fetch", (w: Work<{ page: number }>) => w.params.page);
    cue.schedule("ok", { task: fetchPage, every: "1m", params: (tick) => ({ page: tick.index }) });
    // @ts-expect-error: the handle's params are { page: number }
    cue.schedule("bad", { task: fetchPage, every: "1m", params: { pages: 1 } });
  });

  it("jitter delays each tick's work by random() × jitter, from the cue's random source", async () => {
    const clock = new VirtualClock(T0);
    const { cue, runs, ticks } = recordedCue(clock, { random: () => 0.25 });
    cue.schedule("j", { task: "t", every: "1m", jitter: "20s", limit: 2 });
    cue.start();
    await clock.advanceTo(T0 + 3 * MINUTE);
    expect(runs.map((r) => r.at)).toEqual([T0 + MINUTE + 5 * SECOND, T0 + 2 * MINUTE + 5 * SECOND]);
    expect(times(ticks)).toEqual([T0 + MINUTE, T0 + 2 * MINUTE]);
  });

  it("params that throw: outcome error with the error, the schedule goes on; unheard, one console.warn line", async () => {
    const clock = new VirtualClock(T0);
    const cue = new Cue({ clock });
    cue.task("t", () => 1);
    const boom = new Error("no params today");
    cue.schedule("p", { task: "t", every: "1m", params: (tick) => { if (tick.index === 0) throw boom; return {}; } });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      cue.start();
      await clock.advanceTo(T0 + MINUTE);
      expect(warn).toHaveBeenCalledWith('runcue: schedule "p" tick at 2026-01-01T00:01:00.000Z submitted nothing: no params today');
      const next = cue.once("tick");
      await clock.advanceTo(T0 + 2 * MINUTE);
      expect(await next).toMatchObject({ outcome: "submitted" });
      const heard: TickEvent[] = [];
      cue.on("tick", (e) => { heard.push(e); });
      cue.schedule("q", { task: "t", every: "1m", params: () => { throw boom; } });
      await clock.advanceTo(T0 + 3 * MINUTE);
      expect(heard.find((e) => e.schedule === "q")).toEqual({ schedule: "q", tick: { scheduledAt: T0 + 3 * MINUTE, index: 0, late: 0, catchUp: false }, outcome: "error", workId: undefined, error: boom });
      expect(warn).toHaveBeenCalledTimes(1); // the second error was heard
    } finally {
      warn.mockRestore();
    }
  });
});

describe("bad input is a ConfigurationError at schedule() naming the value", () => {
  const cue = new Cue({ clock: new VirtualClock(T0) });
  cue.task("t", () => 1);
  const cases: [string, unknown, RegExp][] = [
    ["every: 0", { task: "t", every: 0 }, /Invalid duration for every of schedule "x": "?0"? \(must be greater than zero\)/],
    ["every: malformed", { task: "t", every: "5 minutes" }, /Invalid duration for every of schedule "x": "5 minutes"/],
    ["neither every nor cron", { task: "t" }, /neither every nor cron given/],
    ["both every and cron", { task: "t", every: "1m", cron: "* * * * *" }, /both every and cron given/],
    ["an unknown task", { task: "nope", every: "1m" }, /Unknown task: "nope" for schedule "x" \(registered: "t"/],
    ["a task that is not a name or handle", { task: 42, every: "1m" }, /Invalid task for schedule "x": 42/],
    ["tz without cron", { task: "t", every: "1m", tz: "Europe/Berlin" }, /Invalid tz for schedule "x": "Europe\/Berlin" \(tz applies to cron only/],
    ["an unknown overlap", { task: "t", every: "1m", overlap: "drop" }, /Invalid overlap for schedule "x": "drop"/],
    ["a misspelled option", { task: "t", every: "1m", catchup: "1h" }, /Unknown option "catchup".*did you mean "catchUp"/],
    ["catchUp 0", { task: "t", every: "1m", catchUp: 0 }, /catchUp of schedule "x"/],
    ["catchUp without within", { task: "t", every: "1m", catchUp: { max: 3 } }, /within is required/],
    ["catchUp max 0", { task: "t", every: "1m", catchUp: { within: "1h", max: 0 } }, /Invalid catchUp.max of schedule "x": 0/],
    ["limit 1.5", { task: "t", every: "1m", limit: 1.5 }, /Invalid limit of schedule "x": 1.5/],
    ["an unparsable startAt", { task: "t", every: "1m", startAt: "next tuesday" }, /Invalid startAt of schedule "x": "next tuesday"/],
    ["endAt before startAt", { task: "t", every: "1m", startAt: T0 + HOUR, endAt: T0 }, /Invalid endAt of schedule "x": 1767225600000 \(must be after startAt/],
    ["negative jitter", { task: "t", every: "1m", jitter: -1 }, /Invalid duration for jitter of schedule "x": -1/],
    ["no options", undefined, /Missing options for schedule "x"/],
  ];
  for (const [what, options, message] of cases) {
    it(what, () => {
      expect(() => cue.schedule("x", options as never)).toThrow(ConfigurationError);
      expect(() => cue.schedule("x", options as never)).toThrow(message);
    });
  }

  it("a bad or duplicate name", () => {
    expect(() => cue.schedule("", { task: "t", every: "1m" })).toThrow(/Invalid schedule name: ""/);
    cue.schedule("dup", { task: "t", every: "1m" });
    expect(() => cue.schedule("dup", { task: "t", every: "1h" })).toThrow(/Schedule "dup" already exists/);
  });
});
