import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Registry } from "prom-client";
import { Cue, RateLimited, VirtualClock, sleep } from "runcue";
import { afterEach, describe, expect, it, vi } from "vitest";
import { METRIC_NAMES, metricsHandler, register } from "../src/index.js";
import { REASONS } from "../src/metric-set.js";
import { parseExposition, sampleValue } from "./exposition.js";

afterEach(() => vi.restoreAllMocks());

/** A scripted run: 6 completed `ok`, `bad` failing after 2 retries, 2 skipped, 1 cancelled while pending, one pushback. */
async function scriptedRun(cue: Cue, clock: VirtualClock): Promise<void> {
  cue.on("fail", () => {});
  cue.service("api", { concurrent: 2, rate: "3/s" });
  cue.task("ok", { uses: "api" }, async (work) => sleep(cue.clock, 400, work.signal));
  cue.task("bad", { uses: "api", retry: { attempts: 3, delay: "1s" } }, () => {
    throw new Error("no");
  });
  let pushed = false;
  cue.task("pushy", { uses: "api" }, () => {
    if (pushed) return "ok";
    pushed = true;
    throw new RateLimited({ retryAfter: "5s" });
  });
  cue.task("done", { stale: () => false }, () => "never");
  cue.start();
  await cue.submit("pushy");
  for (let i = 0; i < 6; i++) await cue.submit("ok");
  await cue.submit("bad");
  await cue.submit("done");
  await cue.submit("done");
  await cue.cancel(await cue.submit("ok", {}, { delay: "1h" }));
  await clock.runUntilIdle(() => cue.idle());
}

function promtool(text: string): { ran: boolean; status: number | null; output: string } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  if (r.error !== undefined) return { ran: false, status: null, output: String(r.error) };
  return { ran: true, status: r.status, output: r.stdout + r.stderr };
}
const hasPromtool = promtool("").ran;
if (!hasPromtool) console.warn("runcue-prometheus: promtool is absent (apt-get install prometheus); the promtool check is skipped");

