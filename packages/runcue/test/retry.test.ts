import { describe, expect, it } from "vitest";
import { CancelledError, Permanent, RateLimited, Retry, sleep, TimeoutError, type Work } from "runcue";
import { virtualCue } from "./helpers.js";

describe("retries", () => {
  it("failed attempts are retried with exponential backoff; attempt counts from 1; onRetry fires", async () => {
    const { cue, clock } = virtualCue();
    const attempts: [number, number][] = [];
    const retries: [number, string, number][] = [];
    cue.task("flaky", { retry: { attempts: 4, delay: 100 } }, (w) => {
      attempts.push([w.attempt, cue.clock.now()]);
      if (w.attempt < 4) throw new Error(`fail ${w.attempt}`);
      return "ok";
    });
    cue.onRetry((w, e, ms) => retries.push([w.attempt, e.message, ms]));
    cue.start();
    const id = await cue.submit("flaky");
    await clock.runUntilIdle(() => cue.idle());
    expect(attempts).toEqual([[1, 0], [2, 100], [3, 300], [4, 700]]);
    expect(retries).toEqual([[2, "fail 1", 100], [3, "fail 2", 200], [4, "fail 3", 400]]);
    expect((await cue.get(id))!).toMatchObject({ state: "completed", result: "ok", attempt: 4, error: undefined });
  });

  it("fixed backoff, maxDelay and failure after the last attempt", async () => {
    const { cue, clock } = virtualCue();
    const times: number[] = [];
    const failures: string[] = [];
    cue.task("bad", { retry: { attempts: 3, delay: "1s", backoff: "fixed" } }, () => { times.push(cue.clock.now()); throw new Error("always"); });
    cue.task("capped", { retry: { attempts: 4, delay: 100, maxDelay: 150 } }, () => { times.push(cue.clock.now()); throw new Error("x"); });
    cue.onFailure((w, e) => failures.push(`${w.task}@${w.attempt}: ${e.message}`));
    cue.start();
    await cue.submit("bad");
    await clock.runUntilIdle(() => cue.idle());
    expect(times).toEqual([0, 1000, 2000]);
    times.length = 0;
    await cue.submit("capped");
    await clock.runUntilIdle(() => cue.idle());
    expect(times.map((t) => t - 2000)).toEqual([0, 100, 250, 400]);
    expect(failures).toEqual(["bad@3: always", "capped@4: x"]);
  });

  it("jitter randomises the wait below the backoff", async () => {
    const { cue, clock } = virtualCue({ random: () => 0.5 });
    const times: number[] = [];
    cue.task("t", { retry: { attempts: 2, delay: 1000, jitter: true } }, () => { times.push(cue.clock.now()); throw new Error("x"); });
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(times).toEqual([0, 500]);
  });

  it("a retried work is pending again and its checks run again before it reruns", async () => {
    const { cue, clock } = virtualCue();
    let done = false;
    let runs = 0;
    cue.task("t", { retry: { attempts: 3, delay: 10 } }, () => {
      runs++;
      done = true; // the artifact got written, then the handler crashed
      throw new Error("crash after write");
    });
    cue.isStale(() => !done);
    cue.start();
    const id = await cue.submit("t");
    await clock.advance(1);
    expect((await cue.get(id))!).toMatchObject({ state: "pending", attempt: 2 });
    expect(cue.debugBlocked()[0]).toMatchObject({ reason: "retry_wait", until: 10 });
    await clock.runUntilIdle(() => cue.idle());
    expect(runs).toBe(1);
    expect((await cue.get(id))!).toMatchObject({ state: "completed", skipped: true });
  });

  it("Retry asks for another attempt after its own delay", async () => {
    const { cue, clock } = virtualCue();
    const times: number[] = [];
    cue.task("t", { retry: { attempts: 3, delay: 1 } }, (w) => {
      times.push(cue.clock.now());
      if (w.attempt === 1) throw new Retry({ delay: "5s" });
      return "ok";
    });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(times).toEqual([0, 5000]);
    expect((await cue.get(id))!.state).toBe("completed");
  });

  it("Permanent fails at once despite attempts left", async () => {
    const { cue, clock } = virtualCue();
    let runs = 0;
    cue.task("t", { retry: { attempts: 5 } }, () => { runs++; throw new Permanent("404"); });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(runs).toBe(1);
    const w = (await cue.get(id))!;
    expect(w.state).toBe("failed");
    expect(w.error).toBeInstanceOf(Permanent);
    expect(w.error).toMatchObject({ name: "Permanent", code: "ERR_PERMANENT", message: "404" });
  });
});

