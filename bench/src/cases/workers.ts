/** Case 8: CPU-bound handlers in process against worker threads (and processes), 2 slots on this machine. */
import { availableParallelism } from "node:os";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { Cue, type Isolation, type Work } from "runcue";
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { median } from "../lib/stats.js";
import { formatMs, formatRatio, type Table } from "../lib/table.js";
import { delay, now } from "../lib/time.js";

const CONCURRENT = 2;
const MIN_SPEEDUP = 1.7;
const MAX_DELAY_P99_MS = 20;
const BURN = new URL("../children/cpu-burn.mjs", import.meta.url);

interface BurnParams {
  iterations: number;
  seed: number;
}
type Burn = (work: { params: BurnParams }) => number;

/**
 * Where the handlers run: in the cue's thread; in a worker pool of that isolation, started
 * before the timing (as in a program that keeps working) or, `thread cold`, inside it (the
 * first use); or in two plain worker threads without runcue (started before the timing).
 */
type Mode = "in process" | Isolation | "thread cold" | "raw threads";

interface Run {
  wallMs: number;
  /** The event loop's delay while the works ran (monitorEventLoopDelay, 1 ms resolution), in ms. */
  delayP50: number;
  delayP99: number;
  delayMax: number;
}

/**
 * A fresh cue, one service of 2 slots, `works` works of the burn handler submitted at once;
 * timed from the first submit to `idle`, with the event loop's delay sampled meanwhile. A warm
 * pool has run one tiny work per slot before (so both workers are up); a cold one starts inside
 * the timing.
 */
async function measure(mode: Mode, burn: Burn, works: number, iterations: number): Promise<Run> {
  if (mode === "raw threads") return rawThreads(works, iterations);
  const cue = new Cue();
  cue.service("cpu", { concurrent: CONCURRENT });
  const task =
    mode === "in process"
      ? cue.task("burn", { uses: "cpu" }, (work: Work<BurnParams>) => burn(work))
      : cue.task<BurnParams, number>("burn", { uses: "cpu", worker: BURN, isolation: mode === "process" ? "process" : "thread" });
  let failed: Error | undefined;
  cue.on("fail", ({ error }) => {
    failed = error;
  });
  cue.start();
  if (mode === "thread" || mode === "process") {
    for (let i = 0; i < CONCURRENT; i++) void task.submit({ iterations: 1, seed: 1 });
    await cue.idle();
  }
  const histogram = await startDelayMonitor();
  const t0 = now();
  for (let i = 0; i < works; i++) void task.submit({ iterations, seed: i + 1 });
  await cue.idle();
  const run = await stopDelayMonitor(histogram, now() - t0);
  await cue.stop();
  if (failed !== undefined) throw failed;
  return run;
}

/**
 * The baseline: two plain worker threads (no runcue, no pool) running the same module, started
 * and ready before the timing, each fed the next work when it returns the last. Its speedup is
 * what this machine allows in this run.
 */
async function rawThreads(works: number, iterations: number): Promise<Run> {
  const code = `const { parentPort } = require("node:worker_threads");
import(${JSON.stringify(BURN.href)}).then(({ default: burn }) => {
  parentPort.on("message", (params) => parentPort.postMessage(burn({ params })));
  parentPort.postMessage("ready");
});`;
  const threads = Array.from({ length: CONCURRENT }, () => new Worker(code, { eval: true }));
  await Promise.all(threads.map((thread) => new Promise((resolve, reject) => {
    thread.once("error", reject);
    thread.once("message", resolve);
  })));
  const histogram = await startDelayMonitor();
  const t0 = now();
  let next = 0;
  await Promise.all(threads.map((thread) => new Promise<void>((resolve) => {
    const feed = (): void => {
      if (next === works) resolve();
      else thread.postMessage({ iterations, seed: ++next });
    };
    thread.on("message", feed);
    feed();
  })));
  const run = await stopDelayMonitor(histogram, now() - t0);
  await Promise.all(threads.map((thread) => thread.terminate()));
  return run;
}

async function startDelayMonitor(): Promise<IntervalHistogram> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // Its first tick only sets the reference point: a block before a second tick goes unrecorded.
  await delay(10);
  return histogram;
}

async function stopDelayMonitor(histogram: IntervalHistogram, wallMs: number): Promise<Run> {
  // The monitor's timer records a delay only when it fires: let it see the last stretch.
  await delay(5);
  histogram.disable();
  const ms = (ns: number): number => ns / 1e6;
  return { wallMs, delayP50: ms(histogram.percentile(50)), delayP99: ms(histogram.percentile(99)), delayMax: ms(histogram.max) };
}

