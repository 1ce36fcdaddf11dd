// Schedules (issue 11): periodic submission on the cue's clock. Timing, late wake-ups, clocks
// that go backwards or fire early, overlap, catch-up with staleness, pause/resume/remove,
// start/stop, previews and bad input. Cron and DST: schedule-cron.test.ts.
import { describe, expect, it } from "vitest";
import { Cue, sleep, VirtualClock, type TickEvent } from "runcue";
import { DAY, HOUR, iso, JumpClock, MINUTE, recordedCue, SECOND, T0, times } from "./schedule-helpers.js";

describe("every: ticks on exact interval boundaries, from the cue's clock", () => {
  it("every 1m over a virtual day: exactly 1440 submits, each at a minute boundary, in well under a second", async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks, runs } = recordedCue(clock);
    cue.schedule("poll", { task: "t", every: "1m" });
    const began = performance.now();
    cue.start();
    await clock.advanceTo(T0 + DAY);
    const realMs = performance.now() - began;
    expect(ticks).toHaveLength(1440);
    expect(ticks.every((e) => e.outcome === "submitted" && e.tick.late === 0 && e.tick.scheduledAt % MINUTE === 0)).toBe(true);
    expect(times(ticks)).toEqual(Array.from({ length: 1440 }, (_, i) => T0 + (i + 1) * MINUTE));
    expect(runs.map((r) => r.at)).toEqual(times(ticks));
    expect(ticks.map((e) => e.tick.index)).toEqual(Array.from({ length: 1440 }, (_, i) => i));
    expect(realMs).toBeLessThan(3000);
    await cue.stop();
  });

  it("a year of hourly ticks runs in milliseconds and lands on every hour", async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("hourly", { task: "t", every: "1h" });
    cue.start();
    await clock.advanceTo(T0 + 365 * DAY);
    expect(ticks).toHaveLength(365 * 24);
    expect(ticks.at(-1)?.tick.scheduledAt).toBe(T0 + 365 * DAY);
    expect(ticks.every((e, i) => e.tick.scheduledAt === T0 + (i + 1) * HOUR)).toBe(true);
    await cue.stop();
  });

  it("the first tick is the first boundary strictly after start (a start on a boundary does not fire it)", async () => {
    const clock = new VirtualClock(T0 + 7 * MINUTE + 30 * SECOND);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("q", { task: "t", every: "15m" });
    cue.start();
    await clock.advanceTo(T0 + HOUR);
    expect(times(ticks).map(iso)).toEqual(["2026-01-01T00:15:00.000Z", "2026-01-01T00:30:00.000Z", "2026-01-01T00:45:00.000Z", "2026-01-01T01:00:00.000Z"]);
  });

  it("startAt anchors the interval and is the first tick; endAt is exclusive; then next() is undefined", async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks } = recordedCue(clock);
    const h = cue.schedule("w", { task: "t", every: "1h", startAt: "2026-01-01T10:30:00Z", endAt: new Date("2026-01-01T13:30:00Z") });
    expect(iso(h.next())).toBe("2026-01-01T10:30:00.000Z");
    cue.start();
    await clock.advanceTo(T0 + DAY);
    expect(times(ticks).map(iso)).toEqual(["2026-01-01T10:30:00.000Z", "2026-01-01T11:30:00.000Z", "2026-01-01T12:30:00.000Z"]);
    expect(h.next()).toBeUndefined();
    expect(clock.pendingTimers).toBe(0); // finished: no timer left behind
  });

  it("limit: at most that many works, then finished", async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks } = recordedCue(clock);
    const h = cue.schedule("three", { task: "t", every: "1m", limit: 3 });
    cue.start();
    await clock.advanceTo(T0 + HOUR);
    expect(times(ticks, "submitted")).toEqual([T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
    expect(h.next()).toBeUndefined();
    expect(cue.schedules()[0]).toMatchObject({ name: "three", submitted: 3, next: undefined });
  });

  it("schedules are not pending work: idle() resolves while they wait for their next tick", async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("q", { task: "t", every: "1h" });
    cue.start();
    await clock.runUntilIdle(() => cue.idle());
    expect(ticks).toHaveLength(0);
    await clock.advanceTo(T0 + HOUR);
    expect(times(ticks)).toEqual([T0 + HOUR]);
  });
});

