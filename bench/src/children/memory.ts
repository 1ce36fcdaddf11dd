/**
 * A child process of the memory case, so every figure comes from a fresh heap. Prints one line
 * of JSON on stdout.
 *
 *   memory.ts pending <library> <n>         heap bytes per job with n jobs queued, none dispatched
 *   memory.ts completed <library> <n1> <n2> heap after n1 and after n2 jobs completed
 */
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Cue } from "runcue";
import { Semaphore } from "../lib/baseline.js";
import { gcAvailable, nextTick, settledHeap } from "../lib/time.js";

const work = async (i: number): Promise<number> => i;
const never = (): Promise<void> => new Promise<void>(() => undefined);

/** Queues `n` jobs that cannot start; returns the queue (kept alive by the caller) and a check of its size. */
type Filler = (n: number) => Promise<() => number>;

const fillers: Record<string, Filler> = {
  /** Submitted before `start()`: the works wait in their lane. */
  runcue: async (n) => {
    const cue = new Cue();
    cue.service("s", { concurrent: 100 });
    cue.task("job", { uses: "s" }, (w: { params: number }) => work(w.params));
    for (let i = 0; i < n; i++) void cue.submit("job", i);
    return () => cue.status().pending;
  },
  /** `autoStart: false`; each job is a closure over its input, as p-queue takes functions. */
  "p-queue": async (n) => {
    const queue = new PQueue({ concurrency: 100, autoStart: false });
    for (let i = 0; i < n; i++) void queue.add(() => work(i));
    return () => queue.size;
  },
  /** The promise API, paused; the input is pushed as data. */
  fastq: async (n) => {
    const queue = fastq.promise(work, 100);
    queue.pause();
    for (let i = 0; i < n; i++) void queue.push(i);
    return () => queue.length();
  },
  /** p-limit cannot pause: 100 never-ending jobs hold its slots, then the n jobs queue behind them. */
  "p-limit": async (n) => {
    const limit = pLimit(100);
    for (let i = 0; i < 100; i++) void limit(never);
    for (let i = 0; i < n; i++) void limit(() => work(i));
    await nextTick();
    return () => limit.pendingCount;
  },
  /** The lean semaphore, its slots held the same way. */
  "raw: semaphore (lean, callbacks)": async (n) => {
    const sem = new Semaphore(100);
    const done = (): void => undefined;
    for (let i = 0; i < 100; i++) sem.run(never, done);
    for (let i = 0; i < n; i++) sem.run(() => work(i), done);
    return () => sem.waiting;
  },
};

/** Runs `count` jobs to completion through a long-lived limiter. */
type Runner = (count: number) => Promise<void>;

const runners: Record<string, () => { run: Runner; retained: () => number }> = {
  runcue: () => {
    const cue = new Cue();
    cue.service("s", { concurrent: 100 });
    cue.task("job", { uses: "s" }, (w: { params: number }) => work(w.params));
    cue.start();
    return {
      run: async (count) => {
        for (let i = 0; i < count; i++) void cue.submit("job", i);
        await cue.idle();
      },
      retained: () => cue.status().retained,
    };
  },
  "p-queue": () => {
    const queue = new PQueue({ concurrency: 100 });
    return {
      run: async (count) => {
        for (let i = 0; i < count; i++) void queue.add(() => work(i));
        await queue.onIdle();
      },
      retained: () => 0,
    };
  },
  fastq: () => {
    const queue = fastq.promise(work, 100);
    return {
      run: async (count) => {
        for (let i = 0; i < count; i++) void queue.push(i);
        await queue.drained();
      },
      retained: () => 0,
    };
  },
};

const BATCH = 100_000;

async function main(): Promise<void> {
  if (!gcAvailable()) throw new Error("memory child needs --expose-gc");
  const [mode, library = "", ...sizes] = process.argv.slice(2);
  if (mode === "pending") {
    const n = Number(sizes[0]);
    const filler = fillers[library];
    if (filler === undefined) throw new Error(`unknown library ${library}`);
    // Warm the code paths with a small, discarded queue so lazily built structures are not charged to the jobs.
    await filler(1000);
    const before = settledHeap();
    const size = await filler(n);
    await nextTick();
    const after = settledHeap();
    console.log(JSON.stringify({ before, after, queued: size(), bytesPerJob: (after - before) / n }));
    return;
  }
  if (mode === "completed") {
    const [n1, n2] = sizes.map(Number) as [number, number];
    const make = runners[library];
    if (make === undefined) throw new Error(`unknown library ${library}`);
    const limiter = make();
    const heaps: Record<string, number> = {};
    let done = 0;
    for (const target of [n1, n2]) {
      while (done < target) {
        const count = Math.min(BATCH, target - done);
        await limiter.run(count);
        done += count;
      }
      heaps[String(target)] = settledHeap();
    }
    console.log(JSON.stringify({ heaps, retained: limiter.retained() }));
    return;
  }
  throw new Error(`unknown mode ${String(mode)}`);
}

await main();
