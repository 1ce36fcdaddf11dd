// Redis losing its state or freezing mid-run, on a redis-server of the test's own (never the
// shared one): no window or cap overshoots afterwards, work resumes by itself, nothing is lost.
import { afterEach, describe, expect, it } from "vitest";
import { Cue, sleep, systemClock } from "runcue";
import { RedisStore } from "../src/index.js";
import { maxInWindow } from "../../runcue/test/helpers.js";
import { child, startTogether, type Child } from "./children.js";
import { OwnRedis } from "./own-redis.js";
import { REDIS_URL, maxOverlap, uniqueNamespace } from "./redis-helpers.js";

const servers: OwnRedis[] = [];
const spawned: Child[] = [];
afterEach(async () => {
  for (const c of spawned.splice(0)) if (c.process.exitCode === null) c.process.kill("SIGKILL");
  for (const s of servers.splice(0)) {
    s.thaw();
    await s.remove();
  }
});

async function ownRedis(options: { aof?: boolean } = {}): Promise<OwnRedis> {
  const server = new OwnRedis(options);
  servers.push(server);
  await server.start();
  return server;
}

describe("Redis restarted empty mid-run", () => {
  it("three processes sharing 20/s: no sliding second over 20 after the restart (the reseed period), every work runs", async () => {
    const server = await ownRedis();
    const ns = uniqueNamespace("restart");
    const perChild = 50;
    const leaseMs = 3000;
    const children = [0, 1, 2].map(() => child({ RCR_URL: server.url, RCR_NS: ns, RCR_MODE: "rate", RCR_COUNT: String(perChild), RCR_START_AT: "go", RCR_LEASE_MS: String(leaseMs) }));
    spawned.push(...children);
    await startTogether(children);
    // Mid-run (1.3 s after the last child's first start, however long they took to boot: the
    // window holds fresh starts), Redis dies and comes back empty.
    const firsts = await Promise.all(children.map(async (c) => (await c.line("first")).first as number));
    await sleep(systemClock, Math.max(...firsts) + 1300 - Date.now());
    await server.kill();
    const restartedAt = Date.now();
    await server.start();
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes).toEqual([0, 0, 0]);
    const finals = await Promise.all(children.map((c) => c.line("starts")));
    const starts = finals.flatMap((f) => f.starts as number[]);
    expect(starts).toHaveLength(3 * perChild);
    const max = maxInWindow(starts, 1000);
    const reseeds = finals.reduce((n, f) => n + (f.reseeds as number), 0);
    const gap = Math.min(...starts.filter((s) => s > restartedAt)) - restartedAt;
    process.stdout.write(`Redis restarted empty: max ${max} starts in a sliding second (limit 20); ${reseeds} pushes of their state by the 3 processes; first start ${gap} ms after the restart (lease ${leaseMs} ms: reseed period ${leaseMs / 2} ms)\n`);
    expect(max).toBeLessThanOrEqual(20);
    expect(reseeds).toBeGreaterThanOrEqual(1);
    // The restart came mid-run: starts before it and after it.
    expect(starts.filter((s) => s < restartedAt).length).toBeGreaterThanOrEqual(20);
    expect(starts.filter((s) => s > restartedAt).length).toBeGreaterThanOrEqual(20);
  }, 60_000);
});

describe("Redis stopped for 3 s mid-run", () => {
  it("two processes: nothing starts while it is away (store_unavailable), running works finish, their releases go out on reconnect and the rest runs", async () => {
    const server = await ownRedis();
    const namespace = uniqueNamespace("outage");
    const starts: number[] = [];
    const ends: number[] = [];
    const make = () => {
      const store = new RedisStore({ url: server.url, namespace, leaseMs: 3000, retryMs: 100 });
      const cue = new Cue({ store });
      cue.service("api", { rate: "20/s", concurrent: 2 });
      cue.task("call", { uses: "api" }, async () => {
        starts.push(Date.now());
        await sleep(systemClock, 600);
        ends.push(Date.now());
      });
      return { store, cue };
    };
    const processes = [make(), make()];
    await Promise.all(processes.map((p) => p.store.ready()));
    for (const p of processes) p.cue.start();
    for (const p of processes) for (let i = 0; i < 6; i++) await p.cue.submit("call");
    while (starts.length < 2) await sleep(systemClock, 10);
    await server.kill();
    const killedAt = Date.now();
    let unavailable = false;
    while (Date.now() < killedAt + 3000) {
      unavailable ||= processes.some((p) => p.cue.debugBlocked().some((x) => x.reason === "store_unavailable"));
      await sleep(systemClock, 50);
    }
    const restartedAt = Date.now();
    await server.start();
    await Promise.all(processes.map((p) => p.cue.idle()));
    for (const p of processes) await p.cue.stop();
    for (const p of processes) await p.store.close();
    expect(unavailable).toBe(true);
    expect(starts).toHaveLength(12);
    // Works started before the kill finished during the outage; none started while Redis was away
    // (a grant already on its way at the kill may start just after it).
    expect(ends.filter((e) => e > killedAt && e < restartedAt).length).toBeGreaterThan(0);
    expect(starts.filter((s) => s > killedAt + 500 && s < restartedAt)).toEqual([]);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(20);
  }, 30_000);
});

