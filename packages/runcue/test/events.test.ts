// The typed event map (`cue.on`), the adapters over it, and middleware (`cue.use`), from issue 7.
import { describe, expect, it } from "vitest";
import { CancelledError, RateLimited, sleep, type Work } from "runcue";
import { virtualCue } from "./helpers.js";

describe("cue.on: one payload object per lifecycle step", () => {
  it("a work that runs: submit, queue, start, complete, then idle", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api");
    cue.task("t", { uses: "api" }, async () => { await sleep(cue.clock, 5); return 42; });
    cue.isReady(() => true);
    const log: string[] = [];
    let completed: { result: unknown; durationMs: number } | undefined;
    cue.on("submit", ({ work }) => { log.push(`submit ${work.id}`); });
    cue.on("queue", ({ work }) => { log.push(`queue ${work.id}`); });
    cue.on("block", ({ work }) => { log.push(`block ${work.id}`); });
    cue.on("start", ({ work }) => { log.push(`start ${work.id}`); });
    cue.on("complete", ({ work, result, durationMs }) => {
      log.push(`complete ${work.id}`);
      completed = { result, durationMs };
    });
    cue.on("idle", () => { log.push("idle"); });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(log).toEqual([`submit ${id}`, `queue ${id}`, `start ${id}`, `complete ${id}`, "idle"]);
    expect(completed).toEqual({ result: 42, durationMs: 5 });
  });

  it("a skipped work: submit then skip, never queued or started", async () => {
    const { cue, clock } = virtualCue();
    cue.task("t", () => 1);
    cue.isStale(() => false);
    const log: string[] = [];
    for (const event of ["submit", "queue", "start", "skip", "complete"] as const) cue.on(event, ({ work }) => { log.push(`${event} ${work.id}`); });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(log).toEqual([`submit ${id}`, `skip ${id}`]);
  });

  it("block says why: not_ready when isReady says no, check_error with the error when it throws", async () => {
    const { cue, clock } = virtualCue({ recheckInterval: "1h" });
    const boom = new Error("cannot tell");
    cue.task("no", { ready: () => false }, () => 1);
    cue.task("throws", { ready: () => { throw boom; } }, () => 1);
    const blocks: { id: string; reason: string; error?: Error }[] = [];
    cue.on("block", ({ work, reason, error }) => { blocks.push({ id: work.id, reason, ...(error ? { error } : {}) }); });
    cue.start();
    const no = await cue.submit("no");
    const throws = await cue.submit("throws");
    await clock.advance(10);
    expect(blocks).toEqual([{ id: no, reason: "not_ready" }, { id: throws, reason: "check_error", error: boom }]);
  });

  it("retry reports the delay, and pushback with a pause event for RateLimited", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api");
    let calls = 0;
    cue.task("t", { uses: "api", retry: { attempts: 2, delay: 100, backoff: "fixed" } }, () => {
      calls++;
      if (calls === 1) throw new Error("flaky");
      if (calls === 2) throw new RateLimited({ retryAfter: 500 });
      return "ok";
    });
    const retries: { delayMs: number; pushback: boolean; message: string }[] = [];
    const pauses: { service: string; until: number; id: string; message: string }[] = [];
    cue.on("retry", ({ error, delayMs, pushback }) => { retries.push({ delayMs, pushback, message: error.message }); });
    cue.on("pause", ({ service, until, work, error }) => { pauses.push({ service, until, id: work.id, message: error.message }); });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(retries).toEqual([
      { delayMs: 100, pushback: false, message: "flaky" },
      { delayMs: 500, pushback: true, message: expect.stringMatching(/Rate limited/) as unknown as string },
    ]);
    expect(pauses).toEqual([{ service: "api", until: 600, id, message: expect.stringMatching(/Rate limited/) as unknown as string }]);
    expect(await cue.get(id)).toMatchObject({ state: "completed", attempt: 2 });
  });

  it("wait reports a lane waiting for a rate window or a pause, with its services and until", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { rate: "1/s" });
    cue.task("t", { uses: "api" }, () => 1);
    const waits: { services: string[]; reason: string; until: number }[] = [];
    cue.on("wait", (w) => { waits.push(w); });
    cue.start();
    await cue.submit("t");
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(waits).toContainEqual({ services: ["api"], reason: "rate_limited", until: 1000 });
  });

  it("fail carries the error; cancel carries a CancelledError", async () => {
    const { cue, clock } = virtualCue();
    const boom = new Error("boom");
    cue.task("bad", () => { throw boom; });
    cue.task("slow", async (w) => { await sleep(cue.clock, 1000, w.signal); });
    const fails: unknown[] = [];
    const cancels: unknown[] = [];
    cue.on("fail", ({ error }) => { fails.push(error); });
    cue.on("cancel", ({ error }) => { cancels.push(error); });
    cue.start();
    await cue.submit("bad");
    const slow = await cue.submit("slow");
    await clock.advance(10);
    await cue.cancel(slow);
    await clock.runUntilIdle(() => cue.idle());
    expect(fails).toEqual([boom]);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]).toBeInstanceOf(CancelledError);
  });

  it("every work ends with exactly one terminal event, however it ends", async () => {
    const { cue, clock } = virtualCue({ pendingTimeout: 5000 });
    cue.task("ok", () => "ok");
    cue.task("bad", () => { throw new Error("bad"); });
    cue.task("done", { stale: () => false }, () => "never runs");
    cue.task("never", { ready: () => false }, () => "never runs");
    cue.task("slow", async (w) => { await sleep(cue.clock, 1000, w.signal); });
    cue.task("forever", async (w) => { await sleep(cue.clock, 1_000_000, w.signal); });
    const ends = new Map<string, string[]>();
    for (const event of ["complete", "fail", "skip", "cancel"] as const) {
      cue.on(event, ({ work }) => { ends.set(work.id, [...(ends.get(work.id) ?? []), event]); });
    }
    cue.start();
    const ids = {
      ok: await cue.submit("ok"),
      bad: await cue.submit("bad"),
      done: await cue.submit("done"),
      timedOut: await cue.submit("never"),
      cancelled: await cue.submit("slow"),
      finished: await cue.submit("slow"),
      abandoned: await cue.submit("forever"),
    };
    await clock.advance(10);
    await cue.cancel(ids.cancelled);
    await cue.cancel(ids.cancelled);
    await clock.advance(5000);
    const stopped = cue.stop({ timeout: 10 });
    await clock.advance(10);
    await stopped;
    expect(Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, ends.get(id)]))).toEqual({
      ok: ["complete"],
      bad: ["fail"],
      done: ["skip"],
      timedOut: ["fail"],
      cancelled: ["cancel"],
      finished: ["complete"],
      abandoned: ["cancel"],
    });
  });

  it("a pendingWarning and a stall carry their numbers", async () => {
    const { cue, clock } = virtualCue({ pendingWarnAfter: 100, stallWarnAfter: 1000 });
    cue.task("t", { ready: () => false }, () => 1);
    const warnings: [string, number][] = [];
    const stalls: number[] = [];
    cue.on("pendingWarning", ({ work, pendingMs }) => { warnings.push([work.id, pendingMs]); });
    cue.on("stall", ({ pending }) => { stalls.push(pending); });
    cue.start();
    const id = await cue.submit("t");
    await clock.advance(2500);
    expect(warnings).toEqual([[id, 100]]);
    expect(stalls).toEqual([1]);
  });

  it("on() returns an unsubscribe function; calling it twice is harmless", async () => {
    const { cue, clock } = virtualCue();
    cue.task("t", () => 1);
    let calls = 0;
    const off = cue.on("complete", () => { calls++; });
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    off();
    off();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(calls).toBe(1);
  });

  it("the design's callbacks still get positional arguments", async () => {
    const { cue, clock } = virtualCue({ pendingWarnAfter: 50, stallWarnAfter: 500 });
    const log: string[] = [];
    cue.task("ok", async () => { await sleep(cue.clock, 7); return "r"; });
    cue.task("flaky", { retry: { attempts: 2, delay: 20, backoff: "fixed" } }, (w) => { throw new Error(`attempt ${w.attempt}`); });
    cue.task("done", { stale: () => false }, () => 1);
    cue.task("slow", async (w) => { await sleep(cue.clock, 1000, w.signal); });
    cue.task("never", { ready: () => false }, () => 1);
    cue.onStart((w) => log.push(`start ${w.task}`));
    cue.onComplete((w, result, ms) => log.push(`complete ${w.task} ${String(result)} ${ms}`));
    cue.onFailure((w, e) => log.push(`failure ${w.task} ${e.message}`));
    cue.onRetry((w, e, ms) => log.push(`retry ${w.task} ${e.message} ${ms}`));
    cue.onSkip((w) => log.push(`skip ${w.task}`));
    cue.onCancel((w) => log.push(`cancel ${w.task}`));
    cue.onPendingWarning((w, ms) => log.push(`pending ${w.task} ${ms}`));
    cue.onStallWarning((ms, n) => log.push(`stall ${ms} ${n}`));
    cue.start();
    await cue.submit("ok");
    await clock.runUntilIdle(() => cue.idle());
    await cue.submit("flaky");
    await clock.runUntilIdle(() => cue.idle());
    await cue.submit("done");
    await clock.runUntilIdle(() => cue.idle());
    const slow = await cue.submit("slow");
    await clock.advance(1);
    await cue.cancel(slow);
    await cue.submit("never");
    await clock.advance(1000);
    expect(log).toEqual([
      "start ok", "complete ok r 7",
      "start flaky", "retry flaky attempt 1 20", "start flaky", "failure flaky attempt 2",
      "skip done",
      "start slow", "cancel slow",
      "pending never 50",
      "stall 500 1",
    ]);
  });
});

