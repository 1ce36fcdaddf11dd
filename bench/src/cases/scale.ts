/** Case 2: the throughput workload at three queue sizes: does the cost per job stay flat? */
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { measureGc } from "../lib/gc-meter.js";
import { interleave } from "../lib/measure.js";
import { runFastq, runPLimit, runPQueue, runRuncue, runSemaphore, type NoopRunner } from "../lib/noop-workload.js";
import { median } from "../lib/stats.js";
import { formatCount, formatMs, formatRatio, type Table } from "../lib/table.js";

const CONCURRENCY = 100;
const MAX_COST_GROWTH = 1.3;

/**
 * Runs `total` jobs as `total / size` back-to-back batches of `size` (a fresh limiter per batch),
 * so every size is measured over the same number of jobs: one cold start, one forced GC before it
 * and the garbage of earlier batches weigh the same at every size.
 */
async function batches(runner: NoopRunner, size: number, total: number): Promise<number> {
  let ms = 0;
  for (let done = 0; done < total; done += size) ms += await runner(size, CONCURRENCY);
  return ms;
}

export const scaleCase: BenchCase = {
  id: "scale",
  title: "2. Scale",
  async run(ctx): Promise<CaseResult> {
    const sizes = ctx.quick ? [1_000, 10_000, 100_000] : [10_000, 100_000, 1_000_000];
    const total = sizes[sizes.length - 1] as number;
    const rounds = ctx.quick ? 1 : 3;
    const contenders: [string, NoopRunner][] = [
      ["runcue", runRuncue],
      ["fastq", runFastq],
      ["p-limit", runPLimit],
      ["p-queue", runPQueue],
      ["raw: semaphore (lean, callbacks)", runSemaphore],
    ];
    const nsPerJob = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
    const gcShare = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
    const raw: Record<string, Record<string, number[]>> = {};
    for (const [index, size] of sizes.entries()) {
      const gcFractions = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
      const samples = await interleave(
        rounds,
        contenders.map(([name, runner]) => ({
          name,
          run: async () => {
            const { value: ms, gcMs } = await measureGc(() => batches(runner, size, total));
            gcFractions.get(name)!.push(gcMs / ms);
            return ms;
          },
          ...(index === 0 ? { warmup: () => runner(sizes[1] as number, CONCURRENCY) } : {}),
        })),
        (name, round, ms) => ctx.log(`scale ${formatCount(size)} ${name} round ${round + 1}: ${formatMs(ms)}`),
      );
      for (const [name] of contenders) {
        const ms = samples.get(name) as number[];
        (nsPerJob.get(name) as number[]).push((median(ms) * 1e6) / total);
        gcShare.get(name)!.push(median(gcFractions.get(name)!));
        (raw[name] ??= {})[String(size)] = ms;
      }
    }
    const growth = (name: string): number => {
      const costs = nsPerJob.get(name) as number[];
      return (costs[costs.length - 1] as number) / (costs[0] as number);
    };
    const small = formatCount(sizes[0] as number);
    const large = formatCount(total);
    const runcueCosts = nsPerJob.get("runcue") as number[];
    const table: Table = {
      title: "Scale: cost per job by queue size",
      workload: `The throughput workload (no-op async jobs, one limiter with 100 slots, all of a batch submitted in one loop, then drained) with batches of ${sizes.map(formatCount).join(", ")} jobs, each size run as ${formatCount(total)} jobs in back-to-back batches with a fresh limiter per batch; nanoseconds per job from the median of ${rounds} interleaved round(s), the cost with ${large} queued at once against ${small}, and the share of the time spent in garbage collection (Node's gc performance entries).`,
      columns: ["library", ...sizes.map((n) => `ns/job, batches of ${formatCount(n)}`), `jobs/s @${large}`, `cost ${large} / ${small}`, `GC share ${small} → ${large}`],
      rows: contenders.map(([name]) => {
        const costs = nsPerJob.get(name) as number[];
        const gc = gcShare.get(name)!;
        return [name, ...costs.map((c) => `${Math.round(c)}`), formatCount(1e9 / (costs[costs.length - 1] as number)), formatRatio(growth(name)), `${Math.round(gc[0]! * 100)} % → ${Math.round(gc[gc.length - 1]! * 100)} %`];
      }),
    };
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets: [
        target(`runcue cost per job at ${large} ≤ ${MAX_COST_GROWTH}× its cost at ${small}`, `${Math.round(runcueCosts[runcueCosts.length - 1] as number)} ns vs ${Math.round(runcueCosts[0] as number)} ns (${formatRatio(growth("runcue"))})`, growth("runcue") <= MAX_COST_GROWTH),
      ],
      notes: [
        "bottleneck and BullMQ are left out: at their speed (case 1) a million jobs would take minutes to hours.",
        "Every size runs the same number of jobs, so the forced GC before each measurement and the JIT's warm-up weigh the same at every size.",
        "The GC share is the main-thread pause time of Node's gc performance entries that began during the measurement; the rest of the growth is the mutator's (cache misses, promotion write barriers).",
      ],
      data: { sizes, totalJobsPerMeasurement: total, nsPerJob: Object.fromEntries(nsPerJob), gcShare: Object.fromEntries(gcShare), ms: raw },
    };
  },
};
