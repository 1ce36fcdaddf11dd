import { describe, expect, it } from "vitest";
import { sleep, type Work } from "runcue";
import { deferred, virtualCue } from "./helpers.js";

describe("not-ready work", () => {
  it("is rechecked when other work finishes, without waiting for the interval", async () => {
    const { cue, clock } = virtualCue({ recheckInterval: "1h" });
    const artifacts = new Set<string>();
    cue.task("produce", async (w: Work<string>) => { await sleep(cue.clock, 10); artifacts.add(w.params); });
    cue.task("consume", { ready: (w) => artifacts.has(w.params as string) }, () => "used");
    cue.start();
    const consumer = await cue.submit("consume", "a");
    await clock.advance(5);
    expect(cue.debugBlocked()[0]).toMatchObject({ reason: "not_ready" });
    await cue.submit("produce", "a");
    await clock.advance(10);
    expect((await cue.get(consumer))!.state).toBe("completed");
    expect(cue.clock.now()).toBe(15);
  });

  it("notices an outside change within recheckInterval", async () => {
    const { cue, clock } = virtualCue({ recheckInterval: 250 });
    let outside = false;
    cue.task("t", { ready: () => outside }, () => 1);
    cue.start();
    const id = await cue.submit("t");
    await clock.advance(100);
    outside = true;
    await clock.advance(149);
    expect((await cue.get(id))!.state).toBe("pending");
    await clock.advance(1);
    expect((await cue.get(id))!.state).toBe("completed");
  });

  it("recheck() asks at once", async () => {
    const { cue, clock } = virtualCue({ recheckInterval: "1h" });
    let outside = false;
    cue.task("t", { ready: () => outside }, () => 1);
    cue.start();
    const id = await cue.submit("t");
    await clock.advance(1);
    outside = true;
    cue.recheck();
    await clock.advance(0);
    expect((await cue.get(id))!.state).toBe("completed");
  });

  it("readiness is confirmed again at dispatch when other work finished meanwhile", async () => {
    const { cue, clock } = virtualCue();
    cue.service("one", { concurrent: 1 });
    let inputValid = true;
    const ran: string[] = [];
    cue.task("invalidate", { uses: "one" }, async () => { await sleep(cue.clock, 10); inputValid = false; ran.push("invalidate"); });
    cue.task("use", { uses: "one", ready: () => inputValid }, () => { ran.push("use"); });
    cue.start();
    await cue.submit("invalidate");
    const use = await cue.submit("use");
    await clock.advance(50);
    expect(ran).toEqual(["invalidate"]);
    expect(cue.debugBlocked()).toMatchObject([{ reason: "not_ready", work: { id: use } }]);
  });

  it("two identical stale works: the second is skipped once the first wrote the artifact", async () => {
    const { cue, clock } = virtualCue();
    cue.service("one", { concurrent: 1 });
    const outputs = new Set<string>();
    let runs = 0;
    cue.task("render", { uses: "one" }, async (w: Work<string>) => { runs++; await sleep(cue.clock, 10); outputs.add(w.params); });
    cue.isStale((w) => !outputs.has(w.params as string));
    cue.start();
    await cue.submit("render", "page-1");
    const second = await cue.submit("render", "page-1");
    await clock.runUntilIdle(() => cue.idle());
    expect(runs).toBe(1);
    expect((await cue.get(second))!.skipped).toBe(true);
  });

  it("asynchronous checks run with a bounded number in flight", async () => {
    const { cue, clock } = virtualCue({ checkConcurrency: 4 });
    let inFlight = 0;
    let peak = 0;
    cue.task("t", () => 1);
    cue.isReady(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(cue.clock, 5);
      inFlight--;
      return true;
    });
    cue.start();
    for (let i = 0; i < 100; i++) void cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(peak).toBe(4);
    expect(cue.status().pending).toBe(0);
  });

  it("rechecks of many blocked works also stay within the async bound, and all get asked", async () => {
    const { cue, clock } = virtualCue({ checkConcurrency: 3, recheckInterval: 1000 });
    let inFlight = 0;
    let peak = 0;
    let open = false;
    cue.task("t", () => 1);
    cue.isReady(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(cue.clock, 2);
      inFlight--;
      return open;
    });
    cue.start();
    for (let i = 0; i < 50; i++) void cue.submit("t");
    await clock.advance(500);
    expect(cue.status().blocked).toBe(50);
    open = true;
    await clock.advance(1000);
    await clock.runUntilIdle(() => cue.idle());
    expect(peak).toBe(3);
    expect(cue.status().pending).toBe(0);
  });

  it("a dispatch check holds the service slot; a no gives it back", async () => {
    const { cue, clock } = virtualCue();
    cue.service("one", { concurrent: 1 });
    const gate = deferred<boolean>();
    let calls = 0;
    cue.task("prior", { uses: "one" }, async () => { await sleep(cue.clock, 10); });
    cue.task("t", { uses: "one", ready: () => (++calls === 1 ? true : gate.promise) }, () => 1);
    cue.start();
    await cue.submit("prior");
    const id = await cue.submit("t");
    await clock.advance(10);
    expect(cue.status()).toMatchObject({ checking: 1 });
    expect(cue.status().services[0]!.active).toBe(1);
    expect(cue.debugBlocked()[0]).toMatchObject({ reason: "not_ready", work: { id } });
    gate.resolve(false);
    await clock.advance(0);
    expect(cue.status()).toMatchObject({ checking: 0, blocked: 1 });
    expect(cue.status().services[0]!.active).toBe(0);
  });
});

