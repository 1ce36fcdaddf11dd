// Issue 8: limits that match real APIs: weighted windows, per-submit and per-task costs with
// reports, burst, per-key limits, live updates, server hints, and service handles.
import { describe, expect, it } from "vitest";
import { ConfigurationError, RateLimited, parseRate, sleep, type Work } from "runcue";
import { maxInWindow, maxWeightInWindow, virtualCue } from "./helpers.js";

describe("rate strings", () => {
  it("accept ms, a count before the unit, and a measure", () => {
    expect(parseRate(["1/50ms", "100/10s", "90000 tokens/min"]).map((r) => [r.limit, r.intervalMs, r.measure])).toEqual([
      [1, 50, undefined], [100, 10_000, undefined], [90_000, 60_000, "tokens"],
    ]);
    expect(parseRate({ limit: 5, interval: "1m", measure: "tokens" })[0]).toMatchObject({ measure: "tokens", label: "5 tokens per 1m" });
  });
});

describe("weighted windows", () => {
  it("admit a work only if its cost fits in what is left of the window", async () => {
    const { cue, clock } = virtualCue();
    cue.service("llm", { rate: "1000 tokens/min" });
    const starts: [number, number][] = [];
    cue.task("complete", { uses: "llm", cost: (w: Work<{ tokens: number }>) => ({ tokens: w.params.tokens }) }, async (w: Work<{ tokens: number }>) => {
      starts.push([clock.now(), w.params.tokens]);
      await sleep(clock, 100);
    });
    cue.start();
    for (const tokens of [400, 400, 300, 100, 900, 50]) await cue.submit("complete", { tokens });
    await clock.runUntilIdle(() => cue.idle());
    expect(starts.map(([at]) => at)).toEqual([0, 0, 60_000, 60_000, 120_000, 120_000]);
    expect(maxWeightInWindow(starts, 60_000)).toBeLessThanOrEqual(1000);
  });

  it("a submit's cost wins over the task's; a missing measure counts 0; a cost above the whole limit is rejected at submit", async () => {
    const { cue, clock } = virtualCue();
    cue.service("llm", { rate: ["2/s", "100 tokens/s"] });
    const ran: string[] = [];
    cue.task("t", { uses: "llm", cost: () => ({ tokens: 60 }) }, (w: Work<{ n: string }>) => { ran.push(`${w.params.n}@${clock.now()}`); });
    cue.start();
    await cue.submit("t", { n: "a" });
    await cue.submit("t", { n: "b" }, { cost: { tokens: 10 } }); // 60 + 10 fit
    await cue.submit("t", { n: "c" }, { cost: {} }); // no tokens, but the 2/s count window is full
    await expect(cue.submit("t", { n: "d" }, { cost: { tokens: 101 } })).rejects.toThrow(/tokens = 101 exceeds the whole limit 100 tokens of service "llm"/);
    await expect(cue.submit("t", { n: "e" }, { cost: { tokens: -1 } })).rejects.toThrow(ConfigurationError);
    await clock.runUntilIdle(() => cue.idle());
    expect(ran).toEqual(["a@0", "b@0", "c@1000"]);
    expect(cue.summary().totals.submitted).toBe(3); // rejected submits create nothing
  });

  it("work.report() settles the estimate: an over-estimate frees budget at once, an under-estimate makes the next starts wait", async () => {
    const { cue, clock } = virtualCue();
    cue.service("llm", { rate: "1000 tokens/min" });
    const starts: [string, number][] = [];
    cue.task("t", { uses: "llm", cost: (w: Work<{ est: number; real: number }>) => ({ tokens: w.params.est }) }, (w: Work<{ est: number; real: number; n: string }>) => {
      starts.push([w.params.n, clock.now()]);
      w.report({ tokens: w.params.real });
    });
    cue.start();
    await cue.submit("t", { n: "over", est: 900, real: 100 });
    await cue.submit("t", { n: "next", est: 800, real: 800 }); // fits once "over" reported 100
    await cue.submit("t", { n: "under", est: 50, real: 1000 }, { delay: 1 });
    await cue.submit("t", { n: "after", est: 10, real: 10 }, { delay: 2 });
    await clock.runUntilIdle(() => cue.idle());
    const at = Object.fromEntries(starts);
    expect(at.over).toBe(0);
    expect(at.next).toBe(0);
    expect(at.under).toBe(1); // 100 + 800 + 50 fit
    expect(at.after).toBe(60_001); // "under" reported 1000 (window over budget): nothing fits until it leaves
  });

  it("work.report() rejects an unknown measure, a bad figure, and a work that is not running", async () => {
    const { cue, clock } = virtualCue();
    cue.service("llm", { rate: "100 tokens/s" });
    const errors: string[] = [];
    let kept: Work | undefined;
    cue.task("t", { uses: "llm" }, (w: Work) => {
      kept = w;
      for (const bad of [{ dollars: 1 }, { tokens: -5 }, { tokens: Number.NaN }]) {
        try {
          w.report(bad);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    });
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(errors).toEqual([
      expect.stringMatching(/Unknown measure "dollars".*its services count: tokens/),
      expect.stringMatching(/tokens = -5/),
      expect.stringMatching(/tokens = NaN/),
    ]);
    expect(() => kept!.report({ tokens: 1 })).toThrow(/for a running work; work 1 \(t\) is completed/);
  });
});

describe("burst", () => {
  it("is exact: never more than `burst` starts in any burst × interval / limit window, and the rate still holds", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { rate: "20/s", burst: 2 });
    const starts: number[] = [];
    cue.task("t", { uses: "api" }, () => { starts.push(clock.now()); });
    cue.start();
    for (let i = 0; i < 60; i++) await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toHaveLength(60);
    expect(maxInWindow(starts, 100)).toBe(2);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(20);
    // burst: 1 spaces starts evenly
    const even = virtualCue();
    even.cue.service("api", { rate: "10/s", burst: 1 });
    const t2: number[] = [];
    even.cue.task("t", { uses: "api" }, () => { t2.push(even.clock.now()); });
    even.cue.start();
    for (let i = 0; i < 5; i++) await even.cue.submit("t");
    await even.clock.runUntilIdle(() => even.cue.idle());
    expect(t2).toEqual([0, 100, 200, 300, 400]);
  });

  it("rejects a burst that is not a positive integer, or a burst without a count rate", () => {
    const { cue } = virtualCue();
    expect(() => cue.service("a", { rate: "5/s", burst: 0 })).toThrow(/Invalid burst for service "a": 0/);
    expect(() => cue.service("b", { rate: "100 tokens/s", burst: 2 })).toThrow(/has none/);
  });
});

