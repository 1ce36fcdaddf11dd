/** Case 5: how long an idle limiter takes from submit to the job's start. */
import Bottleneck from "bottleneck";
import { Queue, Worker } from "bullmq";
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Cue } from "runcue";
import { AsyncSemaphore, Semaphore } from "../lib/baseline.js";
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { BULLMQ_SKIPPED, dispose, uniqueQueueName, type RedisConnection } from "../lib/redis.js";
import { median, percentile } from "../lib/stats.js";
import { formatMs, formatRatio, type Table } from "../lib/table.js";
import { deferred, nextTick, now } from "../lib/time.js";

const CONCURRENCY = 100;
const MAX_MEDIAN_MS = 0.05;
const MAX_P99_MS = 1;

/** Runs `count` jobs one after another; returns each job's submit → start latency in ms. */
type LatencyRunner = (count: number) => Promise<number[]>;

/**
 * The common loop: before each submit the event loop gets one turn (the limiter is idle and
 * nothing else is queued), then `submitAndWait` submits one job stamped with the submit time and
 * resolves once the library reports it done.
 */
async function sequential(count: number, submitAndWait: (stamp: (latency: number) => void) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const stamp = (latency: number): void => {
    latencies.push(latency);
  };
  for (let i = 0; i < count; i++) {
    await nextTick();
    await submitAndWait(stamp);
  }
  return latencies;
}

const runcue: LatencyRunner = async (count) => {
  const cue = new Cue();
  cue.service("s", { concurrent: CONCURRENCY });
  let t0 = 0;
  let record: (latency: number) => void = () => undefined;
  cue.task("job", { uses: "s" }, async () => {
    record(now() - t0);
  });
  cue.start();
  const latencies = await sequential(count, async (stamp) => {
    record = stamp;
    t0 = now();
    void cue.submit("job");
    await cue.idle();
  });
  await cue.stop();
  return latencies;
};

const pQueue: LatencyRunner = async (count) => {
  const queue = new PQueue({ concurrency: CONCURRENCY });
  return sequential(count, (stamp) => {
    const t0 = now();
    return queue.add(async () => stamp(now() - t0));
  });
};

const pLimitRunner: LatencyRunner = async (count) => {
  const limit = pLimit(CONCURRENCY);
  return sequential(count, (stamp) => {
    const t0 = now();
    return limit(async () => stamp(now() - t0));
  });
};

const fastqRunner: LatencyRunner = async (count) => {
  const queue = fastq.promise(async (t0: number) => now() - t0, CONCURRENCY);
  return sequential(count, async (stamp) => stamp(await queue.push(now())));
};

const bottleneck: LatencyRunner = async (count) => {
  const limiter = new Bottleneck({ maxConcurrent: CONCURRENCY });
  const latencies = await sequential(count, (stamp) => {
    const t0 = now();
    return limiter.schedule(async () => stamp(now() - t0));
  });
  await limiter.disconnect();
  return latencies;
};

const asyncSemaphore: LatencyRunner = async (count) => {
  const sem = new AsyncSemaphore(CONCURRENCY);
  return sequential(count, (stamp) => {
    const t0 = now();
    return sem.run(async () => stamp(now() - t0));
  });
};

const leanSemaphore: LatencyRunner = async (count) => {
  const sem = new Semaphore(CONCURRENCY);
  return sequential(count, (stamp) => {
    const finished = deferred();
    const t0 = now();
    sem.run(async () => stamp(now() - t0), finished.resolve);
    return finished.promise;
  });
};

/** BullMQ: an idle worker; the time runs from `queue.add` to the processor's first line. */
function bullmq(connection: RedisConnection): LatencyRunner {
  return async (count) => {
    const name = uniqueQueueName("latency");
    const queue = new Queue(name, { connection });
    let completed = deferred();
    const worker = new Worker(name, async (job) => now() - (job.data as { t0: number }).t0, { connection, concurrency: CONCURRENCY });
    const latencies: number[] = [];
    worker.on("completed", (_job, latency: number) => {
      latencies.push(latency);
      completed.resolve();
    });
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
    for (let i = 0; i < count; i++) {
      await nextTick();
      completed = deferred();
      await queue.add("job", { t0: now() }, { removeOnComplete: true, removeOnFail: true });
      await completed.promise;
    }
    await dispose(queue, worker);
    return latencies;
  };
}

interface Stats {
  median: number;
  p99: number;
  max: number;
}

export const latencyCase: BenchCase = {
  id: "latency",
  title: "5. Latency",
  async run(ctx): Promise<CaseResult> {
    const count = ctx.quick ? 300 : 2000;
    const rounds = ctx.quick ? 1 : 3;
    const notes: string[] = [];
    const runners: [string, LatencyRunner, number][] = [
      ["runcue", runcue, count],
      ["p-queue", pQueue, count],
      ["fastq", fastqRunner, count],
      ["p-limit", pLimitRunner, count],
      ["bottleneck", bottleneck, count],
    ];
    if (ctx.redis) runners.push(["BullMQ", bullmq(ctx.redis), ctx.quick ? 50 : 500]);
    else notes.push(BULLMQ_SKIPPED);
    runners.push(["raw: semaphore (async acquire/release)", asyncSemaphore, count], ["raw: semaphore (lean, callbacks)", leanSemaphore, count]);
    const stats = new Map<string, Stats[]>(runners.map(([name]) => [name, []]));
    await interleave(
      rounds,
      runners.map(([name, fn, n]) => ({
        name,
        run: async () => {
          const latencies = await fn(n);
          const s = { median: median(latencies), p99: percentile(latencies, 99), max: Math.max(...latencies) };
          stats.get(name)!.push(s);
          return s.median;
        },
        warmup: () => fn(Math.min(200, n)),
      })),
      (name, round, ms) => ctx.log(`latency ${name} round ${round + 1}: median ${formatMs(ms)}`),
    );
    const med = (name: string, key: keyof Stats): number => median(stats.get(name)!.map((s) => s[key]));
    const runcueMedian = med("runcue", "median");
    const runcueP99 = med("runcue", "p99");
    const table: Table = {
      title: "Latency: idle submit to handler start",
      workload: `${count} jobs submitted one at a time into an idle limiter (each after the previous one finished and the event loop had a turn), each timed from the submit call to the first line of its handler; median and p99 per run, then the median of ${rounds} interleaved round(s) (BullMQ runs fewer jobs, each needing Redis round trips).`,
      columns: ["library", "jobs", "median", "p99", "max", "median vs runcue"],
      rows: runners.map(([name, , n]) => [name, String(n), formatMs(med(name, "median")), formatMs(med(name, "p99")), formatMs(med(name, "max")), formatRatio(med(name, "median") / runcueMedian)]),
    };
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets: [
        target(`runcue median ≤ ${MAX_MEDIAN_MS} ms`, formatMs(runcueMedian), runcueMedian <= MAX_MEDIAN_MS),
        target(`runcue p99 ≤ ${MAX_P99_MS} ms`, formatMs(runcueP99), runcueP99 <= MAX_P99_MS),
      ],
      notes: [...notes, "\"median vs runcue\" is the library's median latency divided by runcue's: above 1× is slower than runcue."],
      data: Object.fromEntries([...stats]),
    };
  },
};
