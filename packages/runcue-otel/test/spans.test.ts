import { SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { Cue, Permanent, RateLimited, VirtualClock, sleep, type Work } from "runcue";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { instrument } from "../src/index.js";
import { ms, sdk, useContextManager } from "./helpers.js";

beforeAll(useContextManager);

const named = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

/** A cue on a virtual clock at 0, with one service `api` (2 at a time, 2 starts per second). */
function virtualCue(): { cue: Cue; clock: VirtualClock } {
  const clock = new VirtualClock();
  const cue = new Cue({ clock });
  cue.service("api", { concurrent: 2, rate: "2/s" });
  return { cue, clock };
}

describe("process spans follow the messaging conventions", () => {
  it("gives a completed work a send span at submit and a process span per attempt, with names, kinds and attributes", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider });
    cue.task("summarize", { uses: "api" }, async (work: Work<{ page: number }>) => {
      await sleep(cue.clock, 250, work.signal);
      return work.params.page;
    });
    cue.start();
    const id = await cue.submit("summarize", { page: 1 }, { key: "page-1" });
    await clock.runUntilIdle(() => cue.idle());
    const work = (await cue.get(id))!;

    const [send] = named(o.spans(), "send summarize");
    const [process] = named(o.spans(), "process summarize");
    expect(send!.kind).toBe(SpanKind.PRODUCER);
    expect(send!.attributes).toMatchObject({
      "messaging.system": "runcue",
      "messaging.operation.type": "send",
      "messaging.operation.name": "submit",
      "messaging.destination.name": "summarize",
      "messaging.message.id": id,
      "runcue.work.key": "page-1",
    });
    expect(process!.kind).toBe(SpanKind.CONSUMER);
    expect(process!.attributes).toMatchObject({
      "messaging.system": "runcue",
      "messaging.operation.type": "process",
      "messaging.operation.name": "run",
      "messaging.destination.name": "summarize",
      "messaging.message.id": id,
      "runcue.work.attempt": 1,
      "runcue.outcome": "completed",
    });
    expect(process!.attributes["error.type"]).toBeUndefined();
    expect(process!.status.code).toBe(SpanStatusCode.UNSET);
    // Params are never recorded unless the attributes hook adds them.
    expect(JSON.stringify([send!.attributes, process!.attributes])).not.toContain("page\":");
    // parent "submit" (the default): the process span is a child of the send span, and links to it.
    expect(process!.spanContext().traceId).toBe(send!.spanContext().traceId);
    expect(parentOf(process!)).toBe(send!.spanContext().spanId);
    expect(process!.links.map((l) => l.context.spanId)).toEqual([send!.spanContext().spanId]);
    expect(work.state).toBe("completed");
  });

  it("takes every time from the cue's clock: on a VirtualClock at 0, spans start and end at the work's startedAt and completedAt", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider });
    cue.task("t", { uses: "api" }, async (work) => sleep(cue.clock, 1234.5, work.signal));
    cue.start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await cue.submit("t"));
    await clock.runUntilIdle(() => cue.idle());
    for (const id of ids) {
      const work = (await cue.get(id))!;
      const process = o.spans().find((s) => s.name === "process t" && s.attributes["messaging.message.id"] === id)!;
      const send = o.spans().find((s) => s.name === "send t" && s.attributes["messaging.message.id"] === id)!;
      expect(ms(send.startTime)).toBe(work.createdAt);
      expect(ms(send.endTime)).toBe(work.createdAt);
      expect(ms(process.startTime)).toBe(work.startedAt);
      expect(ms(process.endTime)).toBe(work.completedAt);
      expect(ms(process.duration)).toBeCloseTo(1234.5, 6);
    }
    // 5 works, 2 at a time: the last starts after two rounds, at 2469 ms of virtual time, not in the present.
    const last = (await cue.get(ids[4]!))!;
    expect(last.startedAt).toBe(2469);
    expect(ms(o.spans().find((s) => s.attributes["messaging.message.id"] === ids[4] && s.name === "process t")!.startTime)).toBe(2469);
  });

  it("runs the handler inside its process span: a span the handler starts is its child", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider });
    const own = o.tracerProvider.getTracer("app");
    cue.task("fetch", { uses: "api" }, async (work) => {
      await sleep(cue.clock, 10, work.signal); // across an await: the context survives it
      await own.startActiveSpan("GET /pages", async (span) => {
        await sleep(cue.clock, 5, work.signal);
        span.end();
      });
    });
    cue.start();
    await cue.submit("fetch");
    await clock.runUntilIdle(() => cue.idle());
    const [process] = named(o.spans(), "process fetch");
    const [inner] = named(o.spans(), "GET /pages");
    expect(parentOf(inner!)).toBe(process!.spanContext().spanId);
    expect(inner!.spanContext().traceId).toBe(process!.spanContext().traceId);
  });

  it("makes the submitter's active span the parent of the send span, so a request and its work share a trace", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider });
    cue.task("t", () => "ok");
    cue.start();
    const request = o.tracerProvider.getTracer("app").startSpan("POST /jobs");
    await context.with(trace.setSpan(context.active(), request), () => cue.submit("t"));
    request.end();
    await clock.runUntilIdle(() => cue.idle());
    const [send] = named(o.spans(), "send t");
    const [process] = named(o.spans(), "process t");
    expect(parentOf(send!)).toBe(request.spanContext().spanId);
    expect(process!.spanContext().traceId).toBe(request.spanContext().traceId);
  });

  it("with parent: \"link\", starts each process span in a new trace that links to its submit", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider, parent: "link" });
    cue.task("t", () => "ok");
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    const [send] = named(o.spans(), "send t");
    const [process] = named(o.spans(), "process t");
    expect(parentOf(process!)).toBeUndefined();
    expect(process!.spanContext().traceId).not.toBe(send!.spanContext().traceId);
    expect(process!.links[0]!.context.spanId).toBe(send!.spanContext().spanId);
  });

  it("with spans.submit false, makes no send span, and the process span is a child of the submitter's context", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider, spans: { submit: false } });
    cue.task("t", () => "ok");
    cue.start();
    const request = o.tracerProvider.getTracer("app").startSpan("job");
    await context.with(trace.setSpan(context.active(), request), () => cue.submit("t"));
    request.end();
    await clock.runUntilIdle(() => cue.idle());
    expect(named(o.spans(), "send t")).toEqual([]);
    expect(parentOf(named(o.spans(), "process t")[0]!)).toBe(request.spanContext().spanId);
  });

  it("adds the attributes hook's attributes, and survives a hook that throws", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    let calls = 0;
    instrument(cue, {
      tracerProvider: o.tracerProvider,
      attributes: (work) => {
        if (++calls === 1) throw new Error("hook bug");
        return { "app.page": (work.params as { page: number }).page, "messaging.system": "mine" };
      },
    });
    cue.task("t", () => "ok");
    cue.start();
    await cue.submit("t", { page: 7 });
    await clock.runUntilIdle(() => cue.idle());
    const [send] = named(o.spans(), "send t");
    const [process] = named(o.spans(), "process t");
    expect(send!.attributes["app.page"]).toBeUndefined(); // the first call threw: ignored
    expect(process!.attributes["app.page"]).toBe(7);
    expect(process!.attributes["messaging.system"]).toBe("runcue"); // runcue's own win
    expect(process!.attributes["runcue.outcome"]).toBe("completed");
  });
});

