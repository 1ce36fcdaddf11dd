/**
 * Case 12: runcue's limits in Redis (runcue-redis). Beside the in-memory store: what sharing
 * costs in one process (throughput through `concurrent: 100`, submit→start latency at idle).
 * Beside bottleneck's Redis clustering and BullMQ's limiter (full run only): whether 3 processes
 * sharing "50/s" keep it in every sliding second and use it, and 3 processes' throughput with
 * no limit.
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

/** Deletes every key of the runs: runcue namespaces, bottleneck limiters (`b_<id>_*`), BullMQ queues (`bull:<name>:*`). */
async function cleanup(url: string, names: string[]): Promise<void> {
  const client = createClient({ url });
  client.on("error", () => undefined);
  await client.connect();
  for (const name of names) {
    for (const match of [`{runcue:${name}}*`, `b_${name}_*`, `bull:${name}:*`]) {
      for await (const keys of client.scanIterator({ MATCH: match, COUNT: 500 })) if (keys.length > 0) await client.del(keys);
    }
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

/** What the 3 processes of one run reported: handler starts (epoch ms; with a limit only), their count, runcue's script calls. */
interface SharedRun {
  starts: number[];
  count: number;
  calls: number;
}

/** 3 processes of `lib` sharing one limit (`mode`) through Redis for `durationMs`, started together once all are ready. */
async function shared(lib: string, mode: "rate" | "unlimited", url: string, name: string, durationMs: number): Promise<SharedRun> {
  let waiting = PROCESSES;
  let go: () => void = () => undefined;
  const allReady = new Promise<void>((resolve) => (go = resolve));
  const children = Array.from({ length: PROCESSES }, () => {
    const proc = spawn(process.execPath, ["--import", "tsx", CHILD, lib, mode, url, name, String(durationMs)], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    const done = new Promise<{ starts: number[]; count: number; scriptCalls?: number }>((resolve, reject) => {
      proc.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const nl = out.indexOf("\n");
        if (nl >= 0 && out.startsWith('{"ready":true}')) {
          out = out.slice(nl + 1);
          if (--waiting === 0) go();
        }
      });
      proc.on("exit", (code) => {
        if (code !== 0) return reject(new Error(`redis-share child (${lib}, ${mode}) exited ${code}`));
        try {
          resolve(JSON.parse(out) as { starts: number[]; count: number; scriptCalls?: number });
        } catch (error) {
          reject(new Error(`redis-share child (${lib}, ${mode}) printed no result line: ${out.slice(0, 200)}`, { cause: error }));
        }
      });
    });
    return { proc, done };
  });
  try {
    // A child that fails before it is ready fails the run (the others would wait for ever).
    await Promise.race([allReady, ...children.map((c) => c.done.then(() => undefined))]);
    const startAt = Date.now() + 200;
    for (const c of children) c.proc.stdin.end(`${startAt}\n`);
    const results = await Promise.all(children.map((c) => c.done));
    return { starts: results.flatMap((r) => r.starts), count: results.reduce((n, r) => n + r.count, 0), calls: results.reduce((n, r) => n + (r.scriptCalls ?? 0), 0) };
  } catch (error) {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
    throw error;
  }
}

/** Most starts in a sliding second; utilisation: after the first window's LIMIT, LIMIT per second of the span. */
function rateFigures(run: SharedRun): { most: number; utilisation: number } {
  if (run.starts.length === 0) return { most: 0, utilisation: 0 };
  const most = maxInSlidingWindow(run.starts, 1000);
  const span = (Math.max(...run.starts) - Math.min(...run.starts)) / 1000;
  return { most, utilisation: (run.starts.length - LIMIT) / (LIMIT * span) };
}

const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;

export const redisCase: BenchCase = {
  id: "redis",
  title: "12. Shared limits through Redis (runcue-redis)",
  async run(ctx): Promise<CaseResult> {
    const url = process.env.REDIS_URL;
    if (!ctx.redis || url === undefined) {
      return { id: "redis", title: this.title, tables: [], targets: [], notes: ["runcue-redis skipped: set REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379) to include it."], data: {} };
    }
    const used: string[] = [namespace("probe")];
    const probe = new RedisStore({ url, namespace: used[0] as string });
    try {
      await probe.ready();
    } catch (error) {
      throw new Error(`bench case redis: REDIS_URL=${url} is set but Redis does not answer or was refused: ${(error as Error).message}`, { cause: error });
    } finally {
      await probe.close();
    }
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
    const durationMs = ctx.quick ? 2000 : 10_000;
    // The quick run (CI) keeps to runcue-redis; the full run puts bottleneck and BullMQ beside it.
    const rateLibs: [string, string][] = [["runcue-redis", "runcue"]];
    const unlimitedLibs: [string, string][] = [["runcue-redis (one service, concurrent: 300 shared by the 3)", "runcue"]];
    if (!ctx.quick) {
      rateLibs.push(["bottleneck cluster (reservoir 50 refreshed every second)", "bottleneck"], ["BullMQ limiter max 50 / duration 1000", "bullmq"]);
      unlimitedLibs.push(["BullMQ (a worker of concurrency 100 per process)", "bullmq"]);
    }
    try {
      ctx.log(`throughput: ${n} no-op works, ${rounds} round(s)`);
      const tp = await interleave(rounds, [
        { name: "memory", run: () => throughput(memory, n), warmup: () => throughput(memory, 200) },
        { name: "redis", run: () => throughput(redis, n), warmup: () => throughput(redis, 200) },
      ]);
      ctx.log(`latency: ${m} works one at a time`);
      const lat = { memory: await latencies(memory, m), redis: await latencies(redis, m) };
      const rates: [string, SharedRun][] = [];
      for (const [label, lib] of rateLibs) {
        ctx.log(`${PROCESSES} processes of ${lib} sharing ${LIMIT}/s for ${durationMs / 1000} s`);
        const name = namespace(`share-${lib}`);
        used.push(name);
        rates.push([label, await shared(lib, "rate", url, name, durationMs)]);
      }
      const unlimited: [string, SharedRun][] = [];
      for (const [label, lib] of unlimitedLibs) {
        ctx.log(`${PROCESSES} processes of ${lib}, no limit, for ${durationMs / 1000} s`);
        const name = namespace(`free-${lib}`);
        used.push(name);
        unlimited.push([label, await shared(lib, "unlimited", url, name, durationMs)]);
      }
      const perSecond = (run: SharedRun): number => run.count / (durationMs / 1000);
      const rate = (ms: number): number => n / (ms / 1000);
      const memoryRate = rate(median(tp.get("memory") as number[]));
      const redisRate = rate(median(tp.get("redis") as number[]));
      const ours = rateFigures((rates[0] as [string, SharedRun])[1]);
      const oursFree = perSecond((unlimited[0] as [string, SharedRun])[1]);
      const bullFree = unlimited[1] === undefined ? undefined : perSecond(unlimited[1][1]);
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
          workload: `${PROCESSES} child processes, each with a saturated backlog of 5 ms jobs, for ${durationMs / 1000} s; starts taken on the handlers' first line.`,
          columns: ["library", "most starts in a sliding second", "starts", "utilisation", "script calls per start"],
          rows: rates.map(([label, run]) => {
            const f = rateFigures(run);
            return [label, `${f.most} (limit ${LIMIT})`, formatCount(run.starts.length), percent(f.utilisation), run.calls > 0 ? (run.calls / run.starts.length).toFixed(2) : "–"];
          }),
        },
        {
          title: `${PROCESSES} processes, no limit`,
          workload: `${PROCESSES} child processes, each with a backlog of no-op jobs, for ${durationMs / 1000} s.`,
          columns: ["library", "starts/s (all processes)"],
          rows: unlimited.map(([label, run]) => [label, formatCount(perSecond(run))]),
        },
      ];
      const targets = [
        target(`${PROCESSES} processes: no sliding second over ${LIMIT}`, `${ours.most}`, ours.most <= LIMIT),
        target(`${PROCESSES} processes: utilisation ≥ ${MIN_UTILISATION * 100} %`, percent(ours.utilisation), ours.utilisation >= MIN_UTILISATION),
      ];
      if (bullFree !== undefined) targets.push(target(`${PROCESSES} processes, no limit: runcue-redis ≥ BullMQ`, `${formatCount(oursFree)} vs ${formatCount(bullFree)} starts/s`, oursFree >= bullFree));
      return {
        id: "redis",
        title: this.title,
        tables,
        targets,
        notes: [
          "Redis, the bench and its children share this machine's cores: figures are a floor. Grants are batched (an acquire takes up to 64 leases while a lane keeps asking).",
          ...(ctx.quick ? ["Quick run: runcue-redis only; the full run puts bottleneck's clustering and BullMQ's limiter beside it."] : []),
        ],
        data: {
          throughput: Object.fromEntries(tp),
          latency: lat,
          rate: Object.fromEntries(rates.map(([label, run]) => [label, { ...rateFigures(run), starts: run.starts.length, calls: run.calls }])),
          unlimited: Object.fromEntries(unlimited.map(([label, run]) => [label, perSecond(run)])),
        },
      };
    } finally {
      await cleanup(url, used);
    }
  },
};