/** Iterations of the burn loop that take about `targetMs` here (after a warm-up, the fastest of 7: the least disturbed). */
function calibrate(burn: Burn, targetMs: number): number {
  const probe = 5_000_000;
  for (let i = 0; i < 3; i++) burn({ params: { iterations: probe, seed: 1 } });
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = now();
    burn({ params: { iterations: probe, seed: i + 1 } });
    samples.push(now() - t0);
  }
  return Math.round((probe * targetMs) / Math.min(...samples));
}

export const workersCase: BenchCase = {
  id: "workers",
  title: "8. CPU-bound handlers in worker threads",
  async run(ctx): Promise<CaseResult> {
    const works = ctx.quick ? 4 : 16;
    const handlerMs = ctx.quick ? 50 : 200;
    const rounds = ctx.quick ? 1 : 3;
    const burn = ((await import(BURN.href)) as { default: Burn }).default;
    const iterations = calibrate(burn, handlerMs);
    const modes: Mode[] = ["in process", "thread", "thread cold", "process", "raw threads"];
    const runs = new Map<Mode, Run[]>(modes.map((m) => [m, []]));
    await interleave(
      rounds,
      modes.map((mode) => ({
        name: mode,
        run: async () => {
          const r = await measure(mode, burn, works, iterations);
          runs.get(mode)!.push(r);
          return r.wallMs;
        },
        warmup: () => measure(mode, burn, CONCURRENT, Math.round(iterations / 10)),
      })),
      (name, round, ms) => ctx.log(`workers ${name} round ${round + 1}: ${formatMs(ms)}`),
    );
    const med = (mode: Mode, key: keyof Run): number => median(runs.get(mode)!.map((r) => r[key]));
    const inProcess = med("in process", "wallMs");
    const labels: Record<Mode, string> = {
      "in process": "in process (handler in the cue's thread)",
      thread: "worker threads (isolation: \"thread\")",
      "thread cold": "worker threads, first use (their start in the time)",
      process: "child processes (isolation: \"process\")",
      "raw threads": `raw: ${CONCURRENT} plain worker threads, no runcue`,
    };
    const table: Table = {
      title: "CPU-bound handlers: in process vs worker threads",
      workload: `${works} works of a synchronous CPU loop calibrated to about ${handlerMs} ms (${iterations.toLocaleString("en-US")} xorshift rounds; ${formatMs(inProcess / works)} each as measured in process) through one service with concurrent: ${CONCURRENT}, on ${availableParallelism()} CPUs; a fresh cue per run, its workers started before the timing unless marked first use, timed from the first submit to idle; the event loop's delay sampled meanwhile by monitorEventLoopDelay (1 ms resolution); medians of ${rounds} interleaved round(s).`,
      columns: ["handlers run", "wall time", "speedup vs in process", "loop delay p50", "loop delay p99", "loop delay max"],
      rows: modes.map((m) => [labels[m], formatMs(med(m, "wallMs")), formatRatio(inProcess / med(m, "wallMs")), formatMs(med(m, "delayP50")), formatMs(med(m, "delayP99")), formatMs(med(m, "delayMax"))]),
    };
    const speedup = inProcess / med("thread", "wallMs");
    const p99 = med("thread", "delayP99");
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets: [
        target(`worker threads ≥ ${MIN_SPEEDUP}× faster in wall time`, `${formatMs(med("thread", "wallMs"))} vs ${formatMs(inProcess)} in process (${formatRatio(speedup)})`, speedup >= MIN_SPEEDUP),
        target(`event-loop delay p99 < ${MAX_DELAY_P99_MS} ms with worker threads`, `${formatMs(p99)} (in process ${formatMs(med("in process", "delayP99"))})`, p99 < MAX_DELAY_P99_MS),
      ],
      notes: [
        `Workers inherit the program's Node flags, loaders included: this suite runs under \`--import tsx\`, so each worker loads tsx as it starts (the first-use row pays it); a compiled program's workers start faster.`,
        "In process, the handlers are synchronous, so they run one at a time whatever the service allows, and the event loop waits for each.",
        `A machine shared with other work lowers the speedup: two busy threads need two free cores. The raw threads show what this machine allowed in this run (${formatRatio(inProcess / med("raw threads", "wallMs"))}); runcue's worker threads took ${formatRatio(med("thread", "wallMs") / med("raw threads", "wallMs"))} their time.`,
      ],
      data: Object.fromEntries([...runs]),
    };
  },
};
