import { describe, expect, it } from "vitest";
import { CancelledError, ConfigurationError, DependencyError, file, FlowError, Permanent, RuncueError, sleep, type Work } from "runcue";
import { deferred, virtualCue } from "./helpers.js";

describe("then: pipelines", () => {
  it("submits the next task with a mapping of the completed work; work.next holds its id; chains go on", async () => {
    const { cue, clock } = virtualCue();
    const order: string[] = [];
    const fetchPage = cue.task("fetch", async (work: Work<{ url: string }>) => {
      order.push(`fetch ${work.params.url}`);
      await sleep(cue.clock, 10);
      return { html: `<a href="${work.params.url}/x">` };
    });
    const parse = cue.task("parse", (work: Work<{ html: string }>) => {
      order.push(`parse ${work.params.html}`);
      return { links: [work.params.html.slice(9, -2)] };
    });
    const store = cue.task("store", (work: Work<{ links: string[] }>) => {
      order.push(`store ${work.params.links.join(",")}`);
      return work.params.links.length;
    });
    cue.start();
    const id = await fetchPage.submit({ url: "u" }, { then: [parse, ({ result }) => ({ html: result.html }), { then: [store] }] });
    await clock.runUntilIdle(() => cue.idle());
    expect(order).toEqual(["fetch u", 'parse <a href="u/x">', "store u/x"]);
    const first = await cue.get(id);
    const second = await cue.get(first!.next!);
    const third = await cue.get(second!.next!);
    expect(second).toMatchObject({ task: "parse", state: "completed" });
    expect(third).toMatchObject({ task: "store", state: "completed", result: 1, next: undefined });
  });

  it("the next work is submitted before the first's complete event, so idle() waits for the whole chain", async () => {
    const { cue, clock } = virtualCue();
    const a = cue.task("a", () => 1);
    const b = cue.task("b", (work: Work<number>) => work.params + 1);
    const seen: string[] = [];
    cue.on("complete", ({ work }) => void seen.push(`complete ${work.task} next=${String(work.next)}`));
    cue.on("submit", ({ work }) => void seen.push(`submit ${work.task}`));
    let idles = 0;
    cue.on("idle", () => void idles++);
    cue.start();
    await a.submit({}, { then: [b] });
    await clock.runUntilIdle(() => cue.idle());
    expect(seen).toEqual(["submit a", "submit b", "complete a next=2", "complete b next=undefined"]);
    expect(idles).toBe(1);
  });

  it("retries happen before the chain goes on; a failure or a cancel in the middle stops it", async () => {
    const { cue, clock } = virtualCue();
    const ran: string[] = [];
    const a = cue.task("a", { retry: { attempts: 3, delay: 5 } }, (work) => {
      ran.push(`a${work.attempt}`);
      if (work.attempt < 3) throw new Error("flaky");
      return "x";
    });
    const b = cue.task("b", async (work: Work<string>) => {
      ran.push(`b ${work.params}`);
      await sleep(cue.clock, 100, work.signal);
      return work.params;
    });
    const c = cue.task("c", () => ran.push("c"));
    cue.start();
    const id = await a.submit({}, { then: [b, (w) => String(w.result), { then: [c] }] });
    cue.on("start", ({ work }) => {
      if (work.task === "b") cue.clock.setTimeout(() => void cue.cancel(work.id), 5);
    });
    await clock.runUntilIdle(() => cue.idle());
    expect(ran).toEqual(["a1", "a2", "a3", "b x"]);
    const bWork = await cue.get((await cue.get(id))!.next!);
    expect(bWork).toMatchObject({ task: "b", state: "cancelled", next: undefined });
    expect(bWork!.error).toBeInstanceOf(CancelledError);
    expect((await cue.list()).map((w) => w.task)).toEqual(["a", "b"]);
  });

  it("a skipped work submits nothing unless whenSkipped maps it", async () => {
    const { cue, clock } = virtualCue();
    const ran: string[] = [];
    const a = cue.task("a", { stale: () => false }, () => "never");
    const b = cue.task("b", (work: Work<{ from: string }>) => ran.push(`b from ${work.params.from}`));
    cue.start();
    const plain = await a.submit({}, { then: [b, () => ({ from: "result" })] });
    const mapped = await a.submit({}, { then: [b, () => ({ from: "result" }), { whenSkipped: (w) => ({ from: `skipped ${w.id}` }) }] });
    const declined = await a.submit({}, { then: [b, () => ({ from: "result" }), { whenSkipped: () => undefined }] });
    await clock.runUntilIdle(() => cue.idle());
    expect(ran).toEqual([`b from skipped ${mapped}`]);
    expect((await cue.get(plain))!.next).toBeUndefined();
    expect((await cue.get(declined))!.next).toBeUndefined();
  });

  it("a mapping that throws fails the chained work with a FlowError naming both works", async () => {
    const { cue, clock } = virtualCue();
    const a = cue.task("a", () => 1);
    const b = cue.task("b", () => "never");
    const failures: Error[] = [];
    cue.on("fail", ({ error }) => void failures.push(error));
    cue.start();
    const id = await a.submit({}, { then: [b, () => { throw new TypeError("no html"); }] });
    await clock.runUntilIdle(() => cue.idle());
    const next = await cue.get((await cue.get(id))!.next!);
    expect(next).toMatchObject({ task: "b", state: "failed" });
    expect(next!.error).toBeInstanceOf(FlowError);
    expect(next!.error).toMatchObject({ code: "ERR_FLOW_MAPPING", from: id, message: expect.stringContaining("no html") });
    expect((next!.error as FlowError).cause).toBeInstanceOf(TypeError);
    expect(failures).toHaveLength(1);
  });
});