describe("Redis restarted from its append-only file", () => {
  it("a new run id: the process pushes its state back and a reseed period holds starts, then every work runs within the limit", async () => {
    const server = await ownRedis({ aof: true });
    const store = new RedisStore({ url: server.url, namespace: uniqueNamespace("aof"), leaseMs: 3000 });
    const cue = new Cue({ store });
    cue.service("api", { rate: "20/s" });
    const starts: number[] = [];
    cue.task("call", { uses: "api" }, () => void starts.push(Date.now()));
    await store.ready();
    cue.start();
    for (let i = 0; i < 50; i++) await cue.submit("call");
    while (starts.length < 20) await sleep(systemClock, 10);
    await sleep(systemClock, 300);
    await server.kill();
    const restartedAt = Date.now();
    await server.start();
    let sawReseeding = false;
    while (cue.status().pending > 0) {
      if (cue.debugBlocked().some((x) => x.reason === "reseeding")) sawReseeding = true;
      await sleep(systemClock, 20);
    }
    await cue.idle();
    await cue.stop();
    await store.close();
    expect(store.reseeds).toBeGreaterThanOrEqual(1);
    expect(sawReseeding).toBe(true);
    expect(starts).toHaveLength(50);
    expect(starts.filter((s) => s > restartedAt).length).toBeGreaterThan(0);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(20);
  }, 30_000);
});

describe("Redis frozen longer than the lease", () => {
  it("the first process back does not reap the others: a cap of 2 never has 3 running", async () => {
    const server = await ownRedis();
    const namespace = uniqueNamespace("freeze");
    const leaseMs = 1200;
    const intervals: [number, number][] = [];
    const make = (label: string, works: number, holdMs: number) => {
      const store = new RedisStore({ url: server.url, namespace, leaseMs, pollMs: 100 });
      const cue = new Cue({ store });
      cue.service("api", { concurrent: 2 });
      const started: string[] = [];
      cue.task("call", { uses: "api" }, async () => {
        const at = Date.now();
        started.push(label);
        await sleep(systemClock, holdMs);
        intervals.push([at, Date.now()]);
      });
      return { store, cue, started, works };
    };
    // A holds both slots for 4 s; B waits for one.
    const a = make("a", 2, 4000);
    const b = make("b", 1, 10);
    await a.store.ready();
    await b.store.ready();
    a.cue.start();
    for (let i = 0; i < a.works; i++) await a.cue.submit("call");
    while (a.started.length < 2) await sleep(systemClock, 10);
    b.cue.start();
    await b.cue.submit("call");
    await sleep(systemClock, 300);
    // Redis answers nothing for twice the lease: every deadline passes meanwhile.
    server.freeze();
    await sleep(systemClock, 2 * leaseMs);
    server.thaw();
    await Promise.all([a.cue.idle(), b.cue.idle()]);
    await Promise.all([a.cue.stop(), b.cue.stop()]);
    await Promise.all([a.store.close(), b.store.close()]);
    expect(b.started).toEqual(["b"]);
    expect(intervals).toHaveLength(3);
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(2);
  }, 30_000);
});

describe("closing", () => {
  it("a heartbeat on its way when the store closes never reads as reaped, nor pushes state on a closed client", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const ns = uniqueNamespace("close-race");
      // A heartbeat every 20 ms, closed at every phase of one: a beat that started before close()
      // used to run its HEARTBEAT after LEAVE, read "reaped", and push state on the closed client.
      for (let i = 0; i < 40; i++) {
        const store = new RedisStore({ url: REDIS_URL, namespace: ns, leaseMs: 60 });
        await store.ready();
        await sleep(systemClock, 40 + (i % 20));
        await store.close();
      }
      await sleep(systemClock, 100);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  }, 30_000);
});
