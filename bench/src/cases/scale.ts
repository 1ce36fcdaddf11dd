/** Case 2: the throughput workload at three sizes: does the cost per job stay flat? */
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { runAsyncSemaphore, runFastq, runPLimit, runPQueue, runRuncue, runSemaphore, type NoopRunner } from "../lib/noop-workload.js";
import { median } from "../lib/stats.js";
import { formatCount, formatMs, formatRatio, type Table } from "../lib/table.js";

const CONCURRENCY = 100;
const MAX_COST_GROWTH = 1.3;

export const scaleCase: BenchCase = {
  id: "scale",
  title: "2. Scale",
  async run(ctx): Promise<CaseResult> {
    const sizes = ctx.quick ? [1_000, 10_000, 100_000] : [10_000, 100_000, 1_000_000];
    const roundsFor = (n: number): number => (ctx.quick ? (n <= 10_000 ? 3 : 1) : n <= 10_000 ? 15 : n <= 100_000 ? 5 : 3);
    const contenders: [string, NoopRunner][] = [
      ["runcue", runRuncue],
      ["fastq", runFastq],
      ["p-limit", runPLimit],
      ["p-queue", runPQueue],
      ["raw: semaphore (async acquire/release)", runAsyncSemaphore],
      ["raw: semaphore (lean, callbacks)", runSemaphore],
    ];
    const nsPerJob = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
    const raw: Record<string, Record<string, number[]>> = {};
    for (const [index, n] of sizes.entries()) {
      const samples = await interleave(
        roundsFor(n),
        contenders.map(([name, runner]) => ({
          name,
          run: () => runner(n, CONCURRENCY),
          ...(index === 0 ? { warmup: () => runner(sizes[1] as number, CONCURRENCY) } : {}),
        })),
        (name, round, ms) => ctx.log(`scale ${formatCount(n)} ${name} round ${round + 1}: ${formatMs(ms)}`),
      );
      for (const [name] of contenders) {
        const ms = samples.get(name) as number[];
        (nsPerJob.get(name) as number[]).push((median(ms) * 1e6) / n);
        (raw[name] ??= {})[String(n)] = ms;
      }
    }
    const growth = (name: string): number => {
      const costs = nsPerJob.get(name) as number[];
      return (costs[costs.length - 1] as number) / (costs[0] as number);
    };
    const small = formatCount(sizes[0] as number);
    const large = formatCount(sizes[sizes.length - 1] as number);
    const runcueCosts = nsPerJob.get("runcue") as number[];
    const table: Table = {
      title: "Scale: cost per job at three sizes",
      workload: `The throughput workload (no-op async jobs, one limiter with 100 slots, all submitted in one loop, then drained) at ${sizes.map(formatCount).join(", ")} jobs; nanoseconds per job from the median of ${sizes.map(roundsFor).join("/")} interleaved rounds, and how the cost at ${large} compares with ${small}.`,
      columns: ["library", ...sizes.map((n) => `ns/job @${formatCount(n)}`), `jobs/s @${large}`, `cost ${large} / ${small}`],
      rows: contenders.map(([name]) => {
        const costs = nsPerJob.get(name) as number[];
        return [name, ...costs.map((c) => `${Math.round(c)}`), formatCount(1e9 / (costs[costs.length - 1] as number)), formatRatio(growth(name))];
      }),
    };
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets: [
        target(`runcue cost per job at ${large} ≤ ${MAX_COST_GROWTH}× its cost at ${small}`, `${Math.round(runcueCosts[runcueCosts.length - 1] as number)} ns vs ${Math.round(runcueCosts[0] as number)} ns (${formatRatio(growth("runcue"))})`, growth("runcue") <= MAX_COST_GROWTH),
      ],
      notes: ["bottleneck and BullMQ are left out: at their speed (case 1) a million jobs would take minutes to hours."],
      data: { sizes, nsPerJob: Object.fromEntries(nsPerJob), ms: raw },
    };
  },
};