describe("steps that cannot be taken", () => {
  it("a step whose params the next task refuses (a template placeholder, a throwing per) fails the next work with a FlowError; nothing throws out of the engine", async () => {
    const { cue, clock } = virtualCue();
    cue.service("keyed", { concurrent: 1, per: (work) => String((work.params as { user: string }).user.toUpperCase()) });
    const a = cue.task("a", () => ({ nothing: true }));
    const writes = cue.task("writes", { outputs: { out: file("/tmp/runcue-never/{page}.txt") } }, () => "never");
    const keyed = cue.task("keyed", { uses: "keyed" }, () => "never");
    const errors: Error[] = [];
    cue.on("fail", ({ error }) => void errors.push(error));
    cue.start();
    const toWrites = await a.submit({}, { then: [writes, () => ({ chapter: 1 }) as never] });
    const toKeyed = await a.submit({}, { then: [keyed, () => ({}) as never] });
    await clock.runUntilIdle(() => cue.idle());
    for (const id of [toWrites, toKeyed]) {
      const first = await cue.get(id);
      expect(first!.state).toBe("completed");
      const next = await cue.get(first!.next!);
      expect(next!.state).toBe("failed");
      expect(next!.error).toBeInstanceOf(FlowError);
      expect(next!.error!.message).toMatch(/was refused/);
    }
    expect(errors).toHaveLength(2);
    expect(cue.status()).toMatchObject({ pending: 0, running: 0 });
  });
});

