/**
 * The shared workload of the throughput and scale cases: `n` no-op async jobs through one limiter
 * with `concurrency` slots, submitted in one synchronous loop, timed from the first submit to the
 * moment the library reports everything done. Each runner is written the way that library's
 * README tells a user to do it.
 */
import Bottleneck from "bottleneck";
import { Queue, Worker } from "bullmq";
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Cue } from "runcue";
import { AsyncSemaphore, promiseAllChunks, Semaphore } from "./baseline.js";
import { dispose, uniqueQueueName, type RedisConnection } from "./redis.js";
import { deferred, now } from "./time.js";

/** Runs `n` no-op jobs with `concurrency` slots; resolves with the elapsed milliseconds. */
export type NoopRunner = (n: number, concurrency: number) => Promise<number>;

const noop = async (): Promise<void> => undefined;

/** runcue: one service with `concurrent`, one task, default checks (none), `await cue.idle()`. */
export const runRuncue: NoopRunner = async (n, concurrency) => {
  const t0 = now();
  const cue = new Cue();
  cue.service("s", { concurrent: concurrency });
  cue.task("noop", { uses: "s" }, noop);
  cue.start();
  for (let i = 0; i < n; i++) void cue.submit("noop", i);
  await cue.idle();
  const elapsed = now() - t0;
  await cue.stop();
  return elapsed;
};

/** p-queue: `queue.add(fn)` per job, `await queue.onIdle()`. */
export const runPQueue: NoopRunner = async (n, concurrency) => {
  const t0 = now();
  const queue = new PQueue({ concurrency });
  for (let i = 0; i < n; i++) void queue.add(noop);
  await queue.onIdle();
  return now() - t0;
};

/** p-limit: `limit(fn)` per job, `await Promise.all(promises)`. */
export const runPLimit: NoopRunner = async (n, concurrency) => {
  const t0 = now();
  const limit = pLimit(concurrency);
  const all = new Array<Promise<void>>(n);
  for (let i = 0; i < n; i++) all[i] = limit(noop);
  await Promise.all(all);
  return now() - t0;
};

/** fastq, promise API: `queue.push(i)` per job, `await queue.drained()`. */
export const runFastq: NoopRunner = async (n, concurrency) => {
  const t0 = now();
  const queue = fastq.promise(noop, concurrency);
  for (let i = 0; i < n; i++) void queue.push(i);
  await queue.drained();
  return now() - t0;
};

/** bottleneck: `limiter.schedule(fn)` per job with `maxConcurrent`, `await Promise.all(promises)`. */
export const runBottleneck: NoopRunner = async (n, concurrency) => {
  const t0 = now();
  const limiter = new Bottleneck({ maxConcurrent: concurrency });
  const all = new Array<Promise<void>>(n);
  for (let i = 0; i < n; i++) all[i] = limiter.schedule(noop);
  await Promise.all(all);
  const elapsed = now() - t0;
  await limiter.disconnect();
  return elapsed;
};

/** The textbook hand-written semaphore: `await acquire()` / `release()` around each job, `await Promise.all(promises)`. */
export const runAsyncSemaphore: NoopRunner = async (n, concurrency) => {
  const t0 = now();
  const sem = new AsyncSemaphore(concurrency);
  const all = new Array<Promise<void>>(n);
  for (let i = 0; i < n; i++) all[i] = sem.run(noop);
  await Promise.all(all);
  return now() - t0;
};

/** The lean hand-written semaphore: slot counter, FIFO with a head index, completion callback. */
export const runSemaphore: NoopRunner = async (n, concurrency) => {
  const t0 = now();
  const sem = new Semaphore(concurrency);
  const finished = deferred();
  let done = 0;
  const onDone = (): void => {
    if (++done === n) finished.resolve();
  };
  for (let i = 0; i < n; i++) sem.run(noop, onDone);
  await finished.promise;
  return now() - t0;
};

/** `Promise.all` over consecutive chunks of `concurrency` jobs. */
export const runChunks: NoopRunner = async (n, concurrency) => {
  const t0 = now();
  await promiseAllChunks(n, concurrency, noop);
  return now() - t0;
};

/** BullMQ: a worker with `concurrency`, jobs added with `addBulk` in batches of 1,000, done when `n` completed events arrived. */
export function bullmqRunner(connection: RedisConnection): NoopRunner {
  return async (n, concurrency) => {
    const name = uniqueQueueName("noop");
    const queue = new Queue(name, { connection });
    const finished = deferred();
    let completed = 0;
    const worker = new Worker(name, noop, { connection, concurrency });
    worker.on("completed", () => {
      if (++completed === n) finished.resolve();
    });
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
    const t0 = now();
    for (let start = 0; start < n; start += 1000) {
      const size = Math.min(1000, n - start);
      await queue.addBulk(Array.from({ length: size }, (_, k) => ({ name: "noop", data: { i: start + k }, opts: { removeOnComplete: true, removeOnFail: true } })));
    }
    await finished.promise;
    const elapsed = now() - t0;
    await dispose(queue, worker);
    return elapsed;
  };
}