describe("the exposition", () => {
  it("has # HELP and # TYPE for every metric, base units and _total counters, and counts equal to the run's events", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const registry = new Registry();
    register(cue, { registry });
    const seen = { submit: 0, start: 0, retry: 0 };
    for (const name of Object.keys(seen) as (keyof typeof seen)[]) cue.on(name, () => void seen[name]++);
    await scriptedRun(cue, clock);
    const families = parseExposition(await registry.metrics());

    expect([...families.keys()].sort()).toEqual(METRIC_NAMES.map((n) => `runcue_${n}`).sort());
    for (const f of families.values()) {
      expect(f.help.length, f.name).toBeGreaterThan(10);
      if (f.type === "counter") expect(f.name).toMatch(/_total$/);
      if (f.type === "histogram") expect(f.name).toMatch(/_seconds$/);
      for (const s of f.samples) expect(Object.keys(s.labels).some((l) => /id|param/.test(l))).toBe(false);
    }
    const total = (name: string): number => families.get(name)!.samples.reduce((sum, s) => sum + s.value, 0);
    expect(total("runcue_works_submitted_total")).toBe(seen.submit);
    expect(total("runcue_works_started_total")).toBe(seen.start);
    expect(total("runcue_work_retries_total")).toBe(seen.retry);
    expect(sampleValue(families, "runcue_works_submitted_total", { task: "ok" })).toBe(7);
    const finished = (task: string, outcome: string): number | undefined => sampleValue(families, "runcue_works_finished_total", { task, outcome });
    expect(finished("ok", "completed")).toBe(6);
    expect(finished("ok", "cancelled")).toBe(1);
    expect(finished("bad", "failed")).toBe(1);
    expect(finished("done", "skipped")).toBe(2);
    expect(finished("pushy", "completed")).toBe(1);
    expect(sampleValue(families, "runcue_work_retries_total", { task: "bad" })).toBe(2);
    expect(sampleValue(families, "runcue_work_retries_total", { task: "pushy" })).toBe(1);
    expect(sampleValue(families, "runcue_service_pauses_total", { service: "api" })).toBe(1);

    // Durations in seconds, one per attempt; the 400 ms handlers land in the 0.5 s bucket.
    expect(sampleValue(families, "runcue_work_duration_seconds_count", { task: "ok", outcome: "completed" })).toBe(6);
    expect(sampleValue(families, "runcue_work_duration_seconds_sum", { task: "ok", outcome: "completed" })).toBeCloseTo(2.4, 9);
    expect(sampleValue(families, "runcue_work_duration_seconds_bucket", { task: "ok", outcome: "completed", le: "0.25" })).toBe(0);
    expect(sampleValue(families, "runcue_work_duration_seconds_bucket", { task: "ok", outcome: "completed", le: "0.5" })).toBe(6);
    expect(sampleValue(families, "runcue_work_duration_seconds_count", { task: "bad", outcome: "retried" })).toBe(2);
    expect(sampleValue(families, "runcue_work_duration_seconds_count", { task: "bad", outcome: "failed" })).toBe(1);
    // `pushy` started at once, then its retry waited out the 5 s pause (timed from the pushback, not the submit).
    expect(sampleValue(families, "runcue_work_wait_seconds_count", { task: "pushy" })).toBe(2);
    expect(sampleValue(families, "runcue_work_wait_seconds_bucket", { task: "pushy", le: "0.001" })).toBe(1);
    expect(sampleValue(families, "runcue_work_wait_seconds_sum", { task: "pushy" })).toBeGreaterThanOrEqual(5);
    expect(sampleValue(families, "runcue_work_wait_seconds_sum", { task: "pushy" })).toBeLessThan(7);
    await clock.runUntilIdle(() => cue.stop());
  });

  it("gives the same counters when scraped twice without activity", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const registry = new Registry();
    register(cue, { registry });
    await scriptedRun(cue, clock);
    const first = await registry.metrics();
    const second = await registry.metrics();
    expect(second).toBe(first);
    await clock.runUntilIdle(() => cue.stop());
  });

  it.skipIf(!hasPromtool)("passes promtool check metrics", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const registry = new Registry();
    register(cue, { registry, labels: { cue: "ingest" } });
    await scriptedRun(cue, clock);
    const text = await registry.metrics();
    const result = promtool(text);
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
    // promtool does judge: a counter without _total fails it.
    const bad = new Registry();
    new Counter({ name: "runcue_works_done", help: "bad name", registers: [bad] }).inc();
    expect(promtool(await bad.metrics()).status).not.toBe(0);
    await clock.runUntilIdle(() => cue.stop());
  });

  it("keeps series bounded: 10,000 works with distinct params give series per task, never per work", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const registry = new Registry();
    register(cue, { registry });
    cue.service("api", { concurrent: 50 });
    cue.task("a", { uses: "api" }, () => "ok");
    cue.task("b", { uses: "api" }, () => "ok");
    cue.start();
    for (let i = 0; i < 10_000; i++) await cue.submit(i % 2 === 0 ? "a" : "b", { page: i, url: `https://example.com/${i}` });
    await clock.runUntilIdle(() => cue.idle());
    const text = await registry.metrics();
    const families = parseExposition(text);
    const series = [...families.values()].reduce((n, f) => n + f.samples.length, 0);
    expect(series).toBeLessThan(200);
    expect(text).not.toMatch(/example\.com|page=/);
    expect(sampleValue(families, "runcue_works_finished_total", { task: "a", outcome: "completed" })).toBe(5000);
    await clock.runUntilIdle(() => cue.stop());
  });
});