describe("per-key limits", () => {
  it("give each key its own windows and slots, and name the key in status and debugBlocked", async () => {
    const { cue, clock } = virtualCue();
    cue.service("gh", { rate: "2/s", concurrent: 1, per: (w) => (w.params as { token: string }).token });
    const starts: Record<string, number[]> = {};
    cue.task("call", { uses: "gh" }, async (w: Work<{ token: string }>) => {
      (starts[w.params.token] ??= []).push(clock.now());
      await sleep(clock, 10);
    });
    cue.start();
    for (const token of ["a", "a", "a", "b", "b", "b"]) await cue.submit("call", { token });
    await clock.advance(1);
    const status = cue.service("gh").status();
    expect(status.keys?.map((k) => [k.key, k.active])).toEqual([["a", 1], ["b", 1]]);
    expect(cue.debugBlocked().map((b) => b.details).join("\n")).toMatch(/key "a"/);
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual({ a: [0, 10, 1000], b: [0, 10, 1000] });
  });

  it("keys of two per services never share a lane, whatever characters they hold", async () => {
    const { cue, clock } = virtualCue();
    cue.service("a", { concurrent: 1, per: (w) => (w.params as { a: string }).a });
    cue.service("b", { concurrent: 1, per: (w) => (w.params as { b: string }).b });
    const spans: [string, number, number][] = [];
    cue.task("t", { uses: ["a", "b"] }, async (w: Work<{ a: string; b: string; ms: number }>) => {
      const at = clock.now();
      await sleep(clock, w.params.ms);
      spans.push([w.params.a, at, clock.now()]);
    });
    cue.start();
    // Joined with a separator, the first two would be one lane: the second would run under the
    // first's keys (a = "x\u0001y"), so beside the third, whose key a = "x" is the same as its own.
    await cue.submit("t", { a: "x\u0001y", b: "z", ms: 300 });
    await cue.submit("t", { a: "x", b: "y\u0001z", ms: 100 });
    await cue.submit("t", { a: "x", b: "q", ms: 500 });
    await clock.runUntilIdle(() => cue.idle());
    const ofX = spans.filter(([a]) => a === "x").sort((p, q) => p[1] - q[1]) as [string, number, number][];
    expect(ofX).toHaveLength(2);
    expect((ofX[1] as [string, number, number])[1]).toBeGreaterThanOrEqual((ofX[0] as [string, number, number])[2]); // key a = "x": one at a time
    expect(spans.map(([, at]) => at).sort((p, q) => p - q)).toEqual([0, 0, 100]); // "x\u0001y" and the first "x" at once
  });

  it("serve keys with waiting work in turn, so a flooded key does not starve the others", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { concurrent: 1, per: (w) => (w.params as { key: string }).key });
    cue.service("shared", { concurrent: 2 });
    const order: string[] = [];
    cue.task("t", { uses: ["api", "shared"] }, async (w: Work<{ key: string }>) => {
      order.push(w.params.key);
      await sleep(clock, 10);
    });
    cue.start();
    for (let i = 0; i < 20; i++) await cue.submit("t", { key: "flood" });
    for (const key of ["x", "y"]) await cue.submit("t", { key });
    await clock.runUntilIdle(() => cue.idle());
    // x and y start within the first rounds, not after the 20 flood works.
    expect(order.indexOf("x")).toBeLessThan(4);
    expect(order.indexOf("y")).toBeLessThan(4);
  });

  it("drop an idle key's state once its windows are empty", async () => {
    const { cue, clock } = virtualCue();
    const api = cue.service("api", { rate: "5/s", per: (w) => (w.params as { key: string }).key });
    cue.task("t", { uses: "api" }, () => undefined);
    cue.start();
    for (let i = 0; i < 50; i++) await cue.submit("t", { key: `k${i}` });
    await clock.runUntilIdle(() => cue.idle());
    expect(api.status().keys).toHaveLength(50);
    await clock.advance(2000);
    for (let i = 0; i < 30; i++) await cue.submit("t", { key: "fresh" });
    await clock.runUntilIdle(() => cue.idle());
    expect(api.status().keys?.map((k) => k.key)).toEqual(["fresh"]);
  });

  it("a per that returns a non-string rejects the submit and loses nothing", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { per: (w) => (w.params as { key: string }).key });
    cue.task("t", { uses: "api" }, () => 1);
    cue.start();
    await expect(cue.submit("t", { key: 42 })).rejects.toThrow(/Invalid key from per of service "api": 42/);
    await expect(cue.submit("t", null)).rejects.toThrow(/The per function of service "api" threw/);
    const ok = await cue.submit("t", { key: "k" });
    await clock.runUntilIdle(() => cue.idle());
    expect((await cue.get(ok))?.state).toBe("completed");
  });
});

