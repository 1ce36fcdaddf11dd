/** Case 3: flowing work must not pay for a large set of work whose isReady stays false. */
import { Cue } from "runcue";
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { median } from "../lib/stats.js";
import { formatCount, formatMs, formatRatio, type Table } from "../lib/table.js";
import { collectGarbage, deferred, now, until } from "../lib/time.js";

const CONCURRENCY = 100;
const MAX_SLOWDOWN = 1.5;

const noop = async (): Promise<void> => undefined;
/** A handler that gives the event loop one turn, as any handler doing I/O does. */
const yielding = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Measured {
  /** Submit of the first flowing job → completion of the last. */
  flowMs: number;
  /** Submit of the first blocked job → all of them classified as blocked. */
  classifyMs: number;
}

/**
 * One cue, one service (`concurrent: 100`), two tasks; `isReady` says no to every "blocked" work.
 * Submits `blocked` blocked works, waits until the cue has classified them all, then times
 * `flowing` flowing works from the first submit to the last `complete` event.
 */
async function measure(blocked: number, flowing: number, handler: () => Promise<void>): Promise<Measured> {
  const cue = new Cue();
  cue.service("s", { concurrent: CONCURRENCY });
  cue.task("blocked", { uses: "s" }, noop);
  cue.task("flow", { uses: "s" }, handler);
  cue.isReady((work) => work.task !== "blocked");
  const finished = deferred();
  let completed = 0;
  cue.onComplete((work) => {
    if (work.task === "flow" && ++completed === flowing) finished.resolve();
  });
  cue.start();
  const c0 = now();
  for (let i = 0; i < blocked; i++) void cue.submit("blocked", i);
  await until(() => cue.status().blocked === blocked, `${blocked} works to be classified as blocked`);
  const classifyMs = now() - c0;
  // The blocked works were just allocated; collect now so that moving them out of the young
  // generation is not charged to the flowing jobs (blocked work in a real queue is old).
  collectGarbage();
  const t0 = now();
  for (let i = 0; i < flowing; i++) void cue.submit("flow", i);
  await finished.promise;
  const flowMs = now() - t0;
  await cue.stop();
  return { flowMs, classifyMs };
}

export const blockedCase: BenchCase = {
  id: "blocked",
  title: "3. Blocked work",
  async run(ctx): Promise<CaseResult> {
    const blocked = ctx.quick ? 10_000 : 100_000;
    const flowing = ctx.quick ? 1_000 : 10_000;
    const rounds = ctx.quick ? 2 : 7;
    const variants: [string, string, () => Promise<void>][] = [
      ["no-op", "no-op (never yields)", noop],
      ["yielding", "awaits one setImmediate", yielding],
    ];
    const classify: number[] = [];
    const samples = await interleave(
      rounds,
      variants.flatMap(([key, , handler]) => [
        { name: `${key} alone`, run: async () => (await measure(0, flowing, handler)).flowMs, warmup: () => measure(0, flowing, handler) },
        {
          name: `${key} with blocked`,
          run: async () => {
            const m = await measure(blocked, flowing, handler);
            classify.push(m.classifyMs);
            return m.flowMs;
          },
          warmup: () => measure(blocked, flowing, handler),
        },
      ]),
      (name, round, ms) => ctx.log(`blocked ${name} round ${round + 1}: ${formatMs(ms)}`),
    );
    const med = (name: string): number => median(samples.get(name) as number[]);
    const slowdown = (key: string): number => med(`${key} with blocked`) / med(`${key} alone`);
    const table: Table = {
      title: "Blocked work: flowing jobs beside jobs that are never ready",
      workload: `runcue only (the peers have no readiness checks): ${formatCount(flowing)} jobs through one service with concurrent 100 and a cue-wide isReady, timed from their first submit to the last complete event (after a full GC), once alone and once after ${formatCount(blocked)} jobs of the same service whose isReady stays false were submitted and classified as blocked; with no-op handlers and with handlers that yield to the event loop once (so rechecks of the blocked jobs get their turns); median of ${rounds} interleaved rounds.`,
      columns: ["flowing handler", "blocked jobs", "median time", "flowing jobs/s", "vs alone"],
      rows: variants.flatMap(([key, label]) => [
        [label, "0", formatMs(med(`${key} alone`)), formatCount((flowing / med(`${key} alone`)) * 1000), "1.00×"],
        [label, formatCount(blocked), formatMs(med(`${key} with blocked`)), formatCount((flowing / med(`${key} with blocked`)) * 1000), formatRatio(slowdown(key))],
      ]),
    };
    const targets = variants.map(([key, label]) =>
      target(`flowing jobs finish within ${MAX_SLOWDOWN}× of their time alone, handler ${label}`, `${formatMs(med(`${key} with blocked`))} vs ${formatMs(med(`${key} alone`))} (${formatRatio(slowdown(key))})`, slowdown(key) <= MAX_SLOWDOWN),
    );
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets,
      notes: [`Classifying the ${formatCount(blocked)} blocked jobs (submit → all counted blocked) took ${formatMs(median(classify))} (median), outside the timed part.`],
      data: { blocked, flowing, ms: Object.fromEntries(samples), classifyMs: classify, slowdown: Object.fromEntries(variants.map(([key]) => [key, slowdown(key)])) },
    };
  },
};
