/** Case 4: a 3-stage artifact pipeline: items per second and the latency of each hop. */
import fastq from "fastq";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Cue, type Work } from "runcue";
import { Semaphore } from "../lib/baseline.js";
import { type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { median, percentile } from "../lib/stats.js";
import { formatCount, formatMs, formatRatio, type Table } from "../lib/table.js";
import { deferred, now } from "../lib/time.js";

const STAGES = 3;
const CONCURRENCY = 100;

/** The in-memory artifacts of one run and when each stage started and finished for each item. */
class Run {
  readonly artifacts: Map<number, string>[] = Array.from({ length: STAGES }, () => new Map<number, string>());
  readonly started: Float64Array[];
  readonly ended: Float64Array[];
  readonly done = deferred();
  #finished = 0;

  constructor(readonly items: number) {
    this.started = Array.from({ length: STAGES }, () => new Float64Array(items));
    this.ended = Array.from({ length: STAGES }, () => new Float64Array(items));
  }

  /** The work of stage `stage` on `item`: produce its artifact. */
  produce(stage: number, item: number): void {
    this.started[stage]![item] = now();
    this.artifacts[stage]!.set(item, `stage ${stage + 1} of item ${item}`);
    this.ended[stage]![item] = now();
    if (stage === STAGES - 1 && ++this.#finished === this.items) this.done.resolve();
  }

  /** Every hop latency: start of stage k minus end of stage k-1, over all items and hops. */
  hops(): Float64Array {
    const out = new Float64Array((STAGES - 1) * this.items);
    let j = 0;
    for (let stage = 1; stage < STAGES; stage++) {
      for (let i = 0; i < this.items; i++) out[j++] = this.started[stage]![i]! - this.ended[stage - 1]![i]!;
    }
    return out;
  }
}

interface Figures {
  ms: number;
  hopMedian: number;
  hopP99: number;
}

function figures(run: Run, ms: number): Figures {
  const hops = Array.from(run.hops());
  return { ms, hopMedian: median(hops), hopP99: percentile(hops, 99) };
}

/**
 * runcue: one service per stage (`concurrent: 100` each); stage N's task is ready when stage N−1's
 * artifact exists and stale while its own artifact is missing. `upFront`: every stage of every
 * item submitted at once, item by item (a crash-recovery resubmit); otherwise each handler
 * submits the next stage after writing its artifact.
 */
async function runcuePipeline(items: number, upFront: boolean): Promise<Figures> {
  const run = new Run(items);
  const t0 = now();
  const cue = new Cue();
  const names = ["a", "b", "c"] as const;
  for (const s of names) cue.service(s, { concurrent: CONCURRENCY });
  for (let stage = 0; stage < STAGES; stage++) {
    const previous = stage > 0 ? run.artifacts[stage - 1]! : undefined;
    const own = run.artifacts[stage]!;
    const next = stage + 1 < STAGES && !upFront ? `stage${stage + 2}` : undefined;
    cue.task(
      `stage${stage + 1}`,
      {
        uses: names[stage]!,
        ...(previous ? { ready: (work: Work<number>) => previous.has(work.params) } : {}),
        stale: (work: Work<number>) => !own.has(work.params),
      },
      async (work: Work<number>) => {
        run.produce(stage, work.params);
        if (next !== undefined) void cue.submit(next, work.params);
      },
    );
  }
  cue.start();
  for (let i = 0; i < items; i++) {
    void cue.submit("stage1", i);
    if (upFront) {
      void cue.submit("stage2", i);
      void cue.submit("stage3", i);
    }
  }
  await run.done.promise;
  const ms = now() - t0;
  await cue.idle();
  await cue.stop();
  return figures(run, ms);
}

/** Puts a job on one stage's limiter. */
type Enqueue = (job: () => Promise<void>) => void;

/** A peer: three limiters of 100 slots, each stage's job enqueues the next stage after writing its artifact. */
async function chained(items: number, makeLimiter: () => Enqueue): Promise<Figures> {
  const run = new Run(items);
  const t0 = now();
  const limiters = Array.from({ length: STAGES }, makeLimiter);
  const job = (stage: number, item: number) => async (): Promise<void> => {
    run.produce(stage, item);
    if (stage + 1 < STAGES) limiters[stage + 1]!(job(stage + 1, item));
  };
  for (let i = 0; i < items; i++) limiters[0]!(job(0, i));
  await run.done.promise;
  return figures(run, now() - t0);
}

const peers: [string, () => Enqueue][] = [
  ["p-queue", () => { const q = new PQueue({ concurrency: CONCURRENCY }); return (job) => void q.add(job); }],
  ["fastq", () => { const q = fastq.promise((job: () => Promise<void>) => job(), CONCURRENCY); return (job) => void q.push(job); }],
  ["p-limit", () => { const limit = pLimit(CONCURRENCY); return (job) => void limit(job); }],
  ["raw: semaphore (lean, callbacks)", () => { const sem = new Semaphore(CONCURRENCY); const done = (): void => undefined; return (job) => sem.run(job, done); }],
];

export const pipelineCase: BenchCase = {
  id: "pipeline",
  title: "4. Pipeline",
  async run(ctx): Promise<CaseResult> {
    const items = ctx.quick ? 10_000 : 100_000;
    const rounds = ctx.quick ? 1 : 3;
    const variants: [string, (n: number) => Promise<Figures>][] = [
      ["runcue, all stages submitted up front", (n) => runcuePipeline(n, true)],
      ["runcue, each handler submits the next stage", (n) => runcuePipeline(n, false)],
      ...peers.map(([name, make]): [string, (n: number) => Promise<Figures>] => [`${name}, each job enqueues the next stage`, (n) => chained(n, make)]),
    ];
    const results = new Map<string, Figures[]>(variants.map(([name]) => [name, []]));
    await interleave(
      rounds,
      variants.map(([name, fn]) => ({
        name,
        run: async () => {
          const f = await fn(items);
          results.get(name)!.push(f);
          return f.ms;
        },
        warmup: () => fn(Math.floor(items / 10)),
      })),
      (name, round, ms) => ctx.log(`pipeline ${name} round ${round + 1}: ${formatMs(ms)}`),
    );
    const med = (name: string, key: keyof Figures): number => median(results.get(name)!.map((f) => f[key]));
    const reference = (items / med(variants[1]![0], "ms")) * 1000;
    const table: Table = {
      title: "Pipeline: three stages of in-memory artifacts",
      workload: `${formatCount(items)} items pass three stages (one limiter of 100 slots per stage; a stage's job writes the item's artifact into a Map, and in runcue stage N is ready when stage N−1's artifact exists and stale while its own is missing); items/s from the first submit to the last stage-3 artifact, hop latency from an artifact being written to the next stage's job starting, over both hops of every item; median of ${rounds} interleaved round(s).`,
      columns: ["variant", "median time", "items/s", "hop median", "hop p99", "vs runcue (chained)"],
      rows: variants.map(([name]) => {
        const perSecond = (items / med(name, "ms")) * 1000;
        return [name, formatMs(med(name, "ms")), formatCount(perSecond), formatMs(med(name, "hopMedian")), formatMs(med(name, "hopP99")), formatRatio(perSecond / reference)];
      }),
    };
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets: [],
      notes: [
        "Issue 4 sets no target for this case; it reports items/s and hop latency.",
        "Up front, the cue finds stage 2 and 3 blocked and releases them through its rechecks; chained, every work is ready when submitted, as in the peers.",
        "\"vs runcue (chained)\" divides each row's items/s by runcue's chained variant, the like-for-like shape of the peers.",
      ],
      data: Object.fromEntries([...results].map(([name, list]) => [name, list])),
    };
  },
};