describe("service handles", () => {
  it("update() applies at once; starts already in the window still count; a lower concurrent starts nothing until under it", async () => {
    const { cue, clock } = virtualCue();
    const api = cue.service("api", { rate: "2/s", concurrent: 4 });
    const starts: number[] = [];
    cue.task("t", { uses: "api" }, async () => { starts.push(clock.now()); await sleep(clock, 50); });
    cue.start();
    for (let i = 0; i < 8; i++) await cue.submit("t");
    await clock.advance(1);
    expect(starts).toEqual([0, 0]);
    api.update({ rate: "4/s", concurrent: 4 });
    await clock.advance(1);
    expect(starts).toEqual([0, 0, 1, 1]); // the two earlier starts count against the new 4/s
    api.update({ rate: "100/s", concurrent: 1 });
    await clock.advance(10);
    expect(starts).toHaveLength(4); // four running, cap 1: nothing starts
    await clock.runUntilIdle(() => cue.idle());
    expect(maxInWindow(starts.slice(4), 50)).toBe(1);
  });

  it("observe() caps starts at what the server says is left until the reset, and never raises a limit", async () => {
    const { cue, clock } = virtualCue();
    const api = cue.service("api", { rate: "100/s" });
    const starts: number[] = [];
    cue.task("t", { uses: "api" }, () => { starts.push(clock.now()); });
    api.observe({ remaining: 3, resetIn: "6s" });
    cue.start();
    for (let i = 0; i < 5; i++) await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([0, 0, 0, 6000, 6000]);
    expect(() => api.observe({ remaining: -1, resetIn: 5 })).toThrow(/Invalid remaining/);
    expect(() => api.observe({ remaining: 1, resetAt: clock.now() - 1 })).toThrow(/Invalid reset/);
    expect(() => api.observe({ remaining: 1 } as never)).toThrow(/exactly one of resetIn/);
    expect(() => api.observe({ remaining: 1, resetIn: 5, measure: "tokens" })).toThrow(/Unknown measure/);
  });

  it("pause() holds every start for its duration; cue.service(name) returns the same service", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { concurrent: 2 });
    const starts: number[] = [];
    cue.task("t", { uses: "api" }, () => { starts.push(clock.now()); });
    cue.service("api").pause("30s");
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([30_000]);
    expect(cue.service("api").status()).toMatchObject({ name: "api", concurrent: 2, pausedUntil: 0 });
  });
});