describe("without an SDK", () => {
  it("costs no context switch: the handler runs as it would uninstrumented, and metrics go nowhere", async () => {
    const { cue, clock } = virtualCue();
    instrument(cue); // the global providers: no-ops until an SDK registers
    let active: unknown = "unset";
    cue.task("t", { uses: "api" }, () => {
      active = trace.getActiveSpan();
      return "ok";
    });
    cue.start();
    const id = await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    expect(active).toBeUndefined();
    expect((await cue.get(id))!.state).toBe("completed");
  });

  it("adds no listener but its start check while nothing records: failures still print the cue's own warning", async () => {
    const { cue, clock } = virtualCue();
    instrument(cue);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      cue.task("bad", () => {
        throw new Error("nobody records this");
      });
      cue.start();
      await cue.submit("bad");
      await clock.runUntilIdle(() => cue.idle());
      // Without a fail listener the cue prints each failure; with an SDK, instrument's listener records it instead.
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('task "bad" work 1 failed'));
    } finally {
      warn.mockRestore();
    }
  });

  it("starts recording when an SDK is registered behind the global provider later: the next attempts get process spans with the handler inside", async () => {
    const { cue, clock } = virtualCue();
    instrument(cue); // the global provider: a proxy, with nothing behind it yet
    const seen: (string | undefined)[] = [];
    cue.task("t", { uses: "api" }, async (work) => {
      seen.push(trace.getActiveSpan()?.spanContext().spanId);
      await sleep(cue.clock, 100, work.signal);
    });
    cue.start();
    await cue.submit("t");
    await clock.runUntilIdle(() => cue.idle());
    const o = sdk();
    trace.setGlobalTracerProvider(o.tracerProvider);
    try {
      // Submitted before any attempt found the SDK: the listeners that make send spans are added at that attempt's start.
      const second = await cue.submit("t");
      await clock.runUntilIdle(() => cue.idle());
      const third = await cue.submit("t");
      await clock.runUntilIdle(() => cue.idle());
      const process = named(o.spans(), "process t");
      const send = named(o.spans(), "send t");
      expect(process.map((s) => s.attributes["messaging.message.id"])).toEqual([second, third]);
      expect(process.map((s) => s.attributes["runcue.outcome"])).toEqual(["completed", "completed"]);
      expect(process.map((s) => ms(s.endTime) - ms(s.startTime))).toEqual([100, 100]);
      expect(send.map((s) => s.attributes["messaging.message.id"])).toEqual([third]);
      expect(parentOf(process[0]!)).toBeUndefined();
      expect(parentOf(process[1]!)).toBe(send[0]!.spanContext().spanId);
      expect(seen).toEqual([undefined, ...process.map((s) => s.spanContext().spanId)]);
    } finally {
      trace.disable();
    }
  });
});

