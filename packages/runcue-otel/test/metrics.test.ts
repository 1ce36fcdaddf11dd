import { readFileSync } from "node:fs";
import { Cue, VirtualClock, sleep } from "runcue";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { VERSION, instrument } from "../src/index.js";
import { points, sdk, useContextManager, valueOf } from "./helpers.js";

beforeAll(useContextManager);
afterEach(() => vi.restoreAllMocks());

/**
 * A scripted run on virtual time: 6 completed, 1 failed after 2 retries, 2 skipped, 1 cancelled
 * while pending; `api` at 2 concurrent and 3 starts a second.
 */
async function scriptedRun(cue: Cue, clock: VirtualClock): Promise<void> {
  cue.on("fail", () => {});
  cue.service("api", { concurrent: 2, rate: "3/s" });
  cue.task("ok", { uses: "api" }, async (work) => sleep(cue.clock, 400, work.signal));
  cue.task("bad", { uses: "api", retry: { attempts: 3, delay: "1s" } }, () => {
    throw new Error("no");
  });
  cue.task("done", { stale: () => false }, () => "never");
  cue.start();
  for (let i = 0; i < 6; i++) await cue.submit("ok");
  await cue.submit("bad");
  await cue.submit("done");
  await cue.submit("done");
  const doomed = await cue.submit("ok", {}, { delay: "1h" });
  await cue.cancel(doomed);
  await clock.runUntilIdle(() => cue.idle());
}

describe("counters and histograms count what the cue did", () => {
  it("counts submits, attempts and outcomes per task, equal to the events of a scripted run", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider });
    const seen = { start: 0, complete: 0, fail: 0, skip: 0, cancel: 0, retry: 0, submit: 0 };
    for (const name of Object.keys(seen) as (keyof typeof seen)[]) cue.on(name, () => void seen[name]++);
    await scriptedRun(cue, clock);
    const m = await o.metrics();

    const sum = (name: string): number => points(m, name).reduce((s, p) => s + p.value, 0);
    expect(sum("messaging.client.sent.messages")).toBe(seen.submit);
    expect(valueOf(m, "messaging.client.sent.messages", { "messaging.destination.name": "ok", "messaging.system": "runcue" })).toBe(7);
    expect(sum("messaging.client.consumed.messages")).toBe(seen.start);
    expect(valueOf(m, "messaging.client.consumed.messages", { "messaging.destination.name": "bad" })).toBe(3);
    const outcome = (task: string, o: string): number | undefined => valueOf(m, "runcue.work.outcomes", { "runcue.task": task, "runcue.outcome": o });
    expect(outcome("ok", "completed")).toBe(6);
    expect(outcome("ok", "cancelled")).toBe(1);
    expect(outcome("bad", "retried")).toBe(2);
    expect(outcome("bad", "failed")).toBe(1);
    expect(outcome("done", "skipped")).toBe(2);
    expect(seen).toMatchObject({ complete: 6, retry: 2, fail: 1, skip: 2, cancel: 1 });

    // One duration per attempt, in seconds, failures apart by error.type.
    const durations = points(m, "messaging.process.duration");
    const okDurations = durations.find((p) => p.attributes["messaging.destination.name"] === "ok")!;
    expect(okDurations.value).toBe(6);
    expect(okDurations.sum).toBeCloseTo(6 * 0.4, 9);
    expect(okDurations.attributes["error.type"]).toBeUndefined();
    expect(durations.find((p) => p.attributes["messaging.destination.name"] === "bad")!).toMatchObject({ value: 3, attributes: { "error.type": "Error" } });

    // Waits in seconds: `ok` works wait for slots and rate starts; `bad` waits out its retry delays.
    const waits = points(m, "runcue.work.wait.duration");
    expect(waits.find((p) => p.attributes["runcue.task"] === "ok")!.value).toBe(6);
    const bad = waits.find((p) => p.attributes["runcue.task"] === "bad")!;
    expect(bad.value).toBe(3);
    expect(bad.sum).toBeGreaterThanOrEqual(1 + 2); // exponential: 1 s, then 2 s
  });

  it("counts the same with a meter and no tracer (spans are no-ops, so waits are not split)", async () => {
    const run = async (providers: "both" | "meter only"): Promise<Record<string, unknown>> => {
      const clock = new VirtualClock();
      const cue = new Cue({ clock });
      const o = sdk();
      instrument(cue, providers === "both" ? { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider } : { meterProvider: o.meterProvider });
      await scriptedRun(cue, clock);
      const m = await o.metrics();
      const names = ["messaging.client.sent.messages", "messaging.client.consumed.messages", "runcue.work.outcomes", "messaging.process.duration", "runcue.work.wait.duration"];
      return Object.fromEntries(names.map((name) => [name, points(m, name)]));
    };
    const meterOnly = await run("meter only");
    expect(meterOnly["runcue.work.outcomes"]).not.toEqual([]);
    expect(meterOnly).toEqual(await run("both"));
  });
});