describe("otherwise: fail-over", () => {
  it("on a final failure submits the fallback with the same params; not on a cancel", async () => {
    const { cue, clock } = virtualCue();
    const got: unknown[] = [];
    const parse = cue.task("parse", { retry: { attempts: 2, delay: 1 } }, (work: Work<{ html: string }>) => {
      if (work.params.html === "bad") throw new Error("cannot parse");
      return work.params.html;
    });
    const fallback = cue.task("fallback", (work: Work<{ html: string }>) => got.push(work.params));
    const slow = cue.task("slow", (work: Work<{ html: string }>) => sleep(cue.clock, 1000, work.signal));
    cue.on("fail", () => {});
    cue.on("cancel", () => {});
    cue.start();
    const failed = await parse.submit({ html: "bad" }, { otherwise: [fallback] });
    const fine = await parse.submit({ html: "ok" }, { otherwise: [fallback] });
    const cancelled = await slow.submit({ html: "c" }, { otherwise: [fallback] });
    const mapped = await parse.submit({ html: "bad" }, { otherwise: [fallback, (w) => ({ html: `after ${w.error!.message}` })] });
    cue.clock.setTimeout(() => void cue.cancel(cancelled), 5);
    await clock.runUntilIdle(() => cue.idle());
    expect(got).toEqual([{ html: "bad" }, { html: "after cannot parse" }]);
    expect((await cue.get(failed))!.next).toBeDefined();
    expect((await cue.get(fine))!.next).toBeUndefined();
    expect((await cue.get(cancelled))!.next).toBeUndefined();
    expect((await cue.get(mapped))!.state).toBe("failed");
  });
});

describe("after: completion dependencies", () => {
  it("holds a work until every listed work completed, then screens it (its own isReady still applies)", async () => {
    const { cue, clock } = virtualCue();
    const ran: string[] = [];
    let reportReady = false;
    const step = cue.task("step", async (work: Work<{ n: number; ms: number }>) => {
      await sleep(cue.clock, work.params.ms);
      ran.push(`step ${work.params.n}`);
    });
    const report = cue.task("report", { ready: () => reportReady }, () => ran.push("report"));
    cue.start();
    const a = await step.submit({ n: 1, ms: 50 });
    const b = await step.submit({ n: 2, ms: 10 });
    const r = await report.submit({}, { after: [a, b] });
    await clock.advance(20);
    expect(cue.debugBlocked().find((i) => i.work.id === r)).toMatchObject({ reason: "waiting_for", waitingFor: [a] });
    expect(cue.summary().reasons.find((p) => p.reason === "waiting_for")).toMatchObject({ count: 1, examples: [{ id: r }] });
    await clock.advance(40);
    expect(ran).toEqual(["step 2", "step 1"]);
    expect(cue.debugBlocked().find((i) => i.work.id === r)).toMatchObject({ reason: "not_ready" });
    reportReady = true;
    cue.recheck();
    await clock.runUntilIdle(() => cue.idle());
    expect(ran).toEqual(["step 2", "step 1", "report"]);
  });

  it("a dependency that fails or is cancelled fails the dependant with a DependencyError; already done ones count", async () => {
    const { cue, clock } = virtualCue();
    const ran: string[] = [];
    const ok = cue.task("ok", () => "fine");
    const bad = cue.task("bad", () => { throw new Permanent("broken"); });
    const hang = cue.task("hang", (work) => sleep(cue.clock, 10_000, work.signal));
    const dep = cue.task("dep", (work) => ran.push(work.id));
    const errors: Error[] = [];
    cue.on("fail", ({ error }) => void errors.push(error));
    cue.on("cancel", () => {});
    cue.start();
    const done = await ok.submit();
    await clock.runUntilIdle(() => cue.idle());
    const failing = await bad.submit();
    const hanging = await hang.submit();
    const d1 = await dep.submit({}, { after: [done, failing] });
    const d2 = await dep.submit({}, { after: [hanging] });
    const d3 = await dep.submit({}, { after: [done] });
    await clock.advance(1);
    await cue.cancel(hanging);
    await clock.runUntilIdle(() => cue.idle());
    expect(ran).toEqual([d3]);
    const w1 = await cue.get(d1);
    const w2 = await cue.get(d2);
    expect(w1!.error).toBeInstanceOf(DependencyError);
    expect(w1!.error).toMatchObject({ code: "ERR_DEPENDENCY_FAILED", dependency: failing, message: expect.stringContaining(`work ${failing} (bad) in its after list failed: broken`) });
    expect(w2!.error).toMatchObject({ dependency: hanging, message: expect.stringContaining("was cancelled") });
    // Submitting after a dependency already failed: the work fails at once.
    const late = await dep.submit({}, { after: [failing] });
    expect((await cue.get(late))!.state).toBe("failed");
  });

  it("refuses unknown and malformed dependencies and steps at submit, creating nothing", async () => {
    const { cue } = virtualCue();
    const a = cue.task("a", () => 1);
    await expect(a.submit({}, { after: ["99"] })).rejects.toThrow(/after names "99", which this cue does not know/);
    await expect(a.submit({}, { after: "1" as never })).rejects.toThrow(ConfigurationError);
    await expect(a.submit({}, { then: ["nope"] as never })).rejects.toThrow(/"nope" is not a task of this cue/);
    await expect(a.submit({}, { then: [a, "x" as never] })).rejects.toThrow(/mapping "x" is not a function/);
    await expect(a.submit({}, { then: [a, (w) => w.result, { then: ["nope"] as never }] })).rejects.toThrow(/then → then/);
    await expect(a.submit({}, { otherwise: [a, undefined as never, { whenSkipped: () => 1 } as never] })).rejects.toThrow(/Unknown option "whenSkipped"/);
    expect(await cue.list()).toEqual([]);
  });

  it("a cancel of the dependant while it waits leaves nothing behind", async () => {
    const { cue, clock } = virtualCue();
    const gate = deferred();
    const slow = cue.task("slow", () => gate.promise);
    const dep = cue.task("dep", () => "ran");
    cue.on("cancel", () => {});
    cue.start();
    const s = await slow.submit();
    const d = await dep.submit({}, { after: [s] });
    await clock.advance(1);
    expect(await cue.cancel(d)).toBe(true);
    gate.resolve();
    await clock.runUntilIdle(() => cue.idle());
    expect((await cue.get(d))!.state).toBe("cancelled");
    expect(cue.status()).toMatchObject({ pending: 0, running: 0, blocked: 0 });
  });
});