describe("failures, retries, skips and cancels", () => {
  it("gives each attempt of a retried work its own process span, with increasing attempt numbers and a retry event", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider });
    let calls = 0;
    cue.task("flaky", { uses: "api", retry: { attempts: 3, delay: "1s", backoff: "fixed" } }, () => {
      if (++calls < 3) throw new Error(`boom ${calls}`);
      return "ok";
    });
    cue.start();
    const id = await cue.submit("flaky");
    await clock.runUntilIdle(() => cue.idle());
    const attempts = named(o.spans(), "process flaky").sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(attempts.map((s) => s.attributes["runcue.work.attempt"])).toEqual([1, 2, 3]);
    expect(attempts.map((s) => s.attributes["runcue.outcome"])).toEqual(["retried", "retried", "completed"]);
    expect(attempts.map((s) => s.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
    expect(attempts[0]!.status.message).toBe("boom 1");
    expect(attempts[0]!.attributes["error.type"]).toBe("Error");
    const retry = attempts[0]!.events.find((e) => e.name === "retry")!;
    expect(retry.attributes).toEqual({ "runcue.retry.delay_ms": 1000 });
    // Each attempt waited out the retry delay: its wait event says so.
    const wait = attempts[1]!.events.find((e) => e.name === "runcue.wait")!;
    expect(wait.attributes).toMatchObject({ "runcue.wait.reason": "retry_wait", "runcue.wait.delayed_ms": 1000 });
    expect(attempts[1]!.attributes["runcue.work.wait_ms"]).toBe(1000);
    // Every attempt is a child of the one submit.
    const [send] = named(o.spans(), "send flaky");
    expect(new Set(attempts.map(parentOf))).toEqual(new Set([send!.spanContext().spanId]));
    expect((await cue.get(id))!.attempt).toBe(3);
  });

  it("marks a failure with status ERROR, error.type and an exception event", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider });
    cue.on("fail", () => {}); // no default warning on stderr
    cue.task("bad", { uses: "api" }, () => {
      throw new Permanent("page 3 is corrupt");
    });
    cue.task("slow", { uses: "api", timeout: "2s" }, async (work) => sleep(cue.clock, 60_000, work.signal));
    cue.start();
    await cue.submit("bad");
    await cue.submit("slow");
    await clock.runUntilIdle(() => cue.idle());
    const [bad] = named(o.spans(), "process bad");
    expect(bad!.status).toEqual({ code: SpanStatusCode.ERROR, message: "page 3 is corrupt" });
    expect(bad!.attributes).toMatchObject({ "error.type": "Permanent", "runcue.outcome": "failed" });
    const exception = bad!.events.find((e) => e.name === "exception")!;
    expect(exception.attributes).toMatchObject({ "exception.type": "Permanent", "exception.message": "page 3 is corrupt" });
    const [slow] = named(o.spans(), "process slow");
    expect(slow!.attributes).toMatchObject({ "error.type": "TimeoutError", "runcue.outcome": "failed" });
    expect(ms(slow!.duration)).toBe(2000); // ended at the timeout, not when the handler gave up
  });

  it("records a RateLimited pushback as a rate_limited event on the attempt", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider });
    let calls = 0;
    cue.task("call", { uses: "api" }, () => {
      if (++calls === 1) throw new RateLimited({ retryAfter: "30s" });
      return "ok";
    });
    cue.start();
    await cue.submit("call");
    await clock.runUntilIdle(() => cue.idle());
    const attempts = named(o.spans(), "process call").sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.attributes).toMatchObject({ "runcue.outcome": "retried", "error.type": "RateLimited" });
    expect(attempts[0]!.events.map((e) => e.name)).toContain("rate_limited");
    expect(ms(attempts[1]!.startTime) - ms(attempts[0]!.endTime)).toBe(30_000);
  });

  it("emits no span for a skipped work by default, and a zero-length skip span when asked", async () => {
    for (const skip of [false, true]) {
      const { cue, clock } = virtualCue();
      const o = sdk();
      instrument(cue, { tracerProvider: o.tracerProvider, spans: { skip } });
      cue.task("done", { uses: "api", stale: () => false }, () => "never runs");
      cue.start();
      const id = await cue.submit("done");
      await clock.runUntilIdle(() => cue.idle());
      expect(named(o.spans(), "process done")).toEqual([]);
      const skips = named(o.spans(), "skip done");
      expect(skips).toHaveLength(skip ? 1 : 0);
      if (skip) {
        expect(skips[0]!.kind).toBe(SpanKind.INTERNAL);
        expect(skips[0]!.attributes).toMatchObject({ "runcue.outcome": "skipped", "messaging.message.id": id });
        expect(ms(skips[0]!.duration)).toBe(0);
        expect(parentOf(skips[0]!)).toBe(named(o.spans(), "send done")[0]!.spanContext().spanId);
      }
    }
  });

  it("ends a cancelled attempt's span at the cancel, with outcome cancelled and no error status", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider });
    cue.task("long", { uses: "api" }, async (work) => sleep(cue.clock, 10_000, work.signal));
    cue.start();
    const id = await cue.submit("long");
    await clock.advance(3000);
    await cue.cancel(id);
    await clock.runUntilIdle(() => cue.idle());
    const [span] = named(o.spans(), "process long");
    expect(span!.attributes).toMatchObject({ "runcue.outcome": "cancelled", "error.type": "CancelledError" });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(ms(span!.endTime)).toBe(3000);
  });
});