describe("debugBlocked", () => {
  it("gives one reason per pending work and never throws", async () => {
    const { cue, clock } = virtualCue();
    cue.service("full", { concurrent: 1 });
    cue.service("rated", { rate: "1/min" });
    cue.task("long", { uses: "full" }, async () => { await sleep(cue.clock, 10_000); });
    cue.task("call", { uses: "rated" }, () => 1);
    cue.task("never", { ready: () => false }, () => 1);
    cue.task("later", () => 1);
    cue.task("retrying", { retry: { attempts: 2, delay: "1m" } }, () => { throw new Error("first"); });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    cue.start();
    await cue.submit("long");
    const full = await cue.submit("long");
    await cue.submit("call");
    const rated = await cue.submit("call");
    const never = await cue.submit("never", circular);
    const later = await cue.submit("later", {}, { delay: "5s" });
    const retrying = await cue.submit("retrying");
    await clock.advance(1);
    const byId = new Map(cue.debugBlocked().map((b) => [b.work.id, b]));
    expect(byId.size).toBe(5);
    expect(byId.get(full)).toMatchObject({ reason: "service_full", details: "Service 'full' at capacity (1/1)" });
    expect(byId.get(rated)).toMatchObject({ reason: "rate_limited", until: 60_000 });
    expect(byId.get(rated)!.details).toMatch(/rate 1\/min used \(1\/1\); next start in 59999ms/);
    expect(byId.get(never)).toMatchObject({ reason: "not_ready" });
    expect(byId.get(never)!.details).toMatch(/isReady returned false for never/);
    expect(byId.get(later)).toMatchObject({ reason: "delayed", until: 5000 });
    expect(byId.get(retrying)).toMatchObject({ reason: "retry_wait", until: 60_000 });
    expect(byId.get(retrying)!.details).toMatch(/first/);
  });
});

describe("delays", () => {
  it("submit with delay holds work until then", async () => {
    const { cue, clock } = virtualCue();
    const starts: number[] = [];
    cue.task("t", () => { starts.push(cue.clock.now()); });
    cue.start();
    await cue.submit("t", {}, { delay: "2s" });
    await cue.submit("t", {}, { delay: 500 });
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([500, 2000]);
  });
});
