// Real child processes sharing one service through Redis: the shared rate holds across them,
// a killed process's slots come back after its lease, and nothing starts while Redis is away.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cue, sleep, systemClock } from "runcue";
import { RedisStore } from "../src/index.js";
import { maxInWindow } from "../../runcue/test/helpers.js";
import { child, runToEnd } from "./children.js";
import { REDIS_URL, SKEW_MS, auditedSpans, auditedStarts, maxOverlap, useNamespaces, withinSkew } from "./redis-helpers.js";

const namespace = useNamespaces({ beforeAll, afterAll });

/** Checks the starts and spans of a saturated 50/s, concurrent 5 run, by Redis's record and by the handlers'; returns the figures. */
async function checkShared(ns: string, count: number, starts: number[], spans: [number, number][]): Promise<string> {
  const recorded = await auditedStarts(ns, "api");
  const recordedSpans = await auditedSpans(ns, "api");
  expect(recorded).toHaveLength(count);
  expect(recordedSpans).toHaveLength(count);
  expect(starts).toHaveLength(count);
  expect(spans).toHaveLength(count);
  const byRedis = { rate: maxInWindow(recorded, 1000), running: maxOverlap(recordedSpans) };
  const byHandlers = {
    rate: maxInWindow(starts, 1000 - 2 * SKEW_MS),
    running: maxOverlap(withinSkew(spans)),
  };
  expect(byRedis.rate).toBeLessThanOrEqual(50);
  expect(byRedis.running).toBeLessThanOrEqual(5);
  expect(byHandlers.rate).toBeLessThanOrEqual(50);
  expect(byHandlers.running).toBeLessThanOrEqual(5);
  expect(byRedis.rate).toBeGreaterThanOrEqual(45); // the rate is reached, not starved
  return `max ${byRedis.rate} starts in a sliding second and ${byRedis.running} running by Redis's record (${maxInWindow(starts, 1000)} and ${maxOverlap(spans)} by the handlers' own clocks, ${byHandlers.rate} and ${byHandlers.running} allowing ${SKEW_MS} ms of skew)`;
}