describe("a tick never fires early, and long waits are chunked", () => {
  it("with a clock whose timers fire 5 s early, every tick is handled at or after its time, exactly once", async () => {
    const clock = new JumpClock(T0, 5 * SECOND);
    const { cue, ticks } = recordedCue(clock);
    const handledAt: number[] = [];
    cue.on("tick", () => { handledAt.push(clock.now()); });
    cue.schedule("q", { task: "t", every: "1m" });
    cue.start();
    await clock.advanceTo(T0 + HOUR);
    expect(times(ticks)).toEqual(Array.from({ length: 60 }, (_, i) => T0 + (i + 1) * MINUTE));
    expect(handledAt).toEqual(times(ticks));
  });

  it("no timer is ever set beyond 2^31 − 1 ms: a yearly schedule re-arms in steps and fires on time", async () => {
    const clock = new JumpClock(T0);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("yearly", { task: "t", every: "365d", startAt: T0 });
    cue.start();
    await clock.advanceTo(T0 + 3 * 365 * DAY);
    expect(times(ticks)).toEqual([T0 + 365 * DAY, T0 + 2 * 365 * DAY, T0 + 3 * 365 * DAY]);
    expect(Math.max(...clock.delays)).toBeLessThanOrEqual(2 ** 31 - 1);
    // About 15 steps per year of 24.8 days, not a busy loop.
    expect(clock.delays.length).toBeLessThan(3 * 16 + 5);
  });
});

describe("late wake-ups: one submit with tick.late, unless catchUp asks for the missed ticks", () => {
  /** every 15m; the 10:00 tick runs, then the machine sleeps until 10:55. */
  async function sleepUntil1055(options: { catchUp?: string } = {}): Promise<{ ticks: TickEvent[]; clock: JumpClock; cue: Cue }> {
    const clock = new JumpClock(Date.parse("2026-01-01T09:50:00Z"));
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("q", { task: "t", every: "15m", ...options });
    cue.start();
    await clock.advanceTo(Date.parse("2026-01-01T10:00:00Z"));
    ticks.length = 0; // catch-up on start() is tested elsewhere; the 10:00 tick ran on time
    clock.jump(40 * MINUTE); // the 10:15 timer fires at 10:55
    await clock.advanceTo(Date.parse("2026-01-01T10:55:00Z"));
    return { ticks, clock, cue };
  }

  it("without catchUp: only 10:45 is submitted, 10 minutes late; then 11:00 on time", async () => {
    const { ticks, clock } = await sleepUntil1055();
    await clock.advanceTo(Date.parse("2026-01-01T11:00:00Z"));
    expect(ticks.map((e) => [iso(e.tick.scheduledAt), e.outcome, e.tick.late, e.tick.catchUp])).toEqual([
      ["2026-01-01T10:45:00.000Z", "submitted", 10 * MINUTE, false],
      ["2026-01-01T11:00:00.000Z", "submitted", 0, false],
    ]);
  });

  it('with catchUp "1h": 10:15 and 10:30 as catch-up ticks, then 10:45 late', async () => {
    const { ticks } = await sleepUntil1055({ catchUp: "1h" });
    expect(ticks.map((e) => [iso(e.tick.scheduledAt), e.outcome, e.tick.catchUp])).toEqual([
      ["2026-01-01T10:15:00.000Z", "submitted", true],
      ["2026-01-01T10:30:00.000Z", "submitted", true],
      ["2026-01-01T10:45:00.000Z", "submitted", false],
    ]);
  });

  it('with catchUp "20m": only the ticks in the window (10:45)', async () => {
    const { ticks } = await sleepUntil1055({ catchUp: "20m" });
    expect(times(ticks).map(iso)).toEqual(["2026-01-01T10:45:00.000Z"]);
  });

  it("a clock that jumps a year ahead submits one tick, found without walking every missed one", async () => {
    const clock = new JumpClock(T0);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("s", { task: "t", every: "1s" });
    cue.start();
    await clock.advanceTo(T0 + 2 * SECOND);
    clock.jump(365 * DAY);
    const began = performance.now();
    await clock.advance(SECOND);
    expect(performance.now() - began).toBeLessThan(500); // 31 million missed ticks were not enumerated
    expect(times(ticks)).toEqual([T0 + SECOND, T0 + 2 * SECOND, T0 + 365 * DAY + 3 * SECOND]);
    expect(ticks[2]?.tick.late).toBe(0);
  });
});

describe("a clock that goes backwards never fires a tick twice", () => {
  it("after the clock steps back an hour, ticks resume only once it passes the last handled tick", async () => {
    const clock = new JumpClock(T0);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("q", { task: "t", every: "1m" });
    cue.start();
    await clock.advanceTo(T0 + 10 * MINUTE);
    expect(ticks).toHaveLength(10);
    clock.jump(-HOUR);
    await clock.advance(2 * HOUR);
    const at = times(ticks);
    expect(new Set(at).size).toBe(at.length);
    expect(at.every((t, i) => i === 0 || t > (at[i - 1] as number))).toBe(true);
    // Reading 09:00 → 10:10 again fired nothing; from 00:11 on each minute once, to 01:10.
    expect(at).toEqual(Array.from({ length: 70 }, (_, i) => T0 + (i + 1) * MINUTE));
  });
});

