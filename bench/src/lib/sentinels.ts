/**
 * One long-lived, used instance of every library, kept alive for the whole run, as an
 * application keeps its queue.
 *
 * Why: each run builds a fresh limiter and the harness collects garbage before every run. When
 * the previous instance dies, nothing else holds the hidden classes (maps) of that library's
 * objects; V8 collects them and throws away every optimised function that embedded them
 * (`--trace-deopt`: "reason: weak objects"), so the next run starts in the interpreter. An
 * application never sees that, since its queue lives. A sentinel keeps the maps alive for every
 * library alike.
 */
import Bottleneck from "bottleneck";
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Cue } from "runcue";
import { AsyncSemaphore, Semaphore } from "./baseline.js";
import { deferred } from "./time.js";

const alive: unknown[] = [];

const noop = async (): Promise<void> => undefined;

/** Creates the sentinels and runs a few jobs through each (idempotent). */
export async function keepLibrariesAlive(): Promise<void> {
  if (alive.length > 0) return;
  const jobs = 200;
  const cue = new Cue();
  cue.service("s", { concurrent: 100 });
  cue.task("noop", { uses: "s" }, noop);
  cue.start();
  for (let i = 0; i < jobs; i++) void cue.submit("noop", i);
  await cue.idle();
  const queue = new PQueue({ concurrency: 100 });
  for (let i = 0; i < jobs; i++) void queue.add(noop);
  await queue.onIdle();
  const limit = pLimit(100);
  await Promise.all(Array.from({ length: jobs }, () => limit(noop)));
  const fq = fastq.promise(noop, 100);
  for (let i = 0; i < jobs; i++) void fq.push(i);
  await fq.drained();
  const limiter = new Bottleneck({ maxConcurrent: 100 });
  await Promise.all(Array.from({ length: 20 }, () => limiter.schedule(noop)));
  const asyncSem = new AsyncSemaphore(100);
  await Promise.all(Array.from({ length: jobs }, () => asyncSem.run(noop)));
  const sem = new Semaphore(100);
  const finished = deferred();
  let done = 0;
  for (let i = 0; i < jobs; i++) sem.run(noop, () => ++done === jobs && finished.resolve());
  await finished.promise;
  alive.push(cue, queue, limit, fq, limiter, asyncSem, sem);
}
