/** Case 6: does a "50 per second" limit hold in every sliding second, and is it used fully? */
import Bottleneck from "bottleneck";
import { Queue, Worker } from "bullmq";
import PQueue from "p-queue";
import { Cue, sleep, VirtualClock } from "runcue";
import { target, type BenchCase, type CaseResult, type Target } from "../lib/case.js";
import { BULLMQ_SKIPPED, dispose, uniqueQueueName, type RedisConnection } from "../lib/redis.js";
import { fixedWindowCounts, maxInSlidingWindow, median } from "../lib/stats.js";
import { formatCount, formatMs, type Table } from "../lib/table.js";
import { delay, now } from "../lib/time.js";

const LIMIT = 50;
const WINDOW_MS = 1000;
const JOB_MS = 5;
const MIN_ACHIEVED = 0.99;

/** Start times in ms after the submit: taken on the handler's first line, and (runcue) the cue's own stamps. */
interface Starts {
  handler: number[];
  /** runcue only: `work.startedAt`, the time its rate window recorded. */
  stamps?: number[];
}

/**
 * Submits `jobs` jobs of ~5 ms at once into a limiter of 50 per second, lets it run for
 * `durationMs`, then stops it.
 */
type RateRunner = (jobs: number, durationMs: number) => Promise<Starts>;

const job = (starts: number[], t0: () => number) => async (): Promise<void> => {
  starts.push(now() - t0());
  await delay(JOB_MS);
};

const runcue: RateRunner = async (jobs, durationMs) => {
  const starts: number[] = [];
  const stamps: number[] = [];
  const cue = new Cue();
  cue.service("api", { rate: `${LIMIT}/s` });
  let t0 = 0;
  cue.task("job", { uses: "api" }, async (work) => {
    starts.push(now() - t0);
    stamps.push((work.startedAt as number) - performance.timeOrigin - t0);
    await sleep(cue.clock, JOB_MS);
  });
  cue.start();
  t0 = now();
  for (let i = 0; i < jobs; i++) void cue.submit("job", i);
  await delay(durationMs);
  await cue.stop();
  return { handler: starts, stamps };
};

function pQueue(strict: boolean): RateRunner {
  return async (jobs, durationMs) => {
    const starts: number[] = [];
    const queue = new PQueue({ intervalCap: LIMIT, interval: WINDOW_MS, ...(strict ? { strict: true } : {}) });
    const t0 = now();
    for (let i = 0; i < jobs; i++) void queue.add(job(starts, () => t0)).catch(() => undefined);
    await delay(durationMs);
    queue.pause();
    queue.clear();
    await queue.onPendingZero();
    return { handler: starts };
  };
}

function bottleneck(options: Bottleneck.ConstructorOptions): RateRunner {
  return async (jobs, durationMs) => {
    const starts: number[] = [];
    const limiter = new Bottleneck(options);
    const t0 = now();
    for (let i = 0; i < jobs; i++) limiter.schedule(job(starts, () => t0)).catch(() => undefined);
    await delay(durationMs);
    await limiter.stop({ dropWaitingJobs: true });
    await limiter.disconnect();
    return { handler: starts };
  };
}

/** BullMQ: the jobs are added first, then a worker with `limiter: { max: 50, duration: 1000 }` starts (t0). */
function bullmq(connection: RedisConnection): RateRunner {
  return async (jobs, durationMs) => {
    const starts: number[] = [];
    const name = uniqueQueueName("rate");
    const queue = new Queue(name, { connection });
    for (let start = 0; start < jobs; start += 1000) {
      const size = Math.min(1000, jobs - start);
      await queue.addBulk(Array.from({ length: size }, (_, k) => ({ name: "job", data: { i: start + k }, opts: { removeOnComplete: true, removeOnFail: true } })));
    }
    let t0 = 0;
    const worker = new Worker(name, job(starts, () => t0), { connection, concurrency: 100, limiter: { max: LIMIT, duration: WINDOW_MS }, autorun: false });
    await worker.waitUntilReady();
    t0 = now();
    void worker.run();
    await delay(durationMs);
    await dispose(queue, worker);
    return { handler: starts };
  };
}