describe("gauges read the cue at scrape time", () => {
  it("equal summary() and status() when scraped: states, reasons, slots, queue, rate windows and pause", async () => {
    const clock = new VirtualClock(1_000_000);
    const cue = new Cue({ clock });
    const registry = new Registry();
    register(cue, { registry });
    cue.service("llm", { concurrent: 3, rate: ["5/s", "100/h"] });
    cue.service("disk", {});
    cue.service("fax", { rate: "1/min" });
    cue.service("openai", { rate: "10/min", per: (work) => (work.params as { apiKey: string }).apiKey });
    cue.task("call", { uses: "llm" }, async (work) => sleep(cue.clock, 10_000, work.signal));
    cue.task("send", { uses: "fax" }, () => "sent");
    cue.task("complete", { uses: "openai" }, () => "ok");
    cue.task("wait-input", { ready: () => false }, () => "never");
    cue.task("push", { uses: "disk" }, () => {
      throw new RateLimited({ retryAfter: "90s" });
    });
    cue.start();
    for (let i = 0; i < 8; i++) await cue.submit("call");
    for (let i = 0; i < 4; i++) await cue.submit("wait-input");
    for (let i = 0; i < 2; i++) await cue.submit("send");
    for (const apiKey of ["a", "b", "c"]) await cue.submit("complete", { apiKey });
    await cue.submit("push");
    await clock.advance(1500);

    const summary = cue.summary();
    const status = cue.status();
    const f = parseExposition(await registry.metrics());
    expect(sampleValue(f, "runcue_started")).toBe(1);
    for (const state of ["queued", "checking", "blocked", "delayed", "running"] as const) {
      expect(sampleValue(f, "runcue_works", { state }), state).toBe(status[state]);
    }
    for (const r of summary.reasons) expect(sampleValue(f, "runcue_pending_works", { reason: r.reason })).toBe(r.count);
    expect(sampleValue(f, "runcue_pending_works", { reason: "not_ready" })).toBe(4);
    expect(sampleValue(f, "runcue_pending_works", { reason: "service_full" })).toBe(5);
    expect(sampleValue(f, "runcue_pending_works", { reason: "stopped" })).toBe(0); // always present
    expect(sampleValue(f, "runcue_service_active", { service: "llm" })).toBe(3);
    expect(sampleValue(f, "runcue_service_concurrency_limit", { service: "llm" })).toBe(3);
    expect(sampleValue(f, "runcue_service_concurrency_limit", { service: "disk" })).toBeUndefined();
    expect(sampleValue(f, "runcue_service_queued", { service: "llm" })).toBe(5);
    expect(sampleValue(f, "runcue_service_rate_used", { service: "llm", window: "100/h" })).toBe(3);
    expect(sampleValue(f, "runcue_service_rate_limit", { service: "llm", window: "5/s" })).toBe(5);
    expect(sampleValue(f, "runcue_service_paused_seconds", { service: "disk" })).toBe(88.5);
    expect(sampleValue(f, "runcue_service_paused_seconds", { service: "llm" })).toBe(0);
    expect(sampleValue(f, "runcue_service_rate_next_free_seconds", { service: "fax", window: "1/min" })).toBe(58.5);
    expect(sampleValue(f, "runcue_service_rate_next_free_seconds", { service: "llm", window: "5/s" })).toBe(0);
    expect(sampleValue(f, "runcue_service_keys", { service: "openai" })).toBe(3);
    expect(sampleValue(f, "runcue_service_keys", { service: "llm" })).toBe(0);

    await clock.advance(10_000);
    const later = parseExposition(await registry.metrics());
    expect(sampleValue(later, "runcue_service_rate_used", { service: "llm", window: "100/h" })).toBe(6);
    expect(sampleValue(later, "runcue_service_paused_seconds", { service: "disk" })).toBe(78.5);
    await clock.runUntilIdle(() => cue.stop({ timeout: 0 }));
    expect(sampleValue(parseExposition(await registry.metrics()), "runcue_started")).toBe(0);
  });

  it("exports every reason summary() can report, at 0 when no work waits for it (series never vanish)", async () => {
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const registry = new Registry();
    register(cue, { registry });
    cue.service("api", { concurrent: 1 });
    cue.task("call", { uses: "api" }, async (work) => sleep(cue.clock, 10_000, work.signal));
    cue.task("report", () => "done");
    const reasons = (f: ReturnType<typeof parseExposition>): Record<string, number> =>
      Object.fromEntries((f.get("runcue_pending_works")?.samples ?? []).map((x) => [x.labels.reason!, x.value]));
    const all = ["not_ready", "waiting_for", "service_full", "rate_limited", "store_unavailable", "reseeding", "key_held", "delayed", "queued", "stopped"];

    const idle = reasons(parseExposition(await registry.metrics()));
    expect(Object.keys(idle).sort()).toEqual([...all].sort());
    expect(Object.values(idle).every((n) => n === 0)).toBe(true);
    expect([...REASONS].sort()).toEqual([...all].sort());

    cue.start();
    const running = await cue.submit("call");
    await cue.submit("call");
    await cue.submit("report", undefined, { after: [running] });
    await clock.advance(10);
    const busy = reasons(parseExposition(await registry.metrics()));
    expect(busy).toMatchObject({ service_full: 1, waiting_for: 1, not_ready: 0, rate_limited: 0, key_held: 0, stopped: 0 });
    for (const r of cue.summary().reasons) expect(busy[r.reason]).toBe(r.count);
    await clock.runUntilIdle(() => cue.stop({ timeout: 0 }));
  });
});

