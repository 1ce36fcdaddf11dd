/**
 * Case 12: runcue's limits in Redis (runcue-redis) beside the in-memory store: what sharing costs
 * in one process (throughput through `concurrent: 100`, submit→start latency at idle), and
 * whether 3 processes sharing "50/s" keep it in every sliding second and use it.
 * Runs when `REDIS_URL` is set; fails with a clear message when it is set and Redis does not answer.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Cue, type LimiterStore } from "runcue";
import { RedisStore } from "runcue-redis";
import { createClient } from "redis";
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { maxInSlidingWindow, median, percentile } from "../lib/stats.js";
import { formatCount, formatMs, formatRatio, type Table } from "../lib/table.js";
import { now } from "../lib/time.js";

const CHILD = fileURLToPath(new URL("../children/redis-share.ts", import.meta.url));
const LIMIT = 50;
const PROCESSES = 3;
const MIN_UTILISATION = 0.95;

function namespace(label: string): string {
  return `bench-${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Deletes every key of the namespaces used. */
async function cleanup(url: string, namespaces: string[]): Promise<void> {
  const client = createClient({ url });
  client.on("error", () => undefined);
  await client.connect();
  for (const ns of namespaces) {
    for await (const keys of client.scanIterator({ MATCH: `{runcue:${ns}}*`, COUNT: 500 })) if (keys.length > 0) await client.del(keys);
  }
  client.destroy();
}

/** A store per run: in memory (the default) or Redis in a fresh namespace. */
type StoreMaker = () => { store: LimiterStore | undefined; close: () => Promise<void> };

/** n no-op works through `concurrent: 100`; resolves with the wall time (ms). */
async function throughput(make: StoreMaker, n: number): Promise<number> {
  const { store, close } = make();
  const cue = new Cue(store === undefined ? {} : { store });
  cue.service("api", { concurrent: 100 });
  cue.task("noop", { uses: "api" }, () => undefined);
  const t0 = now();
  cue.start();
  for (let i = 0; i < n; i++) void cue.submit("noop");
  await cue.idle();
  const ms = now() - t0;
  await cue.stop();
  await close();
  return ms;
}

/** m works one after the other at idle: submit → handler start (ms) of each. */
async function latencies(make: StoreMaker, m: number): Promise<number[]> {
  const { store, close } = make();
  const cue = new Cue(store === undefined ? {} : { store });
  cue.service("api", { concurrent: 10, rate: "100000/s" });
  let started = 0;
  cue.task("noop", { uses: "api" }, () => void (started = now()));
  cue.start();
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    const t0 = now();
    await cue.wait(await cue.submit("noop"));
    out.push(started - t0);
  }
  await cue.stop();
  await close();
  return out;
}

/** 3 processes sharing "50/s" for `durationMs`: every handler start (epoch ms) and script calls. */
async function shared(url: string, ns: string, durationMs: number): Promise<{ starts: number[]; calls: number; startAt: number }> {
  const startAt = Date.now() + 2500; // every child connected by then
  const runs = Array.from({ length: PROCESSES }, () => new Promise<{ starts: number[]; scriptCalls: number }>((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", CHILD, url, ns, String(startAt), String(durationMs)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
    proc.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as { starts: number[]; scriptCalls: number }) : reject(new Error(`redis-share child exited ${code}`))));
  }));
  const results = await Promise.all(runs);
  return { starts: results.flatMap((r) => r.starts), calls: results.reduce((n, r) => n + r.scriptCalls, 0), startAt };
}