describe("RateLimited.fromResponse", () => {
  const res = (headers: Record<string, string>, status = 429) => ({ status, headers: new Headers(headers) });
  it("reads Retry-After in seconds or as an HTTP date, then x-ratelimit-reset-*, then the fallback", () => {
    expect(RateLimited.fromResponse(res({ "retry-after": "7" })).retryAfter).toBe(7000);
    const now = Date.parse("2026-12-01T10:00:00Z");
    expect(RateLimited.fromResponse(res({ "retry-after": "Tue, 01 Dec 2026 10:00:30 GMT" }), { now }).retryAfter).toBe(30_000);
    expect(RateLimited.fromResponse(res({ "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s" })).retryAfter).toBe(360_000);
    expect(RateLimited.fromResponse(res({ "x-ratelimit-reset": String(now / 1000 + 20) }), { now }).retryAfter).toBe(20_000);
    expect(RateLimited.fromResponse({ headers: { "Retry-After": "2" } }).retryAfter).toBe(2000);
    const fallback = RateLimited.fromResponse(res({}), { fallback: "5s", service: "api" });
    expect([fallback.retryAfter, fallback.service, fallback.message]).toEqual([5000, "api", "Rate limited by HTTP 429 (retry after 5000ms)"]);
  });
});

describe("per-key lanes come and go", () => {
  it("a work whose key's queue was dropped while it ran (or was checked) comes back to a live queue on retry", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { concurrent: 1, per: (w) => (w.params as { key: string }).key });
    let calls = 0;
    cue.task("t", { uses: "api", retry: { attempts: 3, delay: 5 } }, async () => {
      await sleep(clock, 10);
      if (++calls < 3) throw new Error("flaky");
      return "ok";
    });
    cue.isStale(async () => { await sleep(clock, 1); return true; }); // async checks: a dispatch check runs after each retry
    cue.start();
    const id = await cue.submit("t", { key: "solo" });
    await cue.submit("t", { key: "other" }); // keeps the dispatcher busy with another key meanwhile
    await clock.runUntilIdle(() => cue.wait(id));
    expect((await cue.get(id))?.state).toBe("completed");
    expect(calls).toBeGreaterThanOrEqual(3);
  });
});