describe("several cues, and unregistering", () => {
  it("lets two cues share a registry and prefix, told apart by their labels", async () => {
    const registry = new Registry();
    const clock = new VirtualClock();
    const ingest = new Cue({ clock });
    const publish = new Cue({ clock });
    register(ingest, { registry, labels: { cue: "ingest" } });
    register(publish, { registry, labels: { cue: "publish" } });
    for (const [cue, n] of [[ingest, 3], [publish, 5]] as const) {
      cue.task("t", () => "ok");
      cue.start();
      for (let i = 0; i < n; i++) await cue.submit("t");
    }
    await clock.runUntilIdle(() => Promise.all([ingest.idle(), publish.idle()]));
    const f = parseExposition(await registry.metrics());
    expect(sampleValue(f, "runcue_works_finished_total", { cue: "ingest", task: "t", outcome: "completed" })).toBe(3);
    expect(sampleValue(f, "runcue_works_finished_total", { cue: "publish", task: "t", outcome: "completed" })).toBe(5);
    expect(sampleValue(f, "runcue_started", { cue: "ingest" })).toBe(1);
    expect(() => register(new Cue(), { registry, labels: { cue: "ingest" } })).toThrow(/same labels \{"cue":"ingest"\}/);
    expect(() => register(new Cue(), { registry, labels: { app: "x" } })).toThrow(/must use the same label names: \[cue\] already, \[app\] given/);
    expect(() => register(ingest, { registry, labels: { cue: "again" } })).toThrow(/already registered/);
  });

  it("removes listeners and metrics when unregistered: the registry is empty and the cue's default failure warning is back", async () => {
    const registry = new Registry();
    const clock = new VirtualClock();
    const cue = new Cue({ clock });
    const unregister = register(cue, { registry, prefix: "jobs_" });
    cue.task("bad", () => {
      throw new Error("nobody listens");
    });
    cue.start();
    unregister();
    unregister();
    expect(await registry.metrics()).toBe("\n");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await cue.submit("bad");
    await clock.runUntilIdle(() => cue.idle());
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('task "bad" work 1 failed'));
    register(cue, { registry, prefix: "jobs_" }); // and it can be registered again
    expect(parseExposition(await registry.metrics()).has("jobs_works_submitted_total")).toBe(true);
  });

  it("refuses a prefix whose names something else registered", () => {
    const registry = new Registry();
    new Counter({ name: "runcue_works_started_total", help: "mine", registers: [registry] });
    expect(() => register(new Cue(), { registry })).toThrow(/already has a metric named runcue_works_started_total/);
    expect(registry.getMetricsAsArray()).toHaveLength(1); // nothing half-registered
  });
});

describe("metricsHandler", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it("serves the registry on GET /metrics with Prometheus' content type, 404 elsewhere and 405 for other methods", async () => {
    const registry = new Registry();
    const cue = new Cue();
    register(cue, { registry });
    cue.task("t", () => "ok");
    cue.start();
    await cue.submit("t");
    await cue.idle();
    server = createServer(metricsHandler({ registry }));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ok = await fetch(`${base}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(sampleValue(parseExposition(await ok.text()), "runcue_works_finished_total", { task: "t", outcome: "completed" })).toBe(1);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    await cue.stop();
  });
});

describe("bad input", () => {
  const cue = new Cue();
  it.each([
    [{ registy: new Registry() }, /unknown option "registy"/],
    [{ registry: {} }, /invalid registry: an object with keys \[\] \(expected a prom-client Registry\)/],
    [{ prefix: "9lives_" }, /invalid prefix: "9lives_"/],
    [{ prefix: "a-b" }, /invalid prefix: "a-b"/],
    [{ labels: { task: "x" } }, /label name "task" is one runcue's metrics use already/],
    [{ labels: { "bad-name": "x" } }, /invalid label name "bad-name"/],
    [{ labels: { __x: "x" } }, /invalid label name "__x"/],
    [{ labels: { env: 3 } }, /invalid value of label env: 3 \(expected a string\)/],
    [{ buckets: { duration: [1, 0.5] } }, /invalid buckets\.duration: \[1,0\.5\] \(expected ascending positive seconds/],
    [{ buckets: { size: [1] } }, /unknown buckets option "size"/],
  ])("register rejects %j with an error naming the value", (options, message) => {
    expect(() => register(cue, { registry: new Registry(), ...options } as never)).toThrow(message);
  });

  it("register rejects something that is not a cue; metricsHandler rejects bad options", () => {
    expect(() => register("cue" as never)).toThrow(/register\(\) needs a runcue Cue, got "cue"/);
    expect(() => register(cue, [] as never)).toThrow(/invalid options: \[\] \(expected an object\)/);
    expect(() => metricsHandler({ path: "metrics" })).toThrow(/invalid path: "metrics" \(expected a path starting with \/\)/);
    expect(() => metricsHandler({ registry: 1 } as never)).toThrow(/invalid registry: 1/);
    expect(() => metricsHandler({ port: 1 } as never)).toThrow(/unknown metricsHandler option "port"/);
  });
});