describe("run", () => {
  it("resolves with the result, rejects with the work's error, and ERR_NO_RESULT for a skip", async () => {
    const { cue, clock } = virtualCue();
    const double = cue.task("double", (work: Work<{ n: number }>) => work.params.n * 2);
    const fail = cue.task("fail", () => { throw new Permanent("nope"); });
    const fresh = cue.task("fresh", { stale: () => false }, () => 1);
    cue.on("fail", () => {});
    cue.start();
    const run = double.run({ n: 21 });
    await clock.runUntilIdle(() => cue.idle());
    expect(await run).toBe(42);
    const failing = fail.run();
    failing.catch(() => {});
    await clock.runUntilIdle(() => cue.idle());
    await expect(failing).rejects.toThrow(Permanent);
    const skipped = fresh.run();
    skipped.catch(() => {});
    await clock.runUntilIdle(() => cue.idle());
    await expect(skipped).rejects.toMatchObject({ code: "ERR_NO_RESULT" });
    await expect(skipped).rejects.toBeInstanceOf(RuncueError);
  });

  it("direct: calls the handler at once, bypassing limits, checks, events and a stopped cue", async () => {
    const { cue } = virtualCue();
    cue.service("tight", { concurrent: 1, rate: "1/h" });
    const events: string[] = [];
    cue.on("submit", () => void events.push("submit"));
    const seen: Work[] = [];
    const t = cue.task("t", { uses: "tight", ready: () => false }, (work: Work<{ n: number }>) => {
      seen.push(work);
      return work.params.n + 1;
    });
    expect(await t.run({ n: 1 }, { direct: true })).toBe(2);
    expect(await t.run({ n: 2 }, { direct: true })).toBe(3);
    expect(events).toEqual([]);
    expect(seen[0]).toMatchObject({ id: expect.stringMatching(/^direct-\d+$/), task: "t", attempt: 1, state: "running" });
    const boom = cue.task("boom", () => { throw new Error("direct error"); });
    await expect(boom.run({}, { direct: true })).rejects.toThrow("direct error");
    await expect(t.run({ n: 1 }, { direct: "yes" as never })).rejects.toThrow(/Invalid direct: "yes"/);
  });

  it("direct: a task that declares artifacts gets its resolved paths (nothing is checked or verified)", async () => {
    const { cue } = virtualCue();
    const write = cue.task("write", { inputs: { src: file("/data/in/{n}.txt") }, outputs: { out: file("/data/out/{n}.txt") } }, (work: Work<{ n: number }>) => work.paths);
    expect(await write.run({ n: 7 }, { direct: true })).toEqual({ src: "/data/in/7.txt", out: "/data/out/7.txt" });
  });
});