describe("handler timeouts", () => {
  it("an attempt past its timeout aborts its signal and fails with TimeoutError", async () => {
    const { cue, clock } = virtualCue();
    let aborted: unknown;
    cue.task("slow", { timeout: "1s" }, async (w) => {
      try {
        await sleep(cue.clock, 5000, w.signal);
      } catch (e) {
        aborted = e;
        throw e;
      }
    });
    cue.start();
    const id = await cue.submit("slow");
    await clock.runUntilIdle(() => cue.idle());
    const w = (await cue.get(id))!;
    expect(w.state).toBe("failed");
    expect(w.error).toBeInstanceOf(TimeoutError);
    expect(w.error!.message).toMatch(/Handler timeout/);
    expect(aborted).toBe(w.error);
    expect(w.completedAt).toBe(1000);
  });

  it("a timed-out attempt is retried when attempts remain, with a fresh signal", async () => {
    const { cue, clock } = virtualCue();
    const signals: boolean[] = [];
    cue.task("slow", { timeout: 100, retry: { attempts: 2, delay: 0 } }, async (w) => {
      signals.push(w.signal.aborted);
      await sleep(cue.clock, w.attempt === 1 ? 1000 : 10);
      return w.attempt;
    });
    cue.start();
    const id = await cue.submit("slow");
    await clock.runUntilIdle(() => cue.idle());
    expect(signals).toEqual([false, false]);
    expect((await cue.get(id))!).toMatchObject({ state: "completed", result: 2 });
  });

  it("a late result of a timed-out attempt is ignored and its slot is freed at the timeout", async () => {
    const { cue, clock } = virtualCue();
    cue.service("one", { concurrent: 1 });
    const starts: number[] = [];
    cue.task("t", { uses: "one", timeout: 100 }, async (w: Work<number>) => {
      starts.push(cue.clock.now());
      await sleep(cue.clock, w.params);
      return "late";
    });
    cue.start();
    const a = await cue.submit("t", 500);
    await cue.submit("t", 10);
    await clock.runUntilIdle(() => cue.idle());
    await clock.advance(1000);
    expect(starts).toEqual([0, 100]);
    expect((await cue.get(a))!).toMatchObject({ state: "failed", result: undefined });
  });
});

describe("RateLimited pushback", () => {
  it("pauses the service for retryAfter and requeues the work without using an attempt", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { concurrent: 2 });
    const starts: [string, number, number][] = [];
    let pushed = false;
    cue.task("call", { uses: "api" }, async (w: Work<string>) => {
      starts.push([w.params, w.attempt, cue.clock.now()]);
      await sleep(cue.clock, 10);
      if (w.params === "a" && !pushed) {
        pushed = true;
        throw new RateLimited({ retryAfter: "2s" });
      }
      return w.params;
    });
    const retries: number[] = [];
    cue.onRetry((_w, e, ms) => { expect(e).toBeInstanceOf(RateLimited); retries.push(ms); });
    cue.start();
    await cue.submit("call", "a");
    await clock.advance(11);
    await cue.submit("call", "b");
    await clock.advance(1);
    expect(cue.debugBlocked().map((x) => x.reason)).toEqual(["rate_limited", "rate_limited"]);
    expect(cue.status().services[0]!.pausedUntil).toBe(2010);
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([["a", 1, 0], ["a", 1, 2010], ["b", 1, 2010]]);
    expect(retries).toEqual([2000]);
  });

  it("a task without services just waits out retryAfter", async () => {
    const { cue, clock } = virtualCue();
    const starts: number[] = [];
    cue.task("t", (w) => { starts.push(cue.clock.now()); if (w.attempt === 1 && starts.length === 1) throw new RateLimited({ retryAfter: 300 }); });
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([0, 300]);
  });
});