describe("overlap", () => {
  /** A 90 s handler on every 1m, for 10 minutes; returns the most running, and the most live (pending + running), at once. */
  async function slow(overlap: "skip" | "queue" | "allow"): Promise<{ ticks: TickEvent[]; maxRunning: number; maxLive: number; starts: number[] }> {
    const clock = new VirtualClock(T0);
    const cue = new Cue({ clock });
    const starts: number[] = [];
    cue.task("slow", async (work) => {
      starts.push(clock.now());
      await sleep(cue.clock, 90 * SECOND, work.signal);
    });
    const ticks: TickEvent[] = [];
    let maxRunning = 0;
    let maxLive = 0;
    cue.on("tick", (e) => {
      ticks.push(e);
      const s = cue.status();
      maxLive = Math.max(maxLive, s.pending + s.running);
    });
    cue.on("start", () => { maxRunning = Math.max(maxRunning, cue.status().running); });
    cue.schedule("s", { task: "slow", every: "1m", overlap, limit: 20 });
    cue.start();
    await clock.advanceTo(T0 + 10 * MINUTE);
    await clock.runUntilIdle(() => cue.stop({ timeout: 0 }));
    return { ticks, maxRunning, maxLive, starts };
  }

  it('"skip" (the default): never two running; a tick while one runs coalesces into it (workId is the running one)', async () => {
    const { ticks, maxRunning, maxLive, starts } = await slow("skip");
    expect(maxRunning).toBe(1);
    expect(maxLive).toBe(1);
    const outcomes = ticks.map((e) => e.outcome);
    expect(outcomes.slice(0, 4)).toEqual(["submitted", "overlap", "submitted", "overlap"]);
    expect(ticks[1]?.workId).toBe(ticks[0]?.workId);
    expect(starts).toEqual([1, 3, 5, 7, 9].map((m) => T0 + m * MINUTE));
  });

  it('"allow": ticks submit while earlier ones run, so two run at once', async () => {
    const { ticks, maxRunning, maxLive } = await slow("allow");
    expect(maxRunning).toBe(2);
    expect(maxLive).toBe(2);
    expect(ticks.every((e) => e.outcome === "submitted")).toBe(true);
    expect(new Set(ticks.map((e) => e.workId)).size).toBe(ticks.length);
  });

  it('"queue": never two running, nothing pending behind the running one; the held tick runs as soon as it ends', async () => {
    const { ticks, maxRunning, maxLive, starts } = await slow("queue");
    expect(maxRunning).toBe(1);
    expect(maxLive).toBe(1);
    // 00:01 runs to 00:02:30; 00:02 is held and starts at 00:02:30, and so on: back to back.
    expect(starts.slice(0, 4)).toEqual([T0 + MINUTE, T0 + 150 * SECOND, T0 + 240 * SECOND, T0 + 330 * SECOND]);
    const second = ticks.find((e) => e.tick.scheduledAt === T0 + 2 * MINUTE);
    expect(second).toMatchObject({ outcome: "submitted", tick: { late: 30 * SECOND } });
  });

  it('"queue": a newer tick replaces the held one, which ends as overlap', async () => {
    const clock = new VirtualClock(T0);
    const cue = new Cue({ clock });
    cue.task("slow", async (work) => { await sleep(cue.clock, 150 * SECOND, work.signal); });
    const ticks: TickEvent[] = [];
    cue.on("tick", (e) => { ticks.push(e); });
    cue.schedule("s", { task: "slow", every: "1m", overlap: "queue" });
    cue.start();
    await clock.advanceTo(T0 + 4 * MINUTE);
    // 00:01 runs until 00:03:30; 00:02 held, replaced by 00:03, which runs at 00:03:30.
    expect(ticks.map((e) => [iso(e.tick.scheduledAt), e.outcome])).toEqual([
      ["2026-01-01T00:01:00.000Z", "submitted"],
      ["2026-01-01T00:02:00.000Z", "overlap"],
      ["2026-01-01T00:03:00.000Z", "submitted"],
    ]);
    expect(ticks[2]?.tick.late).toBe(30 * SECOND);
    await clock.runUntilIdle(() => cue.stop({ timeout: 0 }));
  });

  it('"skip" coalesces through the cue\'s dedupe key: the work carries key "schedule:<name>"', async () => {
    const clock = new VirtualClock(T0);
    const { cue, ticks } = recordedCue(clock);
    cue.schedule("keyed", { task: "t", every: "1m" });
    cue.start();
    await clock.advanceTo(T0 + MINUTE);
    const work = await cue.get(ticks[0]?.workId as string);
    expect(work?.key).toBe("schedule:keyed");
  });
});