interface RateFigures {
  /** Starts inside the measured period. */
  starts: number;
  achievedPerSecond: number;
  maxInWindow: number;
  /** runcue: the same from its own start stamps, and the longest delay from a stamp to the handler's first line. */
  maxInWindowStamped?: number;
  maxStampToHandlerMs?: number;
}

function analyse(starts: Starts, durationMs: number): RateFigures {
  const inside = starts.handler.filter((t) => t < durationMs);
  const figures: RateFigures = { starts: inside.length, achievedPerSecond: inside.length / (durationMs / 1000), maxInWindow: maxInSlidingWindow(inside, WINDOW_MS) };
  if (starts.stamps === undefined) return figures;
  const stamps = starts.stamps;
  return {
    ...figures,
    maxInWindowStamped: maxInSlidingWindow(stamps.filter((t) => t < durationMs), WINDOW_MS),
    maxStampToHandlerMs: Math.max(...starts.handler.map((t, i) => t - (stamps[i] as number))),
  };
}

/** runcue on a virtual clock: 60/min for `hours` simulated hours, one ~5 ms (virtual) job per start. */
async function virtualRun(hours: number): Promise<{ realMs: number; starts: number; windows: number; exactWindows: number; maxInWindow: number; simulatedMs: number }> {
  const perMinute = 60;
  const minutes = hours * 60;
  const jobs = perMinute * minutes;
  const t0 = now();
  const clock = new VirtualClock();
  const cue = new Cue({ clock });
  cue.service("api", { rate: `${perMinute}/min` });
  const starts: number[] = [];
  cue.task("job", { uses: "api" }, async () => {
    starts.push(clock.now());
    await sleep(clock, JOB_MS);
  });
  for (let i = 0; i < jobs; i++) void cue.submit("job", i);
  cue.start();
  await clock.runUntilIdle(() => cue.idle());
  const realMs = now() - t0;
  await cue.stop();
  const counts = fixedWindowCounts(starts, 0, 60_000, minutes);
  return {
    realMs,
    starts: starts.length,
    windows: minutes,
    exactWindows: counts.filter((c) => c === perMinute).length,
    maxInWindow: maxInSlidingWindow(starts, 60_000),
    simulatedMs: clock.now(),
  };
}

