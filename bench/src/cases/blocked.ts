/** Case 3: flowing work must not pay for a large set of work whose isReady stays false. */
import { Cue } from "runcue";
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { median } from "../lib/stats.js";
import { formatCount, formatMs, formatRatio, type Table } from "../lib/table.js";
import { deferred, now, until } from "../lib/time.js";

const CONCURRENCY = 100;
const MAX_SLOWDOWN = 1.5;

const noop = async (): Promise<void> => undefined;

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
async function measure(blocked: number, flowing: number): Promise<Measured> {
  const cue = new Cue();
  cue.service("s", { concurrent: CONCURRENCY });
  cue.task("blocked", { uses: "s" }, noop);
  cue.task("flow", { uses: "s" }, noop);
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
    const classify: number[] = [];
    const samples = await interleave(
      rounds,
      [
        { name: "alone", run: async () => (await measure(0, flowing)).flowMs, warmup: () => measure(0, flowing) },
        {
          name: "with blocked",
          run: async () => {
            const m = await measure(blocked, flowing);
            classify.push(m.classifyMs);
            return m.flowMs;
          },
          warmup: () => measure(blocked, flowing),
        },
      ],
      (name, round, ms) => ctx.log(`blocked ${name} round ${round + 1}: ${formatMs(ms)}`),
    );
    const alone = median(samples.get("alone") as number[]);
    const withBlocked = median(samples.get("with blocked") as number[]);
    const slowdown = withBlocked / alone;
    const table: Table = {
      title: "Blocked work: flowing jobs beside jobs that are never ready",
      workload: `runcue only (the peers have no readiness checks): ${formatCount(flowing)} no-op jobs through one service with concurrent 100 and a cue-wide isReady, timed from their first submit to the last complete event, once alone and once after ${formatCount(blocked)} jobs of the same service whose isReady stays false were submitted and classified as blocked; median of ${rounds} interleaved rounds.`,
      columns: ["runcue", "flowing jobs", "blocked jobs", "median time", "flowing jobs/s", "vs alone"],
      rows: [
        ["alone", formatCount(flowing), "0", formatMs(alone), formatCount((flowing / alone) * 1000), "1.00×"],
        ["with blocked", formatCount(flowing), formatCount(blocked), formatMs(withBlocked), formatCount((flowing / withBlocked) * 1000), formatRatio(slowdown)],
      ],
    };
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets: [target(`flowing jobs finish within ${MAX_SLOWDOWN}× of their time alone`, `${formatMs(withBlocked)} vs ${formatMs(alone)} (${formatRatio(slowdown)})`, slowdown <= MAX_SLOWDOWN)],
      notes: [`Classifying the ${formatCount(blocked)} blocked jobs (submit → all counted blocked) took ${formatMs(median(classify))} (median), outside the timed part.`],
      data: { blocked, flowing, aloneMs: samples.get("alone"), withBlockedMs: samples.get("with blocked"), classifyMs: classify, slowdown },
    };
  },
};