describe("processes sharing a service through Redis", () => {
  it("three processes sharing 50/s, concurrent: 5: never more than 50 in any sliding second nor 5 running (by Redis's record and by the handlers'), and the rate is used", async () => {
    const ns = namespace("rate");
    const perChild = 100;
    const children = [0, 1, 2].map(() => child({ RCR_NS: ns, RCR_MODE: "rate", RCR_RATE: "50/s", RCR_COUNT: String(perChild), RCR_START_AT: "go" }));
    const finals = await runToEnd(children, "starts");
    const calls = finals.reduce((n, f) => n + (f.scriptCalls as number), 0);
    const starts = finals.flatMap((f) => f.starts as number[]);
    const spans = finals.flatMap((f) => f.spans as [number, number][]);
    const figures = await checkShared(ns, 3 * perChild, starts, spans);
    const span = Math.max(...starts) - Math.min(...starts);
    // 300 starts at 50/s: the first 50 at once, then 50 per second: at least 5 s.
    const utilisation = (starts.length - 50) / 50 / (span / 1000);
    process.stdout.write(`3 processes, 50/s: ${figures}; ${starts.length} starts in ${Math.round(span)} ms (utilisation ${(utilisation * 100).toFixed(1)} %); per process ${finals.map((f) => (f.starts as number[]).length).join("/")}; ${(calls / starts.length).toFixed(2)} script calls per start (acquire, commit, release, heartbeats; each child's own count)\n`);
    expect(utilisation).toBeGreaterThan(0.85); // measured 90-98 % on a shared 2-core machine
  }, 45_000);

  it("ten processes sharing 50/s, concurrent: 5: never more than 50 in any sliding second, never more than 5 running", async () => {
    const ns = namespace("ten");
    const perChild = 40;
    const children = Array.from({ length: 10 }, () => child({ RCR_NS: ns, RCR_MODE: "rate", RCR_RATE: "50/s", RCR_COUNT: String(perChild), RCR_START_AT: "go" }));
    const finals = await runToEnd(children, "starts");
    const starts = finals.flatMap((f) => f.starts as number[]);
    const spans = finals.flatMap((f) => f.spans as [number, number][]);
    const figures = await checkShared(ns, 10 * perChild, starts, spans);
    const span = Math.max(...starts) - Math.min(...starts);
    const utilisation = (starts.length - 50) / 50 / (span / 1000);
    process.stdout.write(`10 processes, 50/s: ${figures}; ${starts.length} starts in ${Math.round(span)} ms (utilisation ${(utilisation * 100).toFixed(1)} %); per process ${finals.map((f) => (f.starts as number[]).length).join("/")}\n`);
    // Measured 78–96 % with 10 Node processes and Redis on 2 shared cores (each start is stamped at
    // its commit, so a loaded machine's delays push every window's next slots later): the rate
    // is used, not starved; the bench measures utilisation.
    expect(utilisation).toBeGreaterThan(0.6);
  }, 90_000);

  it("three processes, a task through two shared services (20/s, concurrent 3): both limits hold across them", async () => {
    const ns = namespace("two");
    const perChild = 30;
    const children = [0, 1, 2].map(() => child({ RCR_NS: ns, RCR_MODE: "two", RCR_COUNT: String(perChild), RCR_START_AT: "go" }));
    const finals = await runToEnd(children, "starts");
    const starts = finals.flatMap((f) => f.starts as number[]);
    const spans = finals.flatMap((f) => f.spans as [number, number][]);
    const calls = finals.reduce((n, f) => n + (f.scriptCalls as number), 0);
    expect(starts).toHaveLength(3 * perChild);
    // On the handlers' clocks, within the skew between the processes' clocks (see SKEW_MS).
    const max = maxInWindow(starts, 1000 - 2 * SKEW_MS);
    const running = maxOverlap(withinSkew(spans));
    process.stdout.write(`3 processes, a task using "api" (20/s) and "db" (concurrent 3), works of 100 ms: max ${max} starts in a sliding second, at most ${running} running; ${(calls / starts.length).toFixed(2)} script calls per start\n`);
    expect(max).toBeLessThanOrEqual(20);
    expect(maxInWindow(await auditedStarts(ns, "api"), 1000)).toBeLessThanOrEqual(20);
    expect(maxOverlap(await auditedSpans(ns, "api"))).toBeLessThanOrEqual(3); // db's cap, on Redis's clock (api's spans: every start holds both)
    expect(running).toBeLessThanOrEqual(3);
  }, 45_000);

  it("a killed process's slots come back after its lease", async () => {
    const ns = namespace("crash");
    const leaseMs = 1500;
    const holder = child({ RCR_NS: ns, RCR_MODE: "hold", RCR_COUNT: "2", RCR_LEASE_MS: String(leaseMs) });
    await holder.line("held");
    holder.process.kill("SIGKILL");
    const killedAt = Date.now();
    await holder.exited;
    const store = new RedisStore({ url: REDIS_URL, namespace: ns, leaseMs });
    const cue = new Cue({ store });
    cue.service("api", { concurrent: 2 });
    const starts: number[] = [];
    cue.task("call", { uses: "api" }, () => void starts.push(Date.now()));
    cue.start();
    await cue.submit("call");
    await cue.idle();
    await cue.stop();
    await store.close();
    const after = (starts[0] as number) - killedAt;
    process.stdout.write(`slots back ${after} ms after kill -9 (lease ${leaseMs} ms)\n`);
    expect(after).toBeLessThanOrEqual(leaseMs + 1000);
  }, 20_000);
});

describe("Redis unreachable", () => {
  it("fails closed: nothing starts, debugBlocked says store_unavailable, stop still works", async () => {
    const store = new RedisStore({ url: "redis://127.0.0.1:1", namespace: namespace("closed") });
    const cue = new Cue({ store });
    cue.service("api", { rate: "20/s" });
    let started = 0;
    cue.task("call", { uses: "api" }, () => void started++);
    cue.start();
    for (let i = 0; i < 3; i++) await cue.submit("call");
    await sleep(systemClock, 400);
    expect(started).toBe(0);
    const blocked = cue.debugBlocked();
    expect(blocked.length).toBe(3);
    expect(blocked.map((b) => b.reason)).toEqual(["store_unavailable", "store_unavailable", "store_unavailable"]);
    await cue.stop({ timeout: 100 });
    await store.close();
    await expect(store.ready()).rejects.toThrow(/ECONNREFUSED|closed|offline/i);
  });
});