export const rateCase: BenchCase = {
  id: "rate",
  title: "6. Rate accuracy",
  async run(ctx): Promise<CaseResult> {
    const durationMs = ctx.quick ? 3000 : 10_000;
    const rounds = ctx.quick ? 1 : 3;
    const jobs = (LIMIT * durationMs) / 1000 * 2;
    const notes: string[] = [];
    const runners: [string, RateRunner][] = [
      ["runcue rate \"50/s\"", runcue],
      ["p-queue intervalCap 50 / interval 1000", pQueue(false)],
      ["p-queue intervalCap 50 / interval 1000, strict", pQueue(true)],
      ["bottleneck reservoir 50, refresh 50 every 1000 ms", bottleneck({ reservoir: LIMIT, reservoirRefreshAmount: LIMIT, reservoirRefreshInterval: WINDOW_MS })],
      ["bottleneck minTime 20 ms", bottleneck({ minTime: WINDOW_MS / LIMIT })],
    ];
    if (ctx.redis) runners.push(["BullMQ limiter max 50 / duration 1000", bullmq(ctx.redis)]);
    else notes.push(BULLMQ_SKIPPED);
    const figures = new Map<string, RateFigures[]>(runners.map(([name]) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      ctx.log(`rate round ${round + 1}: ${runners.length} limiters side by side for ${formatMs(durationMs)}`);
      const all = await Promise.all(runners.map(([, run]) => run(jobs, durationMs)));
      all.forEach((starts, i) => figures.get(runners[i]![0])!.push(analyse(starts, durationMs)));
    }
    const worstWindow = (name: string): number => Math.max(...figures.get(name)!.map((f) => f.maxInWindow));
    const lowestRate = (name: string): number => Math.min(...figures.get(name)!.map((f) => f.achievedPerSecond));
    const realTable: Table = {
      title: "Rate accuracy, real time: 50 per second",
      workload: `Each limiter gets ${jobs} jobs of ~${JOB_MS} ms at once under a limit of ${LIMIT} starts per second and runs for ${durationMs / 1000} s, every start time recorded; the most starts in any sliding 1 s window and the starts per second achieved, worst of ${rounds} round(s); the limiters run side by side in the same period (together under 300 starts/s, far below what loads the event loop). p-limit and fastq have no rate limit and are left out.`,
      columns: ["limiter", "starts", "achieved/s (lowest)", "% of 50/s", "max in any 1 s (worst)", "over the limit"],
      rows: runners.map(([name]) => {
        const w = worstWindow(name);
        return [name, String(median(figures.get(name)!.map((f) => f.starts))), lowestRate(name).toFixed(1), `${((lowestRate(name) / LIMIT) * 100).toFixed(1)} %`, String(w), w > LIMIT ? `+${w - LIMIT} (${Math.round(((w - LIMIT) / LIMIT) * 100)} %)` : "0"];
      }),
    };
    const hours = ctx.quick ? 1 : 10;
    const virtual: Awaited<ReturnType<typeof virtualRun>>[] = [];
    for (let round = 0; round < rounds; round++) {
      const v = await virtualRun(hours);
      ctx.log(`rate virtual round ${round + 1}: ${v.starts} starts in ${formatMs(v.realMs)}`);
      virtual.push(v);
    }
    const v = virtual[0]!;
    const realMs = median(virtual.map((x) => x.realMs));
    const virtualTable: Table = {
      title: "Rate accuracy, virtual clock: 60 per minute",
      workload: `runcue on a VirtualClock under "60/min" with ${formatCount(v.starts)} jobs of ~${JOB_MS} ms (virtual) submitted at once, run until idle: ${hours} simulated hour(s); starts counted in every fixed minute and in every sliding minute, real time from the first submit to idle, median of ${rounds} round(s).`,
      columns: ["runcue", "starts", "simulated time", "minutes with exactly 60", "max in any sliding minute", "real time"],
      rows: [["60/min on VirtualClock", String(v.starts), `${(v.simulatedMs / 3_600_000).toFixed(2)} h`, `${v.exactWindows} / ${v.windows}`, String(Math.max(...virtual.map((x) => x.maxInWindow))), formatMs(realMs)]],
    };
    const runcueName = runners[0]![0];
    const runcueFigures = figures.get(runcueName)!;
    notes.push(
      `Start times are taken on the handler's first line for every library. runcue's own stamps (work.startedAt, what its rate window records) held at most ${Math.max(...runcueFigures.map((f) => f.maxInWindowStamped ?? 0))} in any sliding second; its handlers ran at most ${formatMs(Math.max(...runcueFigures.map((f) => f.maxStampToHandlerMs ?? 0)))} after their stamp.`,
    );
    const targets: Target[] = [
      target(`runcue never exceeds ${LIMIT} starts in any sliding 1 s window`, `max ${worstWindow(runcueName)} (worst of ${rounds})`, worstWindow(runcueName) <= LIMIT),
      target(`runcue achieves ≥ ${MIN_ACHIEVED * 100} % of ${LIMIT}/s`, `${lowestRate(runcueName).toFixed(1)}/s = ${((lowestRate(runcueName) / LIMIT) * 100).toFixed(1)} % (lowest of ${rounds})`, lowestRate(runcueName) >= MIN_ACHIEVED * LIMIT),
      target("virtual clock: exactly 60 starts in every minute, never more than 60 in a sliding minute", `${Math.min(...virtual.map((x) => x.exactWindows))} / ${v.windows} minutes exact, max ${Math.max(...virtual.map((x) => x.maxInWindow))}`, virtual.every((x) => x.exactWindows === x.windows && x.maxInWindow <= 60)),
      target(`virtual clock: ${hours} simulated hour(s) in well under a second of real time (< 1 s)`, formatMs(realMs), realMs < 1000),
    ];
    return {
      id: this.id,
      title: this.title,
      tables: [realTable, virtualTable],
      targets,
      notes,
      data: { durationMs, jobs, real: Object.fromEntries(figures), virtual },
    };
  },
};
