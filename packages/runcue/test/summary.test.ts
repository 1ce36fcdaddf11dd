// cue.summary(): counts by reason, per-service queue lengths and totals, without walking every work.
import { describe, expect, it } from "vitest";
import { Permanent, Retry, sleep, type Work } from "runcue";
import { virtualCue } from "./helpers.js";

describe("summary", () => {
  it("counts pending works by reason, with examples, and per-service usage", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { rate: "2/s" });
    cue.service("disk", { concurrent: 1 });
    cue.task("call", { uses: "api" }, async () => { await sleep(clock, 10); });
    cue.task("write", { uses: "disk" }, async () => { await sleep(clock, 5000); });
    cue.task("wait", { ready: () => false }, () => undefined);
    cue.start();
    for (let i = 0; i < 5; i++) await cue.submit("call", { i });
    for (let i = 0; i < 3; i++) await cue.submit("write", { i });
    await cue.submit("wait");
    await cue.submit("call", { late: true }, { delay: "1h" });
    await clock.advance(1);
    const s = cue.summary({ examples: 2 });
    const by = Object.fromEntries(s.reasons.map((r) => [r.reason, r.count]));
    expect(by).toEqual({ rate_limited: 3, service_full: 2, not_ready: 1, delayed: 1 });
    expect(s.reasons[0]).toMatchObject({ reason: "rate_limited", count: 3 });
    expect(s.reasons[0]!.examples.map((w) => w.task)).toEqual(["call", "call"]);
    expect(s.reasons.find((r) => r.reason === "not_ready")!.examples.map((w) => w.task)).toEqual(["wait"]);
    expect([s.pending, s.running, s.started]).toEqual([7, 3, true]);
    expect(s.services.find((x) => x.name === "api")).toMatchObject({ queued: 3, rates: [{ used: 2, limit: 2 }] });
    expect(s.services.find((x) => x.name === "disk")).toMatchObject({ queued: 2, active: 1, concurrent: 1 });
    expect(s.reasons.map((r) => r.count).reduce((a, b) => a + b)).toBe(s.pending);
    // The same reasons as debugBlocked(), which walks every work.
    const walked = new Map<string, number>();
    for (const b of cue.debugBlocked()) walked.set(b.reason, (walked.get(b.reason) ?? 0) + 1);
    expect(Object.fromEntries(walked)).toEqual(by);
    const stopping = cue.stop({ timeout: 0 });
    await clock.advance(0);
    await stopping;
    expect(cue.summary().reasons).toEqual([{ reason: "stopped", count: 7, examples: expect.any(Array) as unknown }]);
  });

  it("keeps totals since the cue was made: completed, skipped, failed, cancelled, retried", async () => {
    const { cue, clock } = virtualCue({ maxFinished: 1 });
    let n = 0;
    cue.task("t", { retry: { attempts: 2, delay: 10 } }, (w: Work<{ kind: string }>) => {
      if (w.params.kind === "retry-once" && n++ === 0) throw new Retry();
      if (w.params.kind === "fail") throw new Permanent("no");
      if (w.params.kind === "hang") return new Promise(() => undefined);
      return 1;
    });
    cue.isStale((w) => (w.params as { kind: string }).kind !== "skip");
    cue.on("fail", () => undefined);
    cue.start();
    for (const kind of ["ok", "ok", "skip", "retry-once", "fail", "hang"]) await cue.submit("t", { kind });
    await clock.advance(100);
    await cue.cancel("6");
    expect(cue.summary().totals).toEqual({ submitted: 6, completed: 3, skipped: 1, failed: 1, cancelled: 1, retried: 1 });
  });

  it("rejects bad options with a clear error", () => {
    const { cue } = virtualCue();
    expect(() => cue.summary({ examples: -1 })).toThrow(/Invalid examples: -1/);
    expect(() => cue.summary({ exampels: 1 } as never)).toThrow(/did you mean "examples"/);
  });
});