describe("task handles", () => {
  it("on: only this task's works; wait/get refuse other tasks' works; a task without params needs no argument", async () => {
    const { cue, clock } = virtualCue();
    const ping = cue.task("ping", () => "pong");
    const other = cue.task("other", () => 0);
    const results: string[] = [];
    const off = ping.on("complete", ({ work, result }) => void results.push(`${work.task}:${result}`));
    cue.start();
    const id = await ping.submit();
    const o = await other.submit();
    await clock.runUntilIdle(() => cue.idle());
    expect(results).toEqual(["ping:pong"]);
    expect((await ping.wait(id)).result).toBe("pong");
    expect(await ping.get(o)).toBeUndefined();
    await expect(ping.wait(o)).rejects.toThrow(/work of task "other", not of "ping"/);
    expect(() => ping.on("idle" as never, () => {})).toThrow(/cue-wide event: use cue.on/);
    off();
    await ping.submit();
    await clock.runUntilIdle(() => cue.idle());
    expect(results).toHaveLength(1);
  });

  it("typed() refuses a handle of another cue", () => {
    const { cue } = virtualCue();
    const { cue: other } = virtualCue();
    const foreign = other.task("x", () => 1);
    expect(() => cue.typed(foreign)).toThrow(/typed\(\) takes handles returned by this cue's task\(\)/);
  });

  it("hostile mappings: throwing odd values, stopping the cue, cancelling works; every work still ends once or waits with a reason", async () => {
    const { cue, clock } = virtualCue();
    const ends = new Map<string, number>();
    const end = ({ work }: { work: Work }): void => void ends.set(work.id, (ends.get(work.id) ?? 0) + 1);
    for (const e of ["complete", "fail", "skip", "cancel"] as const) cue.on(e, end);
    const a = cue.task("a", () => 1);
    const b = cue.task("b", () => 2);
    cue.start();
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const throwsNull = await a.submit({}, { then: [b, () => { throw null; }] });
    const throwsProxy = await a.submit({}, { then: [b, () => { throw revoked.proxy; }] });
    let waiting = "";
    const stops = await a.submit({}, { then: [b, () => { void cue.stop(); return {}; }] });
    const afterStop = await b.submit({}, { after: [stops] });
    const cancels = await a.submit({}, { then: [b, (w) => { void cue.cancel(waiting); void cue.cancel(w.id); return {}; }] });
    waiting = await b.submit({}, { after: [cancels] });
    await clock.advance(10);
    cue.start();
    await clock.runUntilIdle(() => cue.idle());
    const all = await cue.list();
    for (const w of all) expect([w.id, ends.get(w.id)]).toEqual([w.id, 1]);
    expect((await cue.get((await cue.get(throwsNull))!.next!))!.error).toBeInstanceOf(FlowError);
    expect((await cue.get((await cue.get(throwsProxy))!.next!))!.error).toBeInstanceOf(FlowError);
    expect((await cue.get(waiting))!.state).toBe("cancelled");
    expect((await cue.get(cancels))!.state).toBe("completed");
    expect((await cue.get(afterStop))!.state).toBe("completed");
    expect(cue.status()).toMatchObject({ pending: 0, running: 0 });
  });
});
