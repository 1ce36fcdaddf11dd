/** Case 1: no-op jobs through `concurrent: 100`, every library, jobs per second. */
import { target, type BenchCase, type CaseResult, type Target } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import {
  bullmqRunner, runAsyncSemaphore, runBottleneck, runChunks, runFastq, runPLimit, runPQueue, runRuncue, runSemaphore, type NoopRunner,
} from "../lib/noop-workload.js";
import { BULLMQ_SKIPPED } from "../lib/redis.js";
import { median } from "../lib/stats.js";
import { formatCount, formatMs, formatRatio, type Table } from "../lib/table.js";

const CONCURRENCY = 100;

interface Entry {
  name: string;
  kind: "runcue" | "peer" | "baseline";
  n: number;
  runner: NoopRunner;
}

export const throughputCase: BenchCase = {
  id: "throughput",
  title: "1. Throughput",
  async run(ctx): Promise<CaseResult> {
    const n = ctx.quick ? 20_000 : 100_000;
    const rounds = ctx.quick ? 2 : 7;
    const notes: string[] = [];
    const entries: Entry[] = [
      { name: "runcue", kind: "runcue", n, runner: runRuncue },
      { name: "fastq", kind: "peer", n, runner: runFastq },
      { name: "p-limit", kind: "peer", n, runner: runPLimit },
      { name: "p-queue", kind: "peer", n, runner: runPQueue },
      // bottleneck manages about 400 jobs/s here; more jobs would only take longer, not tell more.
      { name: "bottleneck", kind: "peer", n: ctx.quick ? 200 : 1000, runner: runBottleneck },
    ];
    if (ctx.redis) entries.push({ name: "BullMQ", kind: "peer", n: ctx.quick ? 2000 : 20_000, runner: bullmqRunner(ctx.redis) });
    else notes.push(BULLMQ_SKIPPED);
    entries.push(
      { name: "raw: semaphore (async acquire/release)", kind: "baseline", n, runner: runAsyncSemaphore },
      { name: "raw: semaphore (lean, callbacks)", kind: "baseline", n, runner: runSemaphore },
      { name: "raw: Promise.all over chunks of 100", kind: "baseline", n, runner: runChunks },
    );
    const samples = await interleave(
      rounds,
      entries.map((e) => ({
        name: e.name,
        run: () => e.runner(e.n, CONCURRENCY),
        warmup: () => e.runner(Math.max(100, Math.floor(e.n / 5)), CONCURRENCY),
      })),
      (name, round, ms) => ctx.log(`throughput ${name} round ${round + 1}: ${formatMs(ms)}`),
    );
    const rate = (e: Entry): number => (e.n / median(samples.get(e.name) as number[])) * 1000;
    const runcueRate = rate(entries[0] as Entry);
    const spread = (e: Entry): string => {
      const s = samples.get(e.name) as number[];
      return `±${Math.round(((Math.max(...s) - Math.min(...s)) / 2 / median(s)) * 100)}%`;
    };
    const peers = entries.filter((e) => e.kind === "peer");
    const fastest = peers.reduce((a, b) => (rate(b) > rate(a) ? b : a));
    const asyncSem = entries.find((e) => e.runner === runAsyncSemaphore) as Entry;
    const leanSem = entries.find((e) => e.runner === runSemaphore) as Entry;
    const targets: Target[] = [
      target("runcue ≥ the fastest peer", `${formatCount(runcueRate)} vs ${fastest.name} ${formatCount(rate(fastest))} jobs/s (${formatRatio(runcueRate / rate(fastest))})`, runcueRate >= rate(fastest)),
      target("runcue ≥ 50 % of the raw semaphore (async acquire/release)", `${Math.round((runcueRate / rate(asyncSem)) * 100)} % (${formatCount(runcueRate)} vs ${formatCount(rate(asyncSem))} jobs/s)`, runcueRate >= 0.5 * rate(asyncSem)),
      target("runcue ≥ 50 % of the lean callback semaphore (stricter reading)", `${Math.round((runcueRate / rate(leanSem)) * 100)} % (${formatCount(runcueRate)} vs ${formatCount(rate(leanSem))} jobs/s)`, runcueRate >= 0.5 * rate(leanSem)),
    ];
    const ordered = [
      ...entries.filter((e) => e.kind === "runcue"),
      ...peers.sort((a, b) => rate(b) - rate(a)),
      ...entries.filter((e) => e.kind === "baseline"),
    ];
    const table: Table = {
      title: "Throughput: no-op jobs, concurrent 100",
      workload: `Each library runs ${formatCount(n)} no-op async jobs through one limiter with 100 slots (no rate limit, runcue with no isReady/isStale), timed from the first submit until the library reports everything done; median of ${rounds} interleaved rounds (bottleneck and BullMQ run fewer jobs because they are slow, per-job figures stay comparable).`,
      columns: ["library", "jobs", "median time", "jobs/s", "spread", "vs runcue"],
      rows: ordered.map((e) => [
        e.name,
        formatCount(e.n),
        formatMs(median(samples.get(e.name) as number[])),
        formatCount(rate(e)),
        spread(e),
        formatRatio(rate(e) / runcueRate),
      ]),
    };
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets,
      notes: [...notes, "\"vs runcue\" is the library's jobs/s divided by runcue's: above 1× is faster than runcue."],
      data: Object.fromEntries(entries.map((e) => [e.name, { jobs: e.n, ms: samples.get(e.name), medianMs: median(samples.get(e.name) as number[]), jobsPerSecond: rate(e) }])),
    };
  },
};
