// Regression tests for the faults listed in issue 7, one `describe` per fault. Each test names
// the rule it holds the engine to. Virtual time throughout, except fault 6 (the system clock).
import { createHook } from "node:async_hooks";
import { format } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ConfigurationError,
  Cue,
  isConfigurationError,
  isPermanent,
  isRateLimited,
  isRetry,
  isTimeoutError,
  Permanent,
  RateLimited,
  Retry,
  sleep,
  systemClock,
  VirtualClock,
  type Work,
} from "runcue";
import { maxInWindow, tick, virtualCue } from "./helpers.js";

const DAY = 86_400_000;

async function stateOf(cue: Cue, id: string): Promise<string | undefined> {
  return (await cue.get(id))?.state;
}

/** Real time: lets the event loop run for `ms`. */
function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Node timers and immediates created while `fn` runs (to see a 1 ms re-arm loop). */
async function timersCreatedDuring(fn: () => Promise<void>): Promise<number> {
  let n = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === "Timeout" || type === "Immediate") n++;
    },
  });
  hook.enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  return n;
}

/** Collects unhandled rejections while a test runs. */
function trackUnhandled(): { reasons: unknown[]; stop: () => void } {
  const reasons: unknown[] = [];
  const onRejection = (reason: unknown): void => { reasons.push(reason); };
  process.on("unhandledRejection", onRejection);
  return { reasons, stop: () => process.off("unhandledRejection", onRejection) };
}

/** A value no code should be able to inspect: every operation on it throws. */
function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------- 1

describe("fault 1: rate windows on fractional virtual times", () => {
  it('a "1/s" service after clock.advance(100.1) runs all 3 works, one per second', async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { rate: "1/s" });
    const starts: number[] = [];
    cue.task("t", { uses: "api" }, () => { starts.push(clock.now()); });
    cue.start();
    await clock.advance(100.1);
    const ids = [await cue.submit("t"), await cue.submit("t"), await cue.submit("t")];
    await clock.advance(5000);
    for (const id of ids) expect(await stateOf(cue, id)).toBe("completed");
    expect(starts).toHaveLength(3);
    expect(maxInWindow(starts, 1000)).toBe(1);
  });

  const rates = [
    ["1/s", 1, 1000],
    ["3/s", 3, 1000],
    [{ limit: 2, interval: 250.5 }, 2, 250.5],
    [{ limit: 1, interval: 100.3 }, 1, 100.3],
  ] as const;
  const origins = [0, 0.1, 100.1, 1_733_000_000_000.123];

  it.each(origins)("from time %d, every rate-limited work that can start later has a timer for that moment", async (origin) => {
    for (const advance of [0, 0.1, 33.3, 100.1]) {
      for (const [rate, limit, interval] of rates) {
        const clock = new VirtualClock(origin);
        const cue = new Cue({ clock });
        cue.service("api", { rate });
        const starts: number[] = [];
        cue.task("t", { uses: "api" }, () => { starts.push(clock.now()); });
        cue.start();
        await clock.advance(advance);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(await cue.submit("t"));
        for (let step = 0; step < 40 && cue.status().pending > 0; step++) {
          await clock.advance(interval / 3);
          for (const b of cue.debugBlocked()) {
            if (b.reason !== "rate_limited") continue;
            // The wake-up and the window check must agree: a timer is set no later than `until`.
            const next = clock.nextTimerAt();
            expect(next, `no timer for work ${b.work.id} waiting until ${b.until} (origin ${origin}, advance ${advance}, rate ${JSON.stringify(rate)})`).toBeDefined();
            if (b.until !== undefined) expect(next!).toBeLessThanOrEqual(b.until);
          }
        }
        const states = await Promise.all(ids.map((id) => stateOf(cue, id)));
        expect(states, `origin ${origin}, advance ${advance}, rate ${JSON.stringify(rate)}`).toEqual(ids.map(() => "completed"));
        expect(maxInWindow(starts, interval)).toBeLessThanOrEqual(limit);
        await cue.stop();
      }
    }
  });
});

// ---------------------------------------------------------------------------------------- 2

describe("fault 2: stop() during screening", () => {
  async function expectAllResume(cue: Cue, clock: VirtualClock, ids: string[], skipped: boolean): Promise<void> {
    await clock.advance(10);
    expect(cue.status().started).toBe(false);
    cue.start();
    await clock.runUntilIdle(() => cue.idle());
    for (const id of ids) expect(await cue.get(id)).toMatchObject({ state: "completed", skipped });
  }

  it("stop() from a synchronous isReady loses no work: start() resumes all of it and idle() resolves", async () => {
    const { cue, clock } = virtualCue();
    cue.task("t", () => "ran");
    let stopped = false;
    cue.isReady(() => {
      if (!stopped) {
        stopped = true;
        void cue.stop();
      }
      return true;
    });
    cue.start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await cue.submit("t"));
    await expectAllResume(cue, clock, ids, false);
  });

  it("stop() from a synchronous isStale loses no work", async () => {
    const { cue, clock } = virtualCue();
    cue.task("t", () => "ran");
    let stopped = false;
    cue.isStale(() => {
      if (!stopped) {
        stopped = true;
        void cue.stop();
      }
      return true;
    });
    cue.start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await cue.submit("t"));
    await expectAllResume(cue, clock, ids, false);
  });

  it("stop() from an onSkip listener loses no work", async () => {
    const { cue, clock } = virtualCue();
    cue.task("t", () => "ran");
    cue.isStale(() => false);
    let stopped = false;
    cue.onSkip(() => {
      if (!stopped) {
        stopped = true;
        void cue.stop();
      }
    });
    cue.start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await cue.submit("t"));
    await expectAllResume(cue, clock, ids, true);
  });

  it("while stopped mid-screening, every pending work has a debugBlocked() entry", async () => {
    const { cue, clock } = virtualCue();
    cue.task("t", () => "ran");
    let stopped = false;
    cue.isReady(() => {
      if (!stopped) {
        stopped = true;
        void cue.stop();
      }
      return true;
    });
    cue.start();
    for (let i = 0; i < 5; i++) await cue.submit("t");
    await clock.advance(10);
    expect(cue.status().pending).toBe(5);
    const blocked = cue.debugBlocked();
    expect(blocked).toHaveLength(5);
    for (const b of blocked) expect(b.reason).toBe("stopped");
  });
});

