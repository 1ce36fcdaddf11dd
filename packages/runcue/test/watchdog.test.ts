import { describe, expect, it } from "vitest";
import { sleep, TimeoutError } from "runcue";
import { virtualCue } from "./helpers.js";

describe("pending timeout and warning", () => {
  it("work pending longer than pendingTimeout fails with TimeoutError and fires onFailure", async () => {
    const { cue, clock } = virtualCue({ pendingTimeout: "5s" });
    cue.task("t", { ready: () => false }, () => 1);
    const failures: Error[] = [];
    cue.onFailure((_w, e) => failures.push(e));
    cue.start();
    const id = await cue.submit("t");
    await clock.advance(4999);
    expect((await cue.get(id))!.state).toBe("pending");
    await clock.advance(1);
    const w = (await cue.get(id))!;
    expect(w.state).toBe("failed");
    expect(w.error).toBeInstanceOf(TimeoutError);
    expect(w.error).toMatchObject({ name: "TimeoutError", kind: "pending" });
    expect(w.error!.message).toMatch(/Pending timeout/);
    expect(failures).toEqual([w.error]);
  });

  it("is measured from submit, also when submitted before start()", async () => {
    const { cue, clock } = virtualCue({ pendingTimeout: 1000 });
    cue.task("t", () => 1);
    const id = await cue.submit("t");
    await clock.advance(2000);
    expect((await cue.get(id))!.state).toBe("pending"); // nothing times out before start()
    cue.start();
    await clock.advance(0);
    expect((await cue.get(id))!.state).toBe("failed");
  });

  it("a warning fires once per work, before the timeout", async () => {
    const { cue, clock } = virtualCue({ pendingWarnAfter: 100, pendingTimeout: 300 });
    cue.task("t", { ready: () => false }, () => 1);
    const warnings: [string, number][] = [];
    cue.onPendingWarning((w, ms) => warnings.push([w.id, ms]));
    cue.start();
    const a = await cue.submit("t");
    await clock.advance(50);
    const b = await cue.submit("t");
    await clock.advance(1000);
    expect(warnings).toEqual([[a, 100], [b, 100]]);
  });

  it("running work does not time out", async () => {
    const { cue, clock } = virtualCue({ pendingTimeout: 100 });
    cue.task("t", async () => { await sleep(cue.clock, 500); return "ok"; });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect((await cue.get(id))!.state).toBe("completed");
  });
});

describe("stall", () => {
  it("fails all pending work when nothing has happened for stallTimeout", async () => {
    const { cue, clock } = virtualCue({ stallTimeout: "2s", stallWarnAfter: "1s" });
    cue.task("blocked", { ready: () => false }, () => 1);
    const stallWarnings: [number, number][] = [];
    cue.onStallWarning((ms, n) => stallWarnings.push([ms, n]));
    cue.start();
    const ids = [await cue.submit("blocked"), await cue.submit("blocked")];
    await clock.advance(1999);
    expect(stallWarnings).toEqual([[1000, 2]]);
    await clock.advance(1);
    for (const id of ids) {
      const w = (await cue.get(id))!;
      expect(w.state).toBe("failed");
      expect(w.error).toMatchObject({ name: "TimeoutError", kind: "stall" });
      expect(w.error!.message).toMatch(/Stall timeout/);
    }
  });

  it("idle time before a submit never counts against new work", async () => {
    const { cue, clock } = virtualCue({ stallTimeout: 1000 });
    let ready = false;
    cue.task("t", { ready: () => ready }, () => 1);
    cue.start();
    await clock.advance(60_000);
    const id = await cue.submit("t");
    await clock.advance(500);
    expect((await cue.get(id))!.state).toBe("pending");
    ready = true;
    await clock.advance(100);
    expect((await cue.get(id))!.state).toBe("completed");
  });

  it("a long-running handler counts as alive: queued work behind it does not stall", async () => {
    const { cue, clock } = virtualCue({ stallTimeout: 200 });
    cue.service("one", { concurrent: 1 });
    cue.task("t", { uses: "one" }, async () => { await sleep(cue.clock, 500); });
    cue.start();
    const ids = [await cue.submit("t"), await cue.submit("t"), await cue.submit("t")];
    await clock.runUntilIdle(() => cue.idle());
    for (const id of ids) expect((await cue.get(id))!.state).toBe("completed");
  });

  it("waiting for a rate window or a delay is not a stall", async () => {
    const { cue, clock } = virtualCue({ stallTimeout: 1000 });
    cue.service("api", { rate: "1/min" });
    cue.task("t", { uses: "api" }, () => 1);
    cue.start();
    const ids = [await cue.submit("t"), await cue.submit("t"), await cue.submit("t", {}, { delay: "10m" })];
    await clock.runUntilIdle(() => cue.idle());
    for (const id of ids) expect((await cue.get(id))!.state).toBe("completed");
  });

  it("the stall clock restarts on progress", async () => {
    const { cue, clock } = virtualCue({ stallTimeout: 1000 });
    cue.task("blocked", { ready: () => false }, () => 1);
    cue.task("quick", () => 1);
    cue.start();
    const id = await cue.submit("blocked");
    await clock.advance(800);
    await cue.submit("quick");
    await clock.advance(800);
    expect((await cue.get(id))!.state).toBe("pending");
    await clock.advance(200);
    expect((await cue.get(id))!.state).toBe("failed");
  });
});