describe("cancel", () => {
  it("cancels pending work; finished or unknown ids give false", async () => {
    const { cue, clock } = virtualCue();
    let ran = 0;
    cue.task("t", () => { ran++; });
    const id = await cue.submit("t");
    expect(await cue.cancel(id)).toBe(true);
    expect((await cue.get(id))!).toMatchObject({ state: "cancelled" });
    expect((await cue.get(id))!.error).toBeInstanceOf(CancelledError);
    expect(await cue.cancel(id)).toBe(false);
    expect(await cue.cancel("nope")).toBe(false);
    cue.start();
    await clock.advance(10);
    expect(ran).toBe(0);
    await expect(cue.idle()).resolves.toBeUndefined();
  });

  it("cancels running work: its signal aborts, its slot frees, its late result is ignored", async () => {
    const { cue, clock } = virtualCue();
    cue.service("one", { concurrent: 1 });
    const signals = new Map<string, AbortSignal>();
    const completed: string[] = [];
    cue.task("t", { uses: "one" }, async (w) => {
      signals.set(w.id, w.signal);
      await sleep(cue.clock, 1000);
      return "late";
    });
    cue.onComplete((w) => completed.push(w.id));
    const cancelled: string[] = [];
    cue.onCancel((w) => cancelled.push(w.id));
    cue.start();
    const a = await cue.submit("t");
    const b = await cue.submit("t");
    await clock.advance(10);
    expect(await cue.cancel(a)).toBe(true);
    expect(cancelled).toEqual([a]);
    expect(signals.get(a)!.aborted).toBe(true);
    expect(signals.get(a)!.reason).toBeInstanceOf(CancelledError);
    await clock.advance(1);
    expect((await cue.get(b))!.state).toBe("running");
    await clock.runUntilIdle(() => cue.idle());
    expect(completed).toEqual([b]);
    expect((await cue.get(a))!).toMatchObject({ state: "cancelled", result: undefined, completedAt: 10 });
  });

  it("after a cancel, the next work starts only once the aborted handler has cleaned up", async () => {
    const { cue, clock } = virtualCue();
    cue.service("knife", { concurrent: 1 });
    const log: string[] = [];
    cue.task("cut", { uses: "knife" }, async (w) => {
      log.push(`start ${w.id}`);
      try {
        await sleep(cue.clock, 1000, w.signal);
      } finally {
        log.push(`end ${w.id}`);
      }
    });
    cue.start();
    const a = await cue.submit("cut");
    const b = await cue.submit("cut");
    await clock.advance(10);
    await cue.cancel(a);
    await clock.runUntilIdle(() => cue.idle());
    expect(log).toEqual([`start ${a}`, `end ${a}`, `start ${b}`, `end ${b}`]);
  });

  it("cancels blocked, delayed and checking work", async () => {
    const { cue, clock } = virtualCue();
    cue.service("s", { concurrent: 1 });
    cue.task("blocked", { ready: () => false }, () => 1);
    cue.task("delayed", () => 1);
    cue.task("checking", { uses: "s", ready: () => new Promise<boolean>(() => undefined) }, () => 1);
    cue.start();
    const ids = [await cue.submit("blocked"), await cue.submit("delayed", {}, { delay: 1000 }), await cue.submit("checking")];
    await clock.advance(1);
    expect(cue.status()).toMatchObject({ blocked: 1, delayed: 1, pending: 3 });
    for (const id of ids) expect(await cue.cancel(id)).toBe(true);
    expect(cue.status()).toMatchObject({ pending: 0, blocked: 0, delayed: 0, checking: 0 });
    expect(cue.status().services[0]!.active).toBe(0);
  });
});

describe("stop and start", () => {
  it("stop waits for running work; pending stays pending; start resumes", async () => {
    const { cue, clock } = virtualCue();
    cue.service("one", { concurrent: 1 });
    cue.task("t", { uses: "one" }, async () => { await sleep(cue.clock, 100); return "done"; });
    cue.start();
    const a = await cue.submit("t");
    const b = await cue.submit("t");
    await clock.advance(1);
    let stopped = false;
    const stopping = cue.stop().then(() => { stopped = true; });
    await clock.advance(50);
    expect(stopped).toBe(false);
    await clock.advance(50);
    await stopping;
    expect((await cue.get(a))!.state).toBe("completed");
    await clock.advance(1000);
    expect((await cue.get(b))!.state).toBe("pending");
    expect(cue.debugBlocked()[0]).toMatchObject({ reason: "stopped" });
    cue.start();
    await clock.runUntilIdle(() => cue.idle());
    expect((await cue.get(b))!.state).toBe("completed");
  });

  it("stop with a timeout aborts running work past it: cancelled with completedAt", async () => {
    const { cue, clock } = virtualCue();
    let signal: AbortSignal | undefined;
    cue.task("long", async (w) => { signal = w.signal; await sleep(cue.clock, 60_000); return "late"; });
    cue.start();
    const id = await cue.submit("long");
    const cancelled: string[] = [];
    cue.onCancel((w) => cancelled.push(w.id));
    await clock.advance(1);
    const stopping = cue.stop({ timeout: "1s" });
    await clock.advance(1000);
    await stopping;
    expect(signal!.aborted).toBe(true);
    expect(cancelled).toEqual([id]);
    expect((await cue.get(id))!).toMatchObject({ state: "cancelled", completedAt: 1001 });
    await clock.advance(60_000);
    expect((await cue.get(id))!.result).toBeUndefined();
  });

  it("stop without start and a double start are harmless", async () => {
    const { cue, clock } = virtualCue();
    await cue.stop();
    let runs = 0;
    cue.task("t", () => { runs++; });
    cue.start();
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(runs).toBe(1);
    await cue.stop();
    await cue.stop();
  });

  it("nothing runs before start()", async () => {
    const { cue, clock } = virtualCue();
    let runs = 0;
    cue.task("t", () => { runs++; });
    await cue.submit("t");
    await clock.advance(10_000);
    expect(runs).toBe(0);
  });
});