// ---------------------------------------------------------------------------------------- 3

describe("fault 3: listener errors", () => {
  it.each([
    ["an async listener that rejects", (e: Error) => async () => { throw e; }],
    ["a listener returning a rejected promise", (e: Error) => () => Promise.reject(e)],
    ["a listener that throws", (e: Error) => () => { throw e; }],
  ])("%s: its error goes to onListenerError, never to an unhandled rejection", async (_label, makeListener) => {
    const unhandled = trackUnhandled();
    try {
      const errors: unknown[] = [];
      const { cue, clock } = virtualCue({ onListenerError: (error) => { errors.push(error); } });
      cue.task("t", () => 1);
      const boom = new Error("listener boom");
      cue.onComplete(makeListener(boom));
      cue.start();
      const id = await cue.submit("t");
      await clock.runUntilIdle(() => cue.idle());
      await tick();
      await tick();
      expect(unhandled.reasons).toEqual([]);
      expect(errors).toContain(boom);
      expect(await stateOf(cue, id)).toBe("completed");
    } finally {
      unhandled.stop();
    }
  });

  it("an async cue.on listener that rejects with undefined goes to onListenerError", async () => {
    const unhandled = trackUnhandled();
    try {
      let reported = 0;
      const { cue, clock } = virtualCue({ onListenerError: () => { reported++; } });
      cue.task("t", () => 1);
      cue.on("start", async () => { throw undefined; });
      cue.start();
      await cue.submit("t");
      await clock.runUntilIdle(() => cue.idle());
      await tick();
      await tick();
      expect(unhandled.reasons).toEqual([]);
      expect(reported).toBe(1);
    } finally {
      unhandled.stop();
    }
  });

  it.each([
    ["throws", () => { throw new Error("onListenerError itself throws"); }],
    ["rejects", async () => { throw new Error("onListenerError itself rejects"); }],
  ])("an onListenerError that %s does not break the scheduler", async (_label, onListenerError) => {
    vi.spyOn(console, "error").mockImplementation(() => {}); // where its own failure is reported
    const unhandled = trackUnhandled();
    try {
      const { cue, clock } = virtualCue({ onListenerError });
      cue.service("one", { concurrent: 1 });
      cue.task("t", { uses: "one" }, async (w: Work<{ n: number }>) => { await sleep(clock, 5); return w.params.n; });
      cue.onStart(() => { throw new Error("sync"); });
      cue.onComplete(async () => { throw new Error("async"); });
      cue.onSkip(() => Promise.reject(new Error("rejected")));
      cue.start();
      const ids: string[] = [];
      for (let n = 0; n < 4; n++) ids.push(await cue.submit("t", { n }));
      await clock.runUntilIdle(() => cue.idle());
      await tick();
      await tick();
      for (const [n, id] of ids.entries()) expect(await cue.get(id)).toMatchObject({ state: "completed", result: n });
      expect(cue.status()).toMatchObject({ pending: 0, running: 0 });
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it("a listener returning a thenable whose then throws does not break the scheduler", async () => {
    const unhandled = trackUnhandled();
    try {
      const { cue, clock } = virtualCue({ onListenerError: () => {} });
      cue.task("t", () => 1);
      cue.onComplete((() => ({ then() { throw new Error("then boom"); } })) as unknown as () => void);
      cue.start();
      const a = await cue.submit("t");
      const b = await cue.submit("t");
      await clock.runUntilIdle(() => cue.idle());
      await tick();
      expect(await stateOf(cue, a)).toBe("completed");
      expect(await stateOf(cue, b)).toBe("completed");
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------- 4

describe("fault 4: thrown values and thenables of any shape", () => {
  const odd: [string, () => unknown][] = [
    ["undefined", () => undefined],
    ["null", () => null],
    ["a number", () => 42],
    ["a string", () => "plain string"],
    ["a symbol", () => Symbol("odd")],
    ["a null-prototype object", () => Object.create(null) as object],
    ["an object whose toString throws", () => ({ toString() { throw new Error("toString boom"); } })],
    ["an object whose every property throws", () => new Proxy({}, { get() { throw new Error("get boom"); }, getPrototypeOf() { throw new Error("proto boom"); } })],
    ["a revoked proxy", revokedProxy],
  ];

  async function expectFailedCleanly(run: (cue: Cue) => void): Promise<void> {
    const unhandled = trackUnhandled();
    try {
      const { cue, clock } = virtualCue();
      cue.onFailure(() => {});
      run(cue);
      cue.task("after", () => "still works");
      cue.start();
      const id = await cue.submit("bad");
      await clock.runUntilIdle(() => cue.idle());
      const w = (await cue.get(id))!;
      expect(w.state).toBe("failed");
      expect(w.error).toBeInstanceOf(Error);
      expect(typeof w.error!.message).toBe("string");
      expect(cue.status().running).toBe(0);
      // The scheduler still works.
      const next = await cue.submit("after");
      await clock.runUntilIdle(() => cue.idle());
      expect(await cue.get(next)).toMatchObject({ state: "completed", result: "still works" });
      await tick();
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  }

  it.each(odd)("a handler throwing %s fails the work with a proper Error", async (_label, value) => {
    await expectFailedCleanly((cue) => cue.task("bad", () => { throw value(); }));
  });

  it.each(odd)("a handler rejecting with %s fails the work with a proper Error", async (_label, value) => {
    await expectFailedCleanly((cue) => cue.task("bad", async () => { await sleep(cue.clock, 1); throw value(); }));
  });

  it.each(odd)("a handler returning a thenable whose then throws %s fails the work with a proper Error", async (_label, value) => {
    await expectFailedCleanly((cue) => cue.task("bad", () => ({ then() { throw value(); } })));
  });

  it("a handler returning an object whose then getter throws fails the work with a proper Error", async () => {
    await expectFailedCleanly((cue) => cue.task("bad", () => ({ get then(): never { throw new Error("then getter boom"); } })));
  });

  it("a handler whose thrown value is retried gets a proper Error in onRetry and work.error", async () => {
    const { cue, clock } = virtualCue();
    let calls = 0;
    cue.task("t", { retry: { attempts: 2, delay: 10 } }, () => {
      if (++calls === 1) throw Object.create(null) as object;
      return "second";
    });
    const retried: unknown[] = [];
    cue.onRetry((_w, e) => retried.push(e));
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(retried).toHaveLength(1);
    expect(retried[0]).toBeInstanceOf(Error);
    expect(await cue.get(id)).toMatchObject({ state: "completed", result: "second", attempt: 2 });
  });

  it.each([
    ["throws a null-prototype object", () => { throw Object.create(null) as object; }],
    ["throws a revoked proxy", () => { throw revokedProxy(); }],
    ["rejects with undefined", () => Promise.reject(undefined)],
    ["returns a thenable whose then throws", () => ({ then() { throw undefined; } }) as unknown as boolean],
    ["returns an object whose then getter throws", () => ({ get then(): never { throw new Error("boom"); } }) as unknown as boolean],
  ])("an isReady that %s counts as not ready and breaks nothing", async (_label, check) => {
    const unhandled = trackUnhandled();
    try {
      const { cue, clock } = virtualCue();
      cue.task("odd", { ready: check as () => boolean }, () => "ran");
      cue.task("fine", () => "ran");
      cue.start();
      const oddId = await cue.submit("odd");
      const fineId = await cue.submit("fine");
      await clock.advance(250);
      expect(await stateOf(cue, oddId)).toBe("pending");
      expect(await stateOf(cue, fineId)).toBe("completed");
      const reasons = cue.debugBlocked().map((b) => [b.work.id, b.reason]);
      expect(reasons).toEqual([[oddId, "not_ready"]]);
      await tick();
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it.each([
    ["throws a revoked proxy", () => { throw revokedProxy(); }],
    ["rejects with a null-prototype object", () => Promise.reject(Object.create(null))],
    ["returns a thenable whose then throws", () => ({ then() { throw null; } }) as unknown as boolean],
  ])("an isStale that %s counts as stale: the work runs", async (_label, check) => {
    const { cue, clock } = virtualCue();
    cue.task("t", { stale: check as () => boolean }, () => "ran");
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(await cue.get(id)).toMatchObject({ state: "completed", skipped: false, result: "ran" });
  });
});

// ---------------------------------------------------------------------------------------- 5

describe("fault 5: the key is free inside terminal listeners", () => {
  type Mode = "ok" | "fail" | "skip" | "cancel";
  it.each([
    ["onComplete", "ok"],
    ["onFailure", "fail"],
    ["onSkip", "skip"],
    ["onCancel", "cancel"],
  ] as const)("resubmitting with the same key from %s creates new work", async (listener, mode: Mode) => {
    const { cue, clock } = virtualCue();
    cue.task("t", (w: Work<{ mode: Mode }>) => {
      if (w.params.mode === "fail") throw new Error("fails");
      return w.params.mode;
    });
    cue.isStale((w) => (w.params as { mode: Mode }).mode !== "skip");
    let again: Promise<string> | undefined;
    const resubmit = (): void => {
      again ??= cue.submit("t", { mode: "ok" }, { key: "k" });
    };
    if (listener === "onComplete") cue.onComplete(resubmit);
    if (listener === "onFailure") cue.onFailure(resubmit);
    if (listener === "onSkip") cue.onSkip(resubmit);
    if (listener === "onCancel") cue.onCancel(resubmit);
    cue.start();
    const first = await cue.submit("t", { mode }, { key: "k", ...(mode === "cancel" ? { delay: 1000 } : {}) });
    if (mode === "cancel") expect(await cue.cancel(first)).toBe(true);
    await clock.runUntilIdle(() => cue.idle());
    expect(again).toBeDefined();
    const second = await again!;
    expect(second).not.toBe(first);
    await clock.runUntilIdle(() => cue.idle());
    expect(await cue.get(second)).toMatchObject({ state: "completed", result: "ok", key: "k" });
  });

  it("inside a cue.on('complete') listener the key is free as well", async () => {
    const { cue, clock } = virtualCue();
    cue.task("t", () => 1);
    let again: Promise<string> | undefined;
    cue.on("complete", () => { again ??= cue.submit("t", {}, { key: "k" }); });
    cue.start();
    const first = await cue.submit("t", {}, { key: "k" });
    await clock.runUntilIdle(() => cue.idle());
    expect(await again!).not.toBe(first);
  });
});

// ---------------------------------------------------------------------------------------- 6

describe("fault 6: durations past 2^31 - 1 ms", () => {
  describe("on the system clock", () => {
    it.each([2 ** 31, 2 ** 31 + 1000, 30 * DAY, Infinity])("systemClock.setTimeout(fn, %d) does not fire early", async (ms) => {
      let fired = false;
      const handle = systemClock.setTimeout(() => { fired = true; }, ms);
      try {
        await realDelay(50);
        expect(fired).toBe(false);
      } finally {
        systemClock.clearTimeout(handle);
      }
    });

    it("a long systemClock timer does not spin a 1 ms timer loop while it waits", async () => {
      let fired = false;
      let handle: unknown;
      const created = await timersCreatedDuring(async () => {
        handle = systemClock.setTimeout(() => { fired = true; }, 30 * DAY);
        await realDelay(50);
      });
      systemClock.clearTimeout(handle);
      expect(fired).toBe(false);
      expect(created).toBeLessThanOrEqual(5);
    });

    it("sleep(systemClock, Infinity) never resolves and sets few timers", async () => {
      const controller = new AbortController();
      let resolved = false;
      const created = await timersCreatedDuring(async () => {
        sleep(systemClock, Infinity, controller.signal).then(() => { resolved = true; }, () => {});
        await realDelay(50);
      });
      controller.abort();
      expect(resolved).toBe(false);
      expect(created).toBeLessThanOrEqual(5);
    });

    it('a handler with timeout "25d" is not timed out after a few milliseconds', async () => {
      const cue = new Cue();
      cue.task("t", { timeout: "25d" }, async (w) => {
        await realDelay(30);
        return w.signal.aborted ? "aborted" : "ok";
      });
      cue.start();
      const id = await cue.submit("t");
      const w = await cue.wait(id);
      await cue.stop();
      expect(w).toMatchObject({ state: "completed", result: "ok" });
    });

    it('a submit delay of "30d" holds the work without a 1 ms timer loop', async () => {
      const cue = new Cue();
      let ran = false;
      cue.task("t", () => { ran = true; });
      cue.start();
      let id = "";
      const created = await timersCreatedDuring(async () => {
        id = await cue.submit("t", {}, { delay: "30d" });
        await realDelay(50);
      });
      const [blocked] = cue.debugBlocked();
      expect(ran).toBe(false);
      expect(blocked).toMatchObject({ reason: "delayed" });
      expect(blocked!.until!).toBeGreaterThan(cue.clock.now() + 29 * DAY);
      expect(created).toBeLessThanOrEqual(5);
      await cue.cancel(id);
      await cue.stop();
    });

    it('stop({ timeout: "30d" }) waits for running work instead of abandoning it', async () => {
      const cue = new Cue();
      cue.task("t", async () => { await realDelay(30); return "ok"; });
      cue.start();
      const id = await cue.submit("t");
      while ((await stateOf(cue, id)) !== "running") await tick();
      await cue.stop({ timeout: "30d" });
      expect(await cue.get(id)).toMatchObject({ state: "completed", result: "ok" });
    });

    it('pendingTimeout and stallTimeout of "30d" neither fail pending work early nor spin', async () => {
      const cue = new Cue({ pendingTimeout: "30d", stallTimeout: "30d", recheckInterval: "1h" });
      cue.task("t", { ready: () => false }, () => 1);
      cue.start();
      let id = "";
      const created = await timersCreatedDuring(async () => {
        id = await cue.submit("t");
        await realDelay(50);
      });
      expect(await stateOf(cue, id)).toBe("pending");
      expect(created).toBeLessThanOrEqual(5);
      await cue.cancel(id);
      await cue.stop();
    });

    it('recheckInterval "30d" does not ask isReady every millisecond', async () => {
      let asked = 0;
      const cue = new Cue({ recheckInterval: "30d" });
      cue.task("t", { ready: () => { asked++; return false; } }, () => 1);
      cue.start();
      const id = await cue.submit("t");
      await realDelay(50);
      expect(asked).toBeLessThanOrEqual(3);
      await cue.cancel(id);
      await cue.stop();
    });
  });

  describe("on a VirtualClock", () => {
    it("setTimeout(fn, Infinity) never fires and runUntilIdle does not jump time to Infinity", async () => {
      const clock = new VirtualClock(0);
      let fired = false;
      clock.setTimeout(() => { fired = true; }, Infinity);
      await clock.advance(1e15);
      expect(fired).toBe(false);
      await expect(clock.runUntilIdle(() => new Promise<never>(() => {}), 1000)).rejects.toThrow();
      expect(fired).toBe(false);
      expect(Number.isFinite(clock.now())).toBe(true);
    });

    it("sleep(clock, Infinity) never resolves however far time moves", async () => {
      const clock = new VirtualClock(0);
      let resolved = false;
      void sleep(clock, Infinity).then(() => { resolved = true; });
      await clock.advance(1e15);
      expect(resolved).toBe(false);
      expect(Number.isFinite(clock.now())).toBe(true);
    });

    it('a "25d" handler timeout fires at 25 days, not before', async () => {
      const { cue, clock } = virtualCue();
      cue.onFailure(() => {});
      cue.task("t", { timeout: "25d" }, async (w) => { await sleep(cue.clock, 30 * DAY, w.signal); });
      cue.start();
      const id = await cue.submit("t");
      await clock.advance(25 * DAY - 1);
      expect(await stateOf(cue, id)).toBe("running");
      await clock.advance(1);
      const w = (await cue.get(id))!;
      expect(w.state).toBe("failed");
      expect(w.error).toMatchObject({ name: "TimeoutError", kind: "handler" });
    });

    it('a "30d" submit delay starts the work at 30 days', async () => {
      const { cue, clock } = virtualCue();
      let startedAt: number | undefined;
      cue.task("t", () => { startedAt = clock.now(); });
      cue.start();
      await cue.submit("t", {}, { delay: "30d" });
      await clock.runUntilIdle(() => cue.idle());
      expect(startedAt).toBe(30 * DAY);
    });
  });
});

// ---------------------------------------------------------------------------------------- 7

describe("fault 7: checks that never settle", () => {
  const never = (): Promise<boolean> => new Promise<boolean>(() => {});

  it("cancelling a work frees its checkConcurrency slot at once", async () => {
    const { cue, clock } = virtualCue({ checkConcurrency: 2 });
    cue.task("hang", { ready: never }, () => "hang");
    cue.task("ok", { ready: async () => true }, () => "ok");
    cue.start();
    const hung = [await cue.submit("hang"), await cue.submit("hang")];
    const ok = await cue.submit("ok");
    await clock.advance(10);
    expect(await stateOf(cue, ok)).toBe("pending"); // both slots are held
    for (const id of hung) expect(await cue.cancel(id)).toBe(true);
    await clock.advance(10);
    expect(await stateOf(cue, ok)).toBe("completed");
  });

  it("cancelling a blocked work whose recheck never settles frees the slot", async () => {
    const { cue, clock } = virtualCue({ checkConcurrency: 1 });
    let calls = 0;
    cue.task("hang", { ready: () => (++calls === 1 ? false : never()) }, () => "hang");
    cue.task("ok", { ready: async () => true }, () => "ok");
    cue.start();
    const hung = await cue.submit("hang");
    await clock.advance(150); // blocked, then a recheck that never settles
    expect(calls).toBeGreaterThanOrEqual(2);
    const ok = await cue.submit("ok");
    await clock.advance(10);
    expect(await stateOf(cue, ok)).toBe("pending");
    await cue.cancel(hung);
    await clock.advance(10);
    expect(await stateOf(cue, ok)).toBe("completed");
  });

  it("a work that times out (pendingTimeout) while its check hangs frees the slot", async () => {
    const { cue, clock } = virtualCue({ checkConcurrency: 1, pendingTimeout: 100 });
    cue.onFailure(() => {});
    cue.task("hang", { ready: never }, () => "hang");
    cue.task("ok", { ready: async () => true }, () => "ok");
    cue.start();
    const hung = await cue.submit("hang");
    await clock.advance(50);
    const ok = await cue.submit("ok");
    await clock.advance(60); // the hung work timed out at 100; "ok" is due at 150
    expect(await stateOf(cue, hung)).toBe("failed");
    expect(await stateOf(cue, ok)).toBe("completed");
  });

  it("an isReady past checkTimeout counts as not ready, frees its slot, and debugBlocked() says so", async () => {
    const { cue, clock } = virtualCue({ checkTimeout: "5s", checkConcurrency: 1, recheckInterval: "1h" });
    cue.task("hang", { ready: never }, () => "hang");
    cue.task("ok", { ready: async () => true }, async () => { await sleep(cue.clock, 1000); return "ok"; });
    const blocks: { id: string; reason: string }[] = [];
    cue.on("block", ({ work, reason }) => { blocks.push({ id: work.id, reason }); });
    cue.start();
    const hung = await cue.submit("hang");
    const ok = await cue.submit("ok");
    await clock.advance(4999);
    expect(await stateOf(cue, ok)).toBe("pending");
    await clock.advance(1);
    expect(blocks).toEqual([{ id: hung, reason: "check_timeout" }]);
    const entry = cue.debugBlocked().find((b) => b.work.id === hung)!;
    expect(entry.reason).toBe("not_ready");
    expect(entry.details).toMatch(/checkTimeout/);
    expect(await stateOf(cue, ok)).toBe("running"); // screened in the freed slot
    await clock.advance(1000);
    expect(await stateOf(cue, ok)).toBe("completed");
    expect(await stateOf(cue, hung)).toBe("pending");
  });

  it("an isStale past checkTimeout counts as stale: the work runs", async () => {
    const { cue, clock } = virtualCue({ checkTimeout: 1000 });
    cue.task("t", { stale: never }, () => "ran");
    cue.start();
    const id = await cue.submit("t");
    await clock.advance(999);
    expect(await stateOf(cue, id)).toBe("pending");
    await clock.advance(1);
    await clock.runUntilIdle(() => cue.idle());
    expect(await cue.get(id)).toMatchObject({ state: "completed", skipped: false, result: "ran" });
  });

  it("checkTimeout is validated", () => {
    for (const bad of [-1, "soon", Number.NaN]) {
      expect(() => new Cue({ checkTimeout: bad })).toThrow(ConfigurationError);
      expect(() => new Cue({ checkTimeout: bad })).toThrow(/checkTimeout/);
    }
  });
});

// ---------------------------------------------------------------------------------------- 8

describe("fault 8: no head-of-line blocking across lanes", () => {
  it("a work with no checks on a free service starts while another lane waits for a check slot", async () => {
    const { cue, clock } = virtualCue({ checkConcurrency: 1 });
    cue.service("a", { concurrent: 1 });
    cue.service("b");
    cue.task("A", { uses: "a", ready: async () => { await sleep(clock, 10); return true; } }, async () => { await sleep(clock, 100); return "A"; });
    cue.task("hog", { ready: () => new Promise<boolean>(() => {}) }, () => "hog");
    cue.task("B", { uses: "b" }, () => "B");
    cue.start();
    const a1 = await cue.submit("A");
    const a2 = await cue.submit("A");
    await clock.advance(50); // a1 runs; a2 was screened and waits for service a
    const hog = await cue.submit("hog"); // holds the only check slot for good
    await clock.advance(100); // a1 finished: a2 must be checked again before it starts, and cannot be
    expect(await stateOf(cue, a1)).toBe("completed");
    const b = await cue.submit("B");
    await clock.advance(10);
    expect(await cue.get(b)).toMatchObject({ state: "completed", result: "B" });
    expect(await stateOf(cue, a2)).toBe("pending");
    expect(await stateOf(cue, hog)).toBe("pending");
  });
});

// ---------------------------------------------------------------------------------------- 9

describe("fault 9: memory is released past maxFinished", () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;

  async function collect(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await tick();
      gc();
    }
  }

  function aliveCount(refs: WeakRef<object>[]): number {
    return refs.filter((r) => r.deref() !== undefined).length;
  }

  it.each([
    ["pendingTimeout", { pendingTimeout: "1h" }],
    ["pendingWarnAfter", { pendingWarnAfter: "1h" }],
    ["both", { pendingTimeout: "1h", pendingWarnAfter: "30m" }],
  ])("finished works are not held by %s until its deadline", async (_label, options) => {
    const { cue, clock } = virtualCue({ ...options, maxFinished: 10 });
    const refs: WeakRef<object>[] = [];
    cue.task("t", () => "done");
    cue.onComplete((w) => { refs.push(new WeakRef(w)); });
    cue.start();
    for (let i = 0; i < 300; i++) await cue.submit("t", { payload: new Array<number>(100).fill(i) });
    await clock.runUntilIdle(() => cue.idle());
    expect(refs).toHaveLength(300);
    await collect();
    expect(aliveCount(refs)).toBeLessThanOrEqual(20);
  });

  it("works cancelled while queued are not held", async () => {
    const { cue, clock } = virtualCue({ maxFinished: 10 });
    cue.service("one", { concurrent: 1 });
    cue.task("hog", { uses: "one" }, async (w) => { await sleep(cue.clock, 3_600_000, w.signal); });
    cue.task("t", { uses: "one" }, () => "done");
    const refs: WeakRef<object>[] = [];
    cue.onCancel((w) => { if (w.task === "t") refs.push(new WeakRef(w)); });
    cue.start();
    await cue.submit("hog");
    await clock.advance(1);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(await cue.submit("t", { payload: new Array<number>(100).fill(i) }));
    await clock.advance(1);
    for (const id of ids) expect(await cue.cancel(id)).toBe(true);
    ids.length = 0;
    expect(refs).toHaveLength(300);
    await collect();
    expect(aliveCount(refs)).toBeLessThanOrEqual(20);
  });

  it("works timed out (pendingTimeout) while queued are not held", async () => {
    const { cue, clock } = virtualCue({ maxFinished: 10, pendingTimeout: 100 });
    cue.service("one", { concurrent: 1 });
    cue.task("hog", { uses: "one" }, async (w) => { await sleep(cue.clock, 3_600_000, w.signal); });
    cue.task("t", { uses: "one" }, () => "done");
    const refs: WeakRef<object>[] = [];
    cue.onFailure((w) => { if (w.task === "t") refs.push(new WeakRef(w)); });
    cue.start();
    await cue.submit("hog");
    await clock.advance(1);
    for (let i = 0; i < 300; i++) await cue.submit("t", { payload: new Array<number>(100).fill(i) });
    await clock.advance(200);
    expect(refs).toHaveLength(300);
    await collect();
    expect(aliveCount(refs)).toBeLessThanOrEqual(20);
  });
});

// ---------------------------------------------------------------------------------------- 10

describe("fault 10: RateLimited retryAfter", () => {
  it.each([Number.NaN, -1, "soon"])("new RateLimited({ retryAfter: %s }) throws a ConfigurationError naming the value", (retryAfter) => {
    let error: unknown;
    try {
      new RateLimited({ retryAfter: retryAfter as number });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe("ERR_INVALID_OPTION");
    expect((error as Error).message).toContain(String(retryAfter));
    expect((error as Error).message).toMatch(/retryAfter/);
  });

  it("retryAfter 0, a number and a duration string are accepted", () => {
    for (const retryAfter of [0, 50, "50ms", "2s"]) expect(new RateLimited({ retryAfter }).retryAfter).toBe(retryAfter);
  });

  it.each([
    ["a sync handler on a service", true, false],
    ["an async handler on a service", true, true],
    ["a sync handler without services", false, false],
    ["an async handler without services", false, true],
  ])("RateLimited({ retryAfter: 0 }) thrown in a loop by %s lets the event loop turn and can be cancelled", async (_label, withService, async) => {
    const cue = new Cue();
    if (withService) cue.service("api", { concurrent: 1 });
    let calls = 0;
    const VALVE = 20_000; // reached only if the loop never yields
    const attempt = (): string => {
      calls++;
      if (calls >= VALVE) return "gave up";
      throw new RateLimited({ retryAfter: 0 });
    };
    cue.task("t", withService ? { uses: "api" } : {}, async ? async () => attempt() : attempt);
    cue.start();
    const id = await cue.submit("t");
    // Real timers keep firing while it pushes back (the event loop turns), and it is requeued
    // without using attempts. Wait on that rather than a fixed 5 ms: on a loaded machine one
    // turn of the loop can take longer than that.
    const until = Date.now() + 5000;
    while (calls < 3 && Date.now() < until) await realDelay(1);
    expect(await cue.cancel(id)).toBe(true);
    const atCancel = calls;
    await realDelay(5);
    expect(calls).toBe(atCancel);
    expect(calls).toBeGreaterThan(1); // it was requeued, without using attempts
    expect(calls).toBeLessThan(VALVE);
    expect(await stateOf(cue, id)).toBe("cancelled");
    await cue.stop();
  });
});

// ---------------------------------------------------------------------------------------- 11

describe("fault 11: start() while an earlier stop({ timeout }) is pending", () => {
  it("the old stop does not cancel the new run's work", async () => {
    const { cue, clock } = virtualCue();
    cue.task("t", async (w: Work<{ ms: number }>) => { await sleep(cue.clock, w.params.ms, w.signal); return "done"; });
    cue.start();
    await cue.submit("t", { ms: 1000 });
    await clock.advance(1);
    let stopSettled = false;
    void cue.stop({ timeout: 100 }).then(() => { stopSettled = true; });
    cue.start();
    const fresh = await cue.submit("t", { ms: 300 });
    await clock.advance(1);
    expect(await stateOf(cue, fresh)).toBe("running");
    await clock.advance(200); // the old stop's timeout has passed
    expect(await stateOf(cue, fresh)).toBe("running");
    await clock.runUntilIdle(() => cue.idle());
    expect(await cue.get(fresh)).toMatchObject({ state: "completed", result: "done" });
    expect(stopSettled).toBe(true);
    expect(cue.status().started).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------- 12

describe("fault 12: every option and argument is validated", () => {
  function check(error: unknown, mentions: (string | RegExp)[]): void {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).name).toBe("ConfigurationError");
    expect((error as ConfigurationError).code).toMatch(/^ERR_(INVALID_OPTION|UNKNOWN_[A-Z_]+)$/);
    for (const m of mentions) {
      if (typeof m === "string") expect((error as Error).message).toContain(m);
      else expect((error as Error).message).toMatch(m);
    }
  }

  function throwsConfig(fn: () => unknown, mentions: (string | RegExp)[]): void {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error, "expected a ConfigurationError, nothing was thrown").toBeDefined();
    check(error, mentions);
  }

  async function rejectsConfig(fn: () => Promise<unknown>, mentions: (string | RegExp)[]): Promise<void> {
    let promise: Promise<unknown> | undefined;
    expect(() => { promise = fn(); }, "promise-returning methods reject rather than throw").not.toThrow();
    let error: unknown;
    let rejected = false;
    try {
      await promise;
    } catch (e) {
      rejected = true;
      error = e;
    }
    expect(rejected, "expected a rejection").toBe(true);
    check(error, mentions);
  }

  const fn = (): void => {};
  const handler = (): number => 1;

  function setup(): Cue {
    const cue = new Cue({ clock: new VirtualClock(0) });
    cue.service("a");
    cue.task("t", handler);
    return cue;
  }

  it.each([
    ["new Cue({ concurent: 3 })", () => new Cue({ concurent: 3 } as never), ["concurent", "3"]],
    ["new Cue({ onListenerError: 5 })", () => new Cue({ onListenerError: 5 } as never), ["onListenerError", "5", /function/]],
    ["new Cue({ random: 'x' })", () => new Cue({ random: "x" } as never), ["random", /function/]],
    ["new Cue({ maxFinished: -1 })", () => new Cue({ maxFinished: -1 }), ["maxFinished", "-1"]],
    ["new Cue({ checkTimeout: 'soon' })", () => new Cue({ checkTimeout: "soon" }), ["checkTimeout", "soon"]],
    ["cue.service('b', { concurent: 1 })", () => setup().service("b", { concurent: 1 } as never), ["concurent", "concurrent"]],
    ["a service name with a control character", () => setup().service("a\u0000b"), [/name/i]],
    ["a service name that is not a string", () => setup().service(42 as never), [/name/i, "42"]],
    ["cue.task('u', { use: 'a' }, h)", () => setup().task("u", { use: "a" } as never, handler), [/\buse\b/, "uses"]],
    ["a misspelled retry option", () => setup().task("u", { retry: { attempts: 2, delai: 5 } } as never, handler), ["delai"]],
    ["a task handler that is not a function", () => setup().task("u", {}, "nope" as never), ["nope", /function/]],
    ["cue.isReady(42)", () => setup().isReady(42 as never), ["isReady", "42", /function/]],
    ["cue.isStale('x')", () => setup().isStale("x" as never), ["isStale", /function/]],
    ["cue.priority(null)", () => setup().priority(null as never), ["priority", "null", /function/]],
    ["cue.on('start', 'nope')", () => setup().on("start", "nope" as never), ["nope", /function/]],
    ["cue.on('bogus', fn)", () => setup().on("bogus" as never, fn), ["bogus", "start"]],
    ["cue.onComplete(5)", () => setup().onComplete(5 as never), ["5", /function/]],
    ["cue.use(42)", () => setup().use(42 as never), ["42", /function/]],
  ] as [string, () => unknown, (string | RegExp)[]][])("%s throws a ConfigurationError naming the option and value", (_label, call, mentions) => {
    throwsConfig(call, mentions);
  });

  it.each([
    ["cue.get(42)", (cue: Cue) => cue.get(42 as never), ["42"]],
    ["cue.cancel({})", (cue: Cue) => cue.cancel({} as never), [/id/]],
    ["cue.wait(42)", (cue: Cue) => cue.wait(42 as never), ["42"]],
    ["cue.list({ state: 'done' })", (cue: Cue) => cue.list({ state: "done" } as never), ["state", "done", "pending"]],
    ["cue.list({ limit: -1 })", (cue: Cue) => cue.list({ limit: -1 }), ["limit", "-1"]],
    ["cue.list({ task: 5 })", (cue: Cue) => cue.list({ task: 5 } as never), ["task", "5"]],
    ["cue.list({ sate: 'pending' })", (cue: Cue) => cue.list({ sate: "pending" } as never), ["sate"]],
    ["submit('t', {}, { delai: 5 })", (cue: Cue) => cue.submit("t", {}, { delai: 5 } as never), ["delai", "delay"]],
    ["submit(42)", (cue: Cue) => cue.submit(42 as never), ["42"]],
    ["cue.stop({ timout: 5 })", (cue: Cue) => cue.stop({ timout: 5 } as never), ["timout"]],
    ["cue.idle({ signal: 5 })", (cue: Cue) => cue.idle({ signal: 5 } as never), ["signal"]],
  ] as [string, (cue: Cue) => Promise<unknown>, (string | RegExp)[]][])("%s rejects with a ConfigurationError naming the option and value", async (_label, call, mentions) => {
    const cue = setup();
    await rejectsConfig(() => call(cue), mentions);
  });

  it("a rejected call changes nothing", async () => {
    const cue = setup();
    expect(() => cue.service("b", { concurent: 1 } as never)).toThrow(ConfigurationError);
    cue.service("b", { concurrent: 1 }); // the name was not taken by the failed call
    await expect(cue.submit("t", {}, { delai: 5 } as never)).rejects.toThrow(ConfigurationError);
    expect(cue.status().pending).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------- 13

describe("fault 13: params default to {}", () => {
  it("submit(task) without params gives work.params {}", async () => {
    const { cue, clock } = virtualCue();
    let seen: unknown;
    cue.task("t", (w: Work<{ x?: number }>) => { seen = w.params; return w.params.x ?? "no x"; });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(seen).toEqual({});
    expect(await cue.get(id)).toMatchObject({ state: "completed", result: "no x", params: {} });
  });

  it("given params are passed by reference, not copied", async () => {
    const { cue, clock } = virtualCue();
    let seen: unknown;
    cue.task("t", (w) => { seen = w.params; });
    cue.start();
    const params = { page: 1 };
    await cue.submit("t", params);
    await clock.runUntilIdle(() => cue.idle());
    expect(seen).toBe(params);
  });
});

// ---------------------------------------------------------------------------------------- 14

describe("fault 14: failures and stalls are never silent", () => {
  it("with no fail listener, a failure prints one line naming task, id and error message", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { cue, clock } = virtualCue();
    cue.task("resize", () => { throw new Error("disk full"); });
    cue.start();
    const id = await cue.submit("resize");
    await clock.runUntilIdle(() => cue.idle());
    expect(warn).toHaveBeenCalledTimes(1);
    const text = format(...warn.mock.calls[0]!);
    expect(text).toContain("resize");
    expect(text).toContain(id);
    expect(text).toContain("disk full");
    expect(text).not.toContain("\n");
  });

  it("a failure with an odd thrown value still prints one line", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { cue, clock } = virtualCue();
    cue.task("odd", () => { throw Object.create(null) as object; });
    cue.start();
    const id = await cue.submit("odd");
    await clock.runUntilIdle(() => cue.idle());
    expect(warn).toHaveBeenCalledTimes(1);
    const text = format(...warn.mock.calls[0]!);
    expect(text).toContain("odd");
    expect(text).toContain(id);
    expect(text).not.toContain("\n");
  });

  it.each([
    ["an onFailure listener", (cue: Cue) => cue.onFailure(() => {})],
    ["a cue.on('fail') listener", (cue: Cue) => cue.on("fail", () => {})],
  ])("with %s nothing is printed", async (_label, listen) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { cue, clock } = virtualCue();
    cue.task("resize", () => { throw new Error("disk full"); });
    listen(cue);
    cue.start();
    await cue.submit("resize");
    await clock.runUntilIdle(() => cue.idle());
    expect(warn).not.toHaveBeenCalled();
  });

  it("the printed stall warning names the top reasons and whole milliseconds", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { cue, clock } = virtualCue({ stallWarnAfter: 1000.5 });
    cue.task("t", { ready: () => false }, () => 1);
    cue.start();
    await clock.advance(0.3);
    await cue.submit("t");
    await cue.submit("t");
    await clock.advance(2000);
    expect(warn).toHaveBeenCalledTimes(1);
    const text = format(...warn.mock.calls[0]!);
    expect(text).toMatch(/stall/i);
    expect(text).toMatch(/not_ready|not ready/);
    const durations = [...text.matchAll(/(\d+(?:\.\d+)?)\s*ms\b/g)].map((m) => m[1]!);
    expect(durations.length).toBeGreaterThan(0);
    for (const d of durations) expect(d).toMatch(/^\d+$/);
  });

  it("the stall event carries the pending count and reasons, and then nothing is printed", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { cue, clock } = virtualCue({ stallWarnAfter: 1000 });
    cue.task("t", { ready: () => false }, () => 1);
    const stalls: { sinceProgressMs: number; pending: number; reasons: { reason: string; count: number }[] }[] = [];
    cue.on("stall", (payload) => { stalls.push(payload); });
    cue.start();
    await cue.submit("t");
    await cue.submit("t");
    await clock.advance(3000);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toMatchObject({ pending: 2, reasons: [{ reason: "not_ready", count: 2 }] });
    expect(stalls[0]!.sinceProgressMs).toBeGreaterThanOrEqual(1000);
    expect(warn).not.toHaveBeenCalled();
  });
});

// ---------------------------------------------------------------------------------------- 15

describe("fault 15: steering errors are recognised by code, not instanceof", () => {
  /** What a RateLimited, Permanent or Retry from another copy of runcue looks like. */
  class Foreign extends Error {
    constructor(name: string, readonly code: string, fields: Record<string, unknown>) {
      super(`${name} from another copy of runcue`);
      this.name = name;
      Object.assign(this, fields);
    }
  }

  it("the guards recognise this copy's errors and tell them apart", () => {
    expect(isRetry(new Retry())).toBe(true);
    expect(isPermanent(new Permanent())).toBe(true);
    expect(isRateLimited(new RateLimited({ retryAfter: 5 }))).toBe(true);
    expect(isRetry(new Permanent())).toBe(false);
    expect(isPermanent(new RateLimited({ retryAfter: 5 }))).toBe(false);
    expect(isRateLimited(new Retry())).toBe(false);
  });

  it("the guards recognise errors of another copy by their code", () => {
    expect(isRateLimited({ name: "RateLimited", code: "ERR_RATE_LIMITED", retryAfter: 100 })).toBe(true);
    expect(isRateLimited(new Foreign("RateLimited", "ERR_RATE_LIMITED", { retryAfter: 100 }))).toBe(true);
    expect(isPermanent(new Foreign("Permanent", "ERR_PERMANENT", {}))).toBe(true);
    expect(isRetry(new Foreign("Retry", "ERR_RETRY", { delay: 50 }))).toBe(true);
  });

  it.each([
    ["undefined", () => undefined],
    ["null", () => null],
    ["0", () => 0],
    ["a string", () => "ERR_RETRY"],
    ["{}", () => ({})],
    ["a plain Error", () => new Error("x")],
    ["a null-prototype object", () => Object.create(null) as object],
    ["a revoked proxy", revokedProxy],
  ])("the guards say false for %s and never throw", (_label, make) => {
    const value = make();
    expect(isRetry(value)).toBe(false);
    expect(isPermanent(value)).toBe(false);
    expect(isRateLimited(value)).toBe(false);
    expect(isTimeoutError(value)).toBe(false);
    expect(isConfigurationError(value)).toBe(false);
  });

  it("isTimeoutError and isConfigurationError recognise runcue's own errors, from any copy", async () => {
    const { cue, clock } = virtualCue();
    cue.onFailure(() => {});
    cue.task("slow", { timeout: 10 }, () => sleep(clock, 100));
    cue.start();
    const id = await cue.submit("slow");
    await clock.runUntilIdle(() => cue.idle());
    const error = (await cue.get(id))?.error;
    expect(isTimeoutError(error)).toBe(true);
    expect(isTimeoutError(new Foreign("TimeoutError", "ERR_TIMEOUT", { kind: "handler" }))).toBe(true);
    expect(isTimeoutError(new Retry())).toBe(false);
    expect(isConfigurationError(new ConfigurationError("ERR_INVALID_OPTION", "bad"))).toBe(true);
    expect(isConfigurationError(new Foreign("ConfigurationError", "ERR_INVALID_OPTION", {}))).toBe(true);
    expect(isConfigurationError(error)).toBe(false);
  });

  it("a ConfigurationError from another copy fails the work at once, like this copy's", async () => {
    const { cue, clock } = virtualCue();
    cue.onFailure(() => {});
    let calls = 0;
    cue.task("t", { retry: { attempts: 3, delay: 10 } }, () => {
      calls++;
      throw new Foreign("ConfigurationError", "ERR_INVALID_OPTION", {});
    });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(calls).toBe(1);
    expect(await cue.get(id)).toMatchObject({ state: "failed", attempt: 1 });
  });

  it.each([
    ["a plain object", () => ({ name: "RateLimited", code: "ERR_RATE_LIMITED", retryAfter: 100 })],
    ["an Error of another class", () => new Foreign("RateLimited", "ERR_RATE_LIMITED", { retryAfter: 100 })],
  ])("a RateLimited from another copy (%s) is honoured as pushback: paused, requeued, no attempt used", async (_label, make) => {
    const { cue, clock } = virtualCue();
    cue.service("api");
    const starts: number[] = [];
    const retries: number[] = [];
    cue.task("t", { uses: "api" }, () => {
      starts.push(clock.now());
      if (starts.length === 1) throw make();
      return "ok";
    });
    cue.onRetry((_w, _e, delayMs) => retries.push(delayMs));
    cue.start();
    const id = await cue.submit("t");
    await clock.advance(1);
    expect(cue.status().services[0]!.pausedUntil).toBe(100);
    await clock.runUntilIdle(() => cue.idle());
    expect(await cue.get(id)).toMatchObject({ state: "completed", result: "ok", attempt: 1 });
    expect(starts).toEqual([0, 100]);
    expect(retries).toEqual([100]);
  });

  it("a Permanent from another copy fails the work without retries", async () => {
    const { cue, clock } = virtualCue();
    cue.onFailure(() => {});
    let calls = 0;
    cue.task("t", { retry: { attempts: 3, delay: 10 } }, () => {
      calls++;
      throw new Foreign("Permanent", "ERR_PERMANENT", {});
    });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(calls).toBe(1);
    expect(await cue.get(id)).toMatchObject({ state: "failed", attempt: 1 });
  });

  it("a Retry from another copy retries after its own delay, not the backoff", async () => {
    const { cue, clock } = virtualCue();
    const starts: number[] = [];
    cue.task("t", { retry: { attempts: 2, delay: "1s" } }, () => {
      starts.push(clock.now());
      if (starts.length === 1) throw new Foreign("Retry", "ERR_RETRY", { delay: 50 });
      return "ok";
    });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([0, 50]);
    expect(await cue.get(id)).toMatchObject({ state: "completed", attempt: 2 });
  });
});