describe("gauges read the cue when the SDK collects", () => {
  it("reports the state counts, the reasons works wait, and each service's slots, rate windows, queue and pause as summary() and status() give them", async () => {
    const clock = new VirtualClock(1_000_000);
    const cue = new Cue({ clock });
    const o = sdk();
    instrument(cue, { meterProvider: o.meterProvider, tracerProvider: o.tracerProvider });
    cue.service("llm", { concurrent: 3, rate: ["5/s", "100/h"] });
    cue.service("disk", {});
    cue.service("fax", { rate: "1/min" });
    cue.service("openai", { rate: "10/min", per: (work) => (work.params as { apiKey: string }).apiKey });
    cue.task("call", { uses: "llm" }, async (work) => sleep(cue.clock, 10_000, work.signal));
    cue.task("send", { uses: "fax" }, () => "sent");
    cue.task("complete", { uses: "openai" }, () => "ok");
    cue.task("wait-input", { ready: () => false }, () => "never");
    cue.start();
    for (let i = 0; i < 8; i++) await cue.submit("call");
    for (let i = 0; i < 4; i++) await cue.submit("wait-input");
    for (let i = 0; i < 2; i++) await cue.submit("send");
    for (const apiKey of ["a", "b", "c"]) await cue.submit("complete", { apiKey });
    await cue.submit("call", {}, { delay: "1m" });
    await clock.advance(1500);

    const summary = cue.summary();
    const status = cue.status();
    const m = await o.metrics();
    expect(valueOf(m, "runcue.works", { "runcue.state": "running" })).toBe(status.running);
    expect(status.running).toBe(3);
    expect(valueOf(m, "runcue.works", { "runcue.state": "queued" })).toBe(status.queued);
    expect(valueOf(m, "runcue.works", { "runcue.state": "blocked" })).toBe(4);
    expect(valueOf(m, "runcue.works", { "runcue.state": "delayed" })).toBe(1);
    for (const r of summary.reasons) expect(valueOf(m, "runcue.works.waiting", { "runcue.reason": r.reason })).toBe(r.count);
    expect(valueOf(m, "runcue.works.waiting", { "runcue.reason": "not_ready" })).toBe(4);
    expect(valueOf(m, "runcue.works.waiting", { "runcue.reason": "service_full" })).toBe(5);

    const llm = summary.services.find((s) => s.name === "llm")!;
    expect(valueOf(m, "runcue.service.active", { "runcue.service": "llm" })).toBe(llm.active);
    expect(valueOf(m, "runcue.service.concurrency.limit", { "runcue.service": "llm" })).toBe(3);
    expect(valueOf(m, "runcue.service.concurrency.limit", { "runcue.service": "disk" })).toBeUndefined(); // unlimited: no point
    expect(valueOf(m, "runcue.service.queued", { "runcue.service": "llm" })).toBe(llm.queued);
    expect(llm.queued).toBe(5);
    expect(valueOf(m, "runcue.service.rate.used", { "runcue.service": "llm", "runcue.rate.window": "100/h" })).toBe(3);
    expect(valueOf(m, "runcue.service.rate.limit", { "runcue.service": "llm", "runcue.rate.window": "100/h" })).toBe(100);
    expect(valueOf(m, "runcue.service.rate.limit", { "runcue.service": "llm", "runcue.rate.window": "5/s" })).toBe(5);
    expect(valueOf(m, "runcue.service.paused", { "runcue.service": "llm" })).toBe(0);
    expect(valueOf(m, "runcue.service.rate.next_free", { "runcue.service": "fax", "runcue.rate.window": "1/min" })).toBe(58.5);
    expect(valueOf(m, "runcue.service.rate.next_free", { "runcue.service": "llm", "runcue.rate.window": "5/s" })).toBe(0);
    expect(valueOf(m, "runcue.service.keys", { "runcue.service": "openai" })).toBe(3);
    expect(valueOf(m, "runcue.service.keys", { "runcue.service": "llm" })).toBe(0);

    // Later, the gauges move with the cue: nothing is cached between collections.
    await clock.advance(10_000);
    const later = await o.metrics();
    expect(valueOf(later, "runcue.works", { "runcue.state": "queued" })).toBe(cue.status().queued);
    expect(valueOf(later, "runcue.service.rate.used", { "runcue.service": "llm", "runcue.rate.window": "100/h" })).toBe(6);
    await clock.runUntilIdle(() => cue.stop({ timeout: 0 }));
  });

  it("reports a pushback pause as 1 while it lasts", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const o = sdk();
    instrument(cue, { meterProvider: o.meterProvider });
    cue.service("api", {});
    const { RateLimited } = await import("runcue");
    let calls = 0;
    cue.task("call", { uses: "api" }, () => {
      if (++calls === 1) throw new RateLimited({ retryAfter: "1m" });
      return "ok";
    });
    cue.start();
    await cue.submit("call");
    await clock.advance(1000);
    expect(valueOf(await o.metrics(), "runcue.service.paused", { "runcue.service": "api" })).toBe(1);
    await clock.advance(60_000);
    expect(valueOf(await o.metrics(), "runcue.service.paused", { "runcue.service": "api" })).toBe(0);
    expect(calls).toBe(2);
    await clock.runUntilIdle(() => cue.stop());
  });
});