describe("service handles: what an update, a pause and an observation hold", () => {
  it("a service-wide pause() holds every key of a service with per", async () => {
    const { cue, clock } = virtualCue();
    const api = cue.service("api", { concurrent: 2, per: (w) => (w.params as { key: string }).key });
    const starts: string[] = [];
    cue.task("t", { uses: "api" }, (w: Work<{ key: string }>) => { starts.push(`${w.params.key}@${clock.now()}`); });
    api.pause("30s");
    cue.start();
    for (const key of ["a", "b"]) await cue.submit("t", { key });
    await clock.advance(10);
    expect(starts).toEqual([]);
    expect(cue.debugBlocked().map((b) => b.reason)).toEqual(["rate_limited", "rate_limited"]);
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual(["a@30000", "b@30000"]);
  });

  it("observe() without a key on a service with per is a ConfigurationError (it would cap no key)", () => {
    const { cue } = virtualCue();
    const api = cue.service("api", { rate: "10/s", per: (w) => (w.params as { key: string }).key });
    let error: unknown;
    try {
      api.observe({ remaining: 0, resetIn: "5s" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ code: "ERR_INVALID_OPTION", message: expect.stringMatching(/service "api" has per: observe\(\) needs the key the server reported for/) });
    expect(() => api.observe({ remaining: 0, resetIn: "5s", key: "k" })).not.toThrow();
  });

  it("update() merges: a given option replaces, one given as undefined is removed, the others keep their value", async () => {
    const { cue, clock } = virtualCue();
    const api = cue.service("api", { rate: "10/s", burst: 2 });
    api.update({ concurrent: 5 });
    expect(api.status()).toMatchObject({ concurrent: 5, burst: 2, rates: [{ label: "10/s" }, { limit: 2 }] });
    api.update({ burst: undefined });
    expect(api.status()).toMatchObject({ concurrent: 5, rates: [{ label: "10/s" }] });
    expect(api.status().burst).toBeUndefined();
    expect(api.status().rates).toHaveLength(1);
    api.update({ rate: undefined, concurrent: undefined });
    expect(api.status()).toMatchObject({ concurrent: Infinity, rates: [] });
    // A handle got later sees (and merges with) the same current options.
    cue.service("api").update({ rate: "1/s" });
    api.update({ concurrent: 1 });
    expect(api.status()).toMatchObject({ concurrent: 1, rates: [{ label: "1/s" }] });
    // A refused update changes nothing.
    expect(() => api.update({ burst: 0 })).toThrow(ConfigurationError);
    expect(() => api.update({ per: () => "k" })).toThrow(/per cannot change/);
    expect(api.status()).toMatchObject({ concurrent: 1, rates: [{ label: "1/s" }] });
    const starts: number[] = [];
    cue.task("t", { uses: "api" }, () => { starts.push(clock.now()); });
    cue.start();
    for (let i = 0; i < 3; i++) await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(starts).toEqual([0, 1000, 2000]);
  });

  it("a report() made after an update() still re-weighs its start (an under-estimate is charged)", async () => {
    const { cue, clock } = virtualCue();
    const api = cue.service("api", { rate: "1000 tokens/min" });
    const starts: [string, number][] = [];
    cue.task("t", { uses: "api", cost: (w: Work<{ est: number }>) => ({ tokens: w.params.est }) }, async (w: Work<{ n: string; est: number; real: number }>) => {
      starts.push([w.params.n, clock.now()]);
      await sleep(clock, 10);
      w.report({ tokens: w.params.real });
    });
    cue.start();
    await cue.submit("t", { n: "under", est: 100, real: 900 });
    await clock.advance(5);
    api.update({ rate: "1000 tokens/min", concurrent: 10 });
    await clock.advance(10); // "under" reports 900 after the update
    await cue.submit("t", { n: "next", est: 200, real: 200 });
    await clock.runUntilIdle(() => cue.idle());
    // 900 + 200 > 1000: "next" waits until "under" leaves the window.
    expect(Object.fromEntries(starts)).toEqual({ under: 0, next: 60_000 });
  });

  it("after update() lowers a limit below a queued work's cost, that work fails with a ConfigurationError naming its cost and the new limit", async () => {
    const { cue, clock } = virtualCue();
    const api = cue.service("api", { rate: "1000 tokens/min" });
    const ran: string[] = [];
    cue.task("t", { uses: "api", cost: (w: Work<{ tokens: number }>) => ({ tokens: w.params.tokens }) }, (w: Work<{ n: string; tokens: number }>) => { ran.push(`${w.params.n}@${clock.now()}`); });
    const failures: string[] = [];
    cue.on("fail", ({ work }) => { failures.push(work.id); });
    cue.start();
    await cue.submit("t", { n: "first", tokens: 900 });
    const big = await cue.submit("t", { n: "big", tokens: 600 }); // waits for the window
    const small = await cue.submit("t", { n: "small", tokens: 50 }); // behind it
    await clock.advance(1);
    expect(ran).toEqual(["first@0"]);
    api.update({ rate: "500 tokens/min" });
    await clock.runUntilIdle(() => cue.idle());
    const failed = await cue.get(big);
    expect(failed?.state).toBe("failed");
    expect(failed?.error).toBeInstanceOf(ConfigurationError);
    expect(failed?.error?.message).toMatch(/tokens = 600 exceeds the whole limit 500 tokens of service "api" \(it could never run\)/);
    expect((await cue.get(small))?.state).toBe("completed");
    expect(ran).toEqual(["first@0", "small@60000"]);
    expect(failures).toEqual([big]);
    expect(cue.debugBlocked()).toEqual([]);
  });

  it("a work that ran across such an update and retries fails when it comes back to its queue", async () => {
    const { cue, clock } = virtualCue();
    const api = cue.service("api", { rate: "1000 tokens/min" });
    let attempts = 0;
    cue.task("t", { uses: "api", retry: { attempts: 3, delay: 0 }, cost: () => ({ tokens: 600 }) }, async () => {
      attempts++;
      await sleep(clock, 100);
      throw new Error("flaky");
    });
    const errors: Error[] = [];
    cue.on("fail", ({ error }) => { errors.push(error); });
    cue.start();
    const id = await cue.submit("t");
    await clock.advance(50);
    api.update({ rate: "500 tokens/min" });
    await clock.runUntilIdle(() => cue.idle());
    expect(attempts).toBe(1);
    expect((await cue.get(id))?.state).toBe("failed");
    expect(errors.map((e) => [e.name, e.message])).toEqual([["ConfigurationError", expect.stringMatching(/tokens = 600 exceeds the whole limit 500 tokens of service "api"/)]]);
  });
});