describe("the wait before each attempt, and why", () => {
  it("splits the wait into not ready, queued for limits and delayed, and names the largest", async () => {
    const { cue, clock } = virtualCue();
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider });
    let inputReady = false;
    cue.task("hog", { uses: "api" }, async (work) => sleep(cue.clock, 5000, work.signal));
    cue.task("needs-input", { uses: "api", ready: () => inputReady }, () => "ok");
    cue.task("late", { uses: "api" }, () => "ok");
    cue.start();
    await cue.submit("hog");
    await cue.submit("hog"); // both slots taken for 5 s
    await cue.submit("needs-input"); // not ready until 1.5 s, then queued behind the hogs until 5 s
    await cue.submit("late", {}, { delay: "7s" });
    await clock.advance(1500);
    inputReady = true;
    cue.recheck();
    await clock.runUntilIdle(() => cue.idle());
    const wait = (name: string): Record<string, unknown> => named(o.spans(), `process ${name}`)[0]!.events.find((e) => e.name === "runcue.wait")!.attributes!;
    expect(wait("needs-input")).toEqual({
      "runcue.wait.reason": "service_full",
      "runcue.wait.not_ready_ms": 1500,
      "runcue.wait.queued_ms": 3500,
      "runcue.wait.rate_limited_ms": 0,
      "runcue.wait.paused_ms": 0,
      "runcue.wait.service_full_ms": 3500,
      "runcue.wait.delayed_ms": 0,
      "runcue.wait.blocks": 1,
    });
    expect(wait("late")).toMatchObject({ "runcue.wait.reason": "delayed", "runcue.wait.delayed_ms": 7000, "runcue.wait.not_ready_ms": 0 });
    expect(named(o.spans(), "process needs-input")[0]!.attributes["runcue.work.wait_ms"]).toBe(5000);
  });

  it("tells a wait for a rate window and a pushback pause from a wait for a slot", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    cue.service("api", { rate: "2/s" });
    cue.service("db", { concurrent: 1 });
    const o = sdk();
    instrument(cue, { tracerProvider: o.tracerProvider });
    let pushed = false;
    cue.task("call", { uses: "api" }, () => "ok");
    cue.task("both", { uses: ["db", "api"] }, () => {
      if (pushed) return "ok";
      pushed = true;
      throw new RateLimited({ retryAfter: "10s", service: "api" });
    });
    cue.start();
    for (let i = 0; i < 5; i++) await cue.submit("call"); // 2 start at once; the others wait for the window
    await clock.runUntilIdle(() => cue.idle());
    await cue.submit("both");
    await clock.runUntilIdle(() => cue.idle());
    const calls = named(o.spans(), "process call").sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(calls.map((s) => ms(s.startTime))).toEqual([0, 0, 1000, 1000, 2000]);
    const lastWait = calls[4]!.events.find((e) => e.name === "runcue.wait")!.attributes!;
    expect(lastWait).toMatchObject({ "runcue.wait.reason": "rate_limited", "runcue.wait.rate_limited_ms": 2000, "runcue.wait.service_full_ms": 0 });
    expect(calls[4]!.attributes["runcue.services"]).toEqual(["api"]);
    const both = named(o.spans(), "process both").sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(both).toHaveLength(2);
    expect([...(both[1]!.attributes["runcue.services"] as string[])].sort()).toEqual(["api", "db"]);
    const retryWait = both[1]!.events.find((e) => e.name === "runcue.wait")!.attributes!;
    expect(retryWait).toMatchObject({ "runcue.wait.reason": "paused", "runcue.wait.paused_ms": 10_000 });
  });
});