export const redisCase: BenchCase = {
  id: "redis",
  title: "12. Shared limits through Redis (runcue-redis)",
  async run(ctx): Promise<CaseResult> {
    const url = process.env.REDIS_URL;
    if (!ctx.redis || url === undefined) {
      return { id: "redis", title: this.title, tables: [], targets: [], notes: ["runcue-redis skipped: set REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379) to include it."], data: {} };
    }
    const probe = new RedisStore({ url, namespace: namespace("probe") });
    try {
      await probe.ready();
    } catch (error) {
      throw new Error(`bench case redis: REDIS_URL=${url} is set but Redis does not answer or was refused: ${(error as Error).message}`, { cause: error });
    } finally {
      await probe.close();
    }
    const used: string[] = [];
    const redis: StoreMaker = () => {
      const ns = namespace("run");
      used.push(ns);
      const store = new RedisStore({ url, namespace: ns });
      return { store, close: () => store.close() };
    };
    const memory: StoreMaker = () => ({ store: undefined, close: async () => undefined });
    const n = ctx.quick ? 2000 : 20_000;
    const m = ctx.quick ? 50 : 300;
    const rounds = ctx.quick ? 1 : 5;
    const durationMs = ctx.quick ? 3000 : 10_000;
    try {
      ctx.log(`throughput: ${n} no-op works, ${rounds} round(s)`);
      const tp = await interleave(rounds, [
        { name: "memory", run: () => throughput(memory, n), warmup: () => throughput(memory, 200) },
        { name: "redis", run: () => throughput(redis, n), warmup: () => throughput(redis, 200) },
      ]);
      ctx.log(`latency: ${m} works one at a time`);
      const lat = { memory: await latencies(memory, m), redis: await latencies(redis, m) };
      ctx.log(`${PROCESSES} processes sharing ${LIMIT}/s for ${durationMs / 1000} s`);
      const ns = namespace("share");
      used.push(ns);
      const run = await shared(url, ns, durationMs);
      const rate = (ms: number): number => n / (ms / 1000);
      const memoryRate = rate(median(tp.get("memory") as number[]));
      const redisRate = rate(median(tp.get("redis") as number[]));
      const most = maxInSlidingWindow(run.starts, 1000);
      // The first window's LIMIT start at once; after them, LIMIT per second of the span is allowed.
      const span = (Math.max(...run.starts) - Math.min(...run.starts)) / 1000;
      const utilisation = (run.starts.length - LIMIT) / (LIMIT * span);
      const tables: Table[] = [
        {
          title: "One process: what keeping the limits in Redis costs",
          workload: `${formatCount(n)} no-op works through concurrent: 100 (median of ${rounds}); ${m} works one at a time at idle, submit → handler start.`,
          columns: ["store", "works/s", "vs memory", "latency p50", "latency p95"],
          rows: [
            ["memory (default)", formatCount(memoryRate), "1×", formatMs(percentile(lat.memory, 50)), formatMs(percentile(lat.memory, 95))],
            ["RedisStore (loopback)", formatCount(redisRate), formatRatio(redisRate / memoryRate), formatMs(percentile(lat.redis, 50)), formatMs(percentile(lat.redis, 95))],
          ],
        },
        {
          title: `${PROCESSES} processes sharing "${LIMIT}/s" through Redis`,
          workload: `${PROCESSES} child processes, each a cue with a saturated backlog of 5 ms works, for ${durationMs / 1000} s; starts taken on the handlers' first line.`,
          columns: ["most starts in a sliding second", "starts", "utilisation", "script calls per start"],
          rows: [[`${most} (limit ${LIMIT})`, formatCount(run.starts.length), `${(utilisation * 100).toFixed(1)} %`, (run.calls / Math.max(1, run.starts.length)).toFixed(2)]],
        },
      ];
      return {
        id: "redis",
        title: this.title,
        tables,
        targets: [
          target(`${PROCESSES} processes: no sliding second over ${LIMIT}`, `${most}`, most <= LIMIT),
          target(`${PROCESSES} processes: utilisation ≥ ${MIN_UTILISATION * 100} %`, `${(utilisation * 100).toFixed(1)} %`, utilisation >= MIN_UTILISATION),
        ],
        notes: ["Redis, the bench and its children share this machine's cores: figures are a floor. Grants are batched (an acquire takes up to 64 leases while a lane keeps asking); bottleneck's and BullMQ's Redis limiters are not run beside it yet (design notes, same machine: 85–100 and 78–82 starts in one second for 50)."],
        data: { throughput: Object.fromEntries(tp), latency: lat, shared: { most, starts: run.starts.length, utilisation, calls: run.calls } },
      };
    } finally {
      await cleanup(url, used);
    }
  },
};
