// What cues in several processes share beyond one rate: a freed slot wakes a waiting process
// (its bell), a weighted window across 3 real processes, and one set of limits per service.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError, Cue } from "runcue";
import { RedisStore } from "../src/index.js";
import { deferred, maxWeightInWindow } from "../../runcue/test/helpers.js";
import { child, runToEnd } from "./children.js";
import { REDIS_URL, SKEW_MS, auditedWeights, until, useNamespaces } from "./redis-helpers.js";

const namespace = useNamespaces({ beforeAll, afterAll });

describe("bells", () => {
  it("a slot freed in one process wakes the process waiting for it, long before its poll (pollMs 60 s)", async () => {
    const ns = namespace("bell");
    const a = new RedisStore({ url: REDIS_URL, namespace: ns, pollMs: 60_000 });
    const b = new RedisStore({ url: REDIS_URL, namespace: ns, pollMs: 60_000 });
    const holder = new Cue({ store: a });
    const waiter = new Cue({ store: b });
    const hold = deferred();
    const started = deferred();
    holder.service("api", { concurrent: 1 });
    waiter.service("api", { concurrent: 1 });
    holder.task("call", { uses: "api" }, () => hold.promise);
    waiter.task("call", { uses: "api" }, () => started.resolve());
    await Promise.all([a.ready(), b.ready()]);
    holder.start();
    await holder.submit("call");
    await until(() => holder.status().running === 1);
    waiter.start();
    await waiter.submit("call");
    // The waiter was told the service is full of another process's work: no known end.
    await until(() => waiter.debugBlocked().some((x) => x.reason === "service_full" && /1\/1 across processes, 0 here/.test(x.details)));
    hold.resolve();
    // Resolves only through the bell: the waiter's next poll is 60 s away (the test's timeout is 20 s).
    await started.promise;
    expect(b.bellsRung).toBeGreaterThanOrEqual(1);
    await Promise.all([holder.stop(), waiter.stop()]);
    await Promise.all([a.close(), b.close()]);
  }, 20_000);
});

describe("a weighted window shared by processes", () => {
  it("three processes sharing 100 tokens/s: the tokens started in any sliding second never exceed 100", async () => {
    const ns = namespace("tokens");
    const perChild = 20;
    const children = [0, 1, 2].map(() => child({ RCR_NS: ns, RCR_MODE: "tokens", RCR_COUNT: String(perChild), RCR_START_AT: "go" }));
    const finals = await runToEnd(children, "starts");
    const entries = finals.flatMap((f) => (f.starts as number[]).map((at, i) => [at, (f.costs as number[])[i] as number] as [number, number]));
    expect(entries).toHaveLength(3 * perChild);
    const total = entries.reduce((n, [, w]) => n + w, 0);
    // Exactly on Redis's own record (one clock); on the handlers' clocks within the skew between
    // the processes' clocks (see SKEW_MS: a CI run under load saw 101 by them).
    const recorded = await auditedWeights(ns, "api", "tokens");
    expect(recorded).toHaveLength(3 * perChild);
    expect(recorded.reduce((n, [, w]) => n + w, 0)).toBe(total);
    const byRedis = maxWeightInWindow(recorded, 1000);
    const most = maxWeightInWindow(entries, 1000 - 2 * SKEW_MS);
    const span = Math.max(...entries.map(([at]) => at)) - Math.min(...entries.map(([at]) => at));
    process.stdout.write(`3 processes, 100 tokens/s: most tokens in a sliding second ${byRedis} by Redis's record, ${maxWeightInWindow(entries, 1000)} by the handlers' clocks (${most} allowing ${SKEW_MS} ms of skew); ${total} tokens in ${Math.round(span)} ms\n`);
    expect(byRedis).toBeLessThanOrEqual(100);
    expect(most).toBeLessThanOrEqual(100);
    expect(byRedis).toBeGreaterThan(70); // the window was really used, not starved
  }, 60_000);
});

describe("one set of limits per service and namespace", () => {
  it("the second cue to give a shared service other limits: its start() rejects with a ConfigurationError naming both", async () => {
    const ns = namespace("conflict-start");
    const a = new RedisStore({ url: REDIS_URL, namespace: ns });
    const b = new RedisStore({ url: REDIS_URL, namespace: ns, onError: () => undefined });
    const first = new Cue({ store: a });
    const second = new Cue({ store: b });
    first.service("api", { rate: "10/s", concurrent: 2 });
    await expect(first.start()).resolves.toBe(first);
    second.service("api", { rate: "20/s", concurrent: 2 });
    const rejected = await second.start().then(() => undefined, (e: unknown) => e);
    expect(rejected).toBeInstanceOf(ConfigurationError);
    expect((rejected as Error).message).toMatch(/Service "api" is registered in Redis namespace .* with other limits: \{"rate":\["10\/s"\],"concurrent":2\} there, \{"rate":\["20\/s"\],"concurrent":2\} here/);
    await Promise.all([first.stop(), second.stop()]);
    await Promise.all([a.close(), b.close()]);
  });

  it("a cue giving a shared service other limits: ready() rejects with a ConfigurationError naming both, and nothing starts", async () => {
    const ns = namespace("conflict");
    const errors: Error[] = [];
    const a = new RedisStore({ url: REDIS_URL, namespace: ns });
    const b = new RedisStore({ url: REDIS_URL, namespace: ns, onError: (e) => errors.push(e) });
    const first = new Cue({ store: a });
    const second = new Cue({ store: b });
    first.service("api", { rate: "10/s", concurrent: 2 });
    await a.ready();
    second.service("api", { rate: "20/s", concurrent: 2 });
    const rejected = await b.ready().then(() => undefined, (e: unknown) => e);
    expect(rejected).toBeInstanceOf(ConfigurationError);
    expect((rejected as Error).message).toContain('"10/s"');
    expect((rejected as Error).message).toContain('"20/s"');
    expect((rejected as Error).message).toContain('Service "api"');
    expect(errors).toHaveLength(1);
    // Started anyway: it refuses to start work and says why.
    let ran = 0;
    second.task("call", { uses: "api" }, () => void ran++);
    second.start();
    await second.submit("call");
    await until(() => second.debugBlocked().some((x) => /other limits/.test(x.details)));
    expect(ran).toBe(0);
    await second.stop();
    await Promise.all([a.close(), b.close()]);
  });

  it("the same limits are no conflict; update() in one process wins, and a process still on the old limits is refused until it updates too", async () => {
    const ns = namespace("update");
    const a = new RedisStore({ url: REDIS_URL, namespace: ns });
    const b = new RedisStore({ url: REDIS_URL, namespace: ns, onError: () => undefined });
    const first = new Cue({ store: a });
    const second = new Cue({ store: b });
    const api = first.service("api", { rate: "10/s" });
    const same = second.service("api", { rate: "10/s" });
    await Promise.all([a.ready(), b.ready()]);
    let ranFirst = 0;
    let ranSecond = 0;
    first.task("call", { uses: "api" }, () => void ranFirst++);
    second.task("call", { uses: "api" }, () => void ranSecond++);
    api.update({ rate: "5/s" });
    first.start();
    second.start();
    await first.submit("call");
    await until(() => ranFirst === 1);
    await second.submit("call");
    await until(() => second.debugBlocked().some((x) => /other limits: \{"rate":\["5\/s"\]/.test(x.details)));
    expect(ranSecond).toBe(0);
    same.update({ rate: "5/s" });
    await until(() => ranSecond === 1);
    await Promise.all([first.stop(), second.stop()]);
    await Promise.all([a.close(), b.close()]);
  }, 15_000);
});