describe("cue.use: middleware around every handler call", () => {
  it("runs in listed order, outermost first, around the handler", async () => {
    const { cue, clock } = virtualCue();
    const log: string[] = [];
    cue.use(async (_ctx, next) => { log.push("outer before"); const r = await next(); log.push("outer after"); return r; });
    cue.use(async (_ctx, next) => { log.push("inner before"); const r = await next(); log.push("inner after"); return r; });
    cue.task("t", () => { log.push("handler"); return 1; });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(log).toEqual(["outer before", "inner before", "handler", "inner after", "outer after"]);
    expect(await cue.get(id)).toMatchObject({ state: "completed", result: 1 });
  });

  it("the context carries the work, the attempt and the signal", async () => {
    const { cue, clock } = virtualCue();
    const seen: { id: string; attempt: number; signal: boolean }[] = [];
    cue.use(async (ctx, next) => {
      seen.push({ id: ctx.work.id, attempt: ctx.attempt, signal: ctx.signal instanceof AbortSignal });
      return await next();
    });
    cue.task("t", { retry: { attempts: 2, delay: 10 } }, (w) => {
      if (w.attempt === 1) throw new Error("again");
      return "second";
    });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(seen).toEqual([{ id, attempt: 1, signal: true }, { id, attempt: 2, signal: true }]);
  });

  it("the signal in the context aborts when the work is cancelled", async () => {
    const { cue, clock } = virtualCue();
    let signal: AbortSignal | undefined;
    cue.use(async (ctx, next) => { signal = ctx.signal; return await next(); });
    cue.task("t", async (w) => { await sleep(cue.clock, 1000, w.signal); });
    cue.start();
    const id = await cue.submit("t");
    await clock.advance(1);
    await cue.cancel(id);
    expect(signal?.aborted).toBe(true);
  });

  it("a middleware may replace the result", async () => {
    const { cue, clock } = virtualCue();
    cue.use(async (_ctx, next) => ({ wrapped: await next() }));
    cue.task("t", () => 1);
    const results: unknown[] = [];
    cue.on("complete", ({ result }) => { results.push(result); });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect((await cue.get(id))!.result).toEqual({ wrapped: 1 });
    expect(results).toEqual([{ wrapped: 1 }]);
  });

  it("a middleware that throws fails the attempt like the handler would (and it is retried)", async () => {
    const { cue, clock } = virtualCue();
    let n = 0;
    cue.use(async (_ctx, next) => {
      if (++n === 1) throw new Error("middleware says no");
      return await next();
    });
    cue.task("t", { retry: { attempts: 2, delay: 10 } }, () => "ran");
    const errors: string[] = [];
    cue.on("retry", ({ error }) => { errors.push(error.message); });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(errors).toEqual(["middleware says no"]);
    expect(await cue.get(id)).toMatchObject({ state: "completed", result: "ran", attempt: 2 });
  });

  it("the remover takes a middleware out", async () => {
    const { cue, clock } = virtualCue();
    let calls = 0;
    const remove = cue.use(async (_ctx, next) => { calls++; return await next(); });
    cue.task("t", (w: Work) => w.id);
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    remove();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(calls).toBe(1);
  });
});