describe("uninstrument", () => {
  it("removes every listener, the middleware and the gauge callback: later work makes no spans or points, and the cue's default failure warning is back", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const o = sdk();
    const uninstrument = instrument(cue, { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider });
    let middlewareContext: unknown;
    cue.task("t", () => "ok");
    cue.task("bad", () => {
      throw new Error("nobody listens");
    });
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    const spansBefore = o.spans().length;
    expect(spansBefore).toBe(2);
    uninstrument();
    uninstrument(); // twice is harmless

    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    cue.use(async (_ctx, next) => {
      const { trace } = await import("@opentelemetry/api");
      middlewareContext = trace.getActiveSpan();
      return next();
    });
    await cue.submit("t");
    await cue.submit("bad");
    await clock.runUntilIdle(() => cue.idle());
    expect(o.spans()).toHaveLength(spansBefore);
    expect(middlewareContext).toBeUndefined();
    // The only fail listener was instrument's: without it the cue prints its default warning.
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('task "bad" work 3 failed'));
    const m = await o.metrics();
    expect(valueOf(m, "messaging.client.sent.messages", { "messaging.destination.name": "t" })).toBe(1);
    expect(points(m, "runcue.works")).toEqual([]); // the gauge callback is gone
    await cue.stop();
  });

  it("ends spans still open when it is called", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const o = sdk();
    const uninstrument = instrument(cue, { tracerProvider: o.tracerProvider });
    cue.task("long", async (work) => sleep(cue.clock, 10_000, work.signal));
    cue.start();
    await cue.submit("long");
    await clock.advance(4000);
    uninstrument();
    const process = o.spans().find((s) => s.name === "process long")!;
    expect(process.endTime[0]).toBe(4);
    await clock.runUntilIdle(() => cue.stop({ timeout: 0 }));
  });
});

describe("bad input", () => {
  const cue = new Cue();
  it.each([
    [{ tracerprovider: {} }, /unknown option "tracerprovider"/],
    [{ parent: "child" }, /invalid parent: "child" \(expected "submit" or "link"\)/],
    [{ spans: { submit: "yes" } }, /invalid spans\.submit: "yes" \(expected a boolean\)/],
    [{ spans: { process: false } }, /unknown spans option "process"/],
    [{ attributes: { a: 1 } }, /invalid attributes: an object with keys \["a"\]/],
    [{ tracerProvider: {} }, /invalid tracerProvider: an object with keys \[\] \(expected an object with getTracer\(\)\)/],
    [{ meterProvider: 5 }, /invalid meterProvider: 5/],
    [null, /invalid options: null/],
  ])("rejects %j with an error naming the value", (options, message) => {
    expect(() => instrument(cue, options as never)).toThrow(message);
  });

  it("rejects something that is not a cue", () => {
    expect(() => instrument({} as never)).toThrow(/instrument\(\) needs a runcue Cue, got an object with keys \[\]/);
  });
});

it("reports the version in package.json as its instrumentation scope version", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
