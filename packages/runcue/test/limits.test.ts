import { describe, expect, it } from "vitest";
import { sleep, type Work } from "runcue";
import { maxInWindow, virtualCue } from "./helpers.js";


describe("concurrency", () => {
  it("never more than `concurrent` running per service", async () => {
    const { cue, clock } = virtualCue();
    cue.service("knife", { concurrent: 3 });
    let running = 0;
    let peak = 0;
    cue.task("cut", { uses: "knife" }, async (w: Work<number>) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(cue.clock, 10 + (w.params % 7));
      running--;
    });
    cue.start();
    for (let i = 0; i < 50; i++) await cue.submit("cut", i);
    await clock.runUntilIdle(() => cue.idle());
    expect(peak).toBe(3);
  });

  it("a task using several services holds a slot in each", async () => {
    const { cue, clock } = virtualCue();
    cue.service("a", { concurrent: 2 });
    cue.service("b", { concurrent: 1 });
    const active = { a: 0, b: 0 };
    const peak = { a: 0, b: 0 };
    const track = (names: ("a" | "b")[], d: number): void => {
      for (const n of names) {
        active[n] += d;
        peak[n] = Math.max(peak[n], active[n]);
      }
    };
    cue.task("ab", { uses: ["a", "b"] }, async () => { track(["a", "b"], 1); await sleep(cue.clock, 10); track(["a", "b"], -1); });
    cue.task("onlyA", { uses: "a" }, async () => { track(["a"], 1); await sleep(cue.clock, 10); track(["a"], -1); });
    cue.start();
    for (let i = 0; i < 10; i++) {
      await cue.submit("ab");
      await cue.submit("onlyA");
    }
    await clock.runUntilIdle(() => cue.idle());
    expect(peak).toEqual({ a: 2, b: 1 });
    expect(cue.status().services.map((s) => s.active)).toEqual([0, 0]);
  });

  it("tasks without services have no limits", async () => {
    const { cue, clock } = virtualCue();
    let running = 0;
    let peak = 0;
    cue.task("free", async () => { running++; peak = Math.max(peak, running); await sleep(cue.clock, 5); running--; });
    cue.start();
    for (let i = 0; i < 100; i++) await cue.submit("free");
    await clock.runUntilIdle(() => cue.idle());
    expect(peak).toBe(100);
  });
});

describe("rates are exact", () => {
  it("never more than N starts in any window, and no capacity left unused while work waits", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { rate: "5/sec" });
    const starts: number[] = [];
    cue.task("call", { uses: "api" }, () => { starts.push(cue.clock.now()); });
    cue.start();
    for (let i = 0; i < 12; i++) await cue.submit("call");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000, 2000, 2000]);
  });

  it("a sliding window: a start frees its slot exactly one interval later", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { rate: "3/s" });
    const starts: number[] = [];
    cue.task("call", { uses: "api" }, () => { starts.push(cue.clock.now()); });
    cue.start();
    await cue.submit("call");
    await clock.advance(400);
    await cue.submit("call");
    await cue.submit("call");
    await cue.submit("call");
    await cue.submit("call");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([0, 400, 400, 1000, 1400]);
    expect(maxInWindow(starts, 1000)).toBe(3);
  });

  it("a list of rates: all must hold", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { rate: ["2/s", "3/min"] });
    const starts: number[] = [];
    cue.task("call", { uses: "api" }, () => { starts.push(cue.clock.now()); });
    cue.start();
    for (let i = 0; i < 5; i++) await cue.submit("call");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([0, 0, 1000, 60_000, 60_000]);
  });

  it("60/min for 10 simulated hours: exactly 60 in every minute, runs in virtual time", async () => {
    const { cue, clock } = virtualCue({ maxFinished: 0 });
    cue.service("api", { rate: "60/min", concurrent: 5 });
    const starts: number[] = [];
    cue.task("call", { uses: "api" }, async () => { starts.push(cue.clock.now()); await sleep(cue.clock, 700); });
    cue.start();
    for (let i = 0; i < 36_000; i++) void cue.submit("call");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts.length).toBe(36_000);
    expect(maxInWindow(starts, 60_000)).toBe(60);
    const perMinute = new Map<number, number>();
    for (const t of starts) perMinute.set(Math.floor(t / 60_000), (perMinute.get(Math.floor(t / 60_000)) ?? 0) + 1);
    expect([...perMinute.values()].every((n) => n === 60)).toBe(true);
    expect(perMinute.size).toBe(600);
  });

  it("rate and concurrency together", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { rate: "4/s", concurrent: 2 });
    const starts: number[] = [];
    cue.task("call", { uses: "api" }, async () => { starts.push(cue.clock.now()); await sleep(cue.clock, 300); });
    cue.start();
    for (let i = 0; i < 8; i++) await cue.submit("call");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([0, 0, 300, 300, 1000, 1000, 1300, 1300]);
  });

  it("skips use no rate budget", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { rate: "1/min" });
    const ran: number[] = [];
    cue.task("call", { uses: "api" }, (w: Work<number>) => { ran.push(w.params); });
    cue.isStale((w) => (w.params as number) % 2 === 0);
    cue.start();
    for (let i = 1; i <= 6; i++) await cue.submit("call", i);
    await clock.advance(1);
    expect(cue.status().pending).toBe(2); // 1, 3, 5 skipped at once; 2 ran; 4 and 6 wait
    expect(ran).toEqual([2]);
    await clock.runUntilIdle(() => cue.idle());
    expect(ran).toEqual([2, 4, 6]);
    expect(cue.clock.now()).toBe(120_000);
  });
});
