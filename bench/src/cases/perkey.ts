/**
 * Case 10 (issue 8): one service with limits per key (`per`); one key flooded with 10× the work,
 * submitted first. Do the other keys finish as soon as they do without the flood?
 */
import { Cue, sleep, type Work } from "runcue";
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { randomInt, seededRandom } from "../lib/rng.js";
import { median } from "../lib/stats.js";
import { formatMs, formatRatio, type Table } from "../lib/table.js";
import { deferred, now } from "../lib/time.js";

const KEYS = 10;
const FLOODED = "key-0";
const CONCURRENT = 2;
const RATE_PER_KEY = 25;
const RATE = `${RATE_PER_KEY}/s`;
const FLOOD_FACTOR = 10;
const MIN_SLEEP_MS = 5;
const MAX_SLEEP_MS = 10;
const MAX_RATIO = 1.2;

interface Job {
  readonly key: string;
  readonly ms: number;
}

interface Run {
  /** Per other key (key-1 … key-9): ms from the first submit to its last completion. */
  readonly finish: number[];
  readonly finishMedian: number;
  readonly finishMax: number;
  /** Works of key-0 completed when the last other key finished. */
  readonly floodedDone: number;
  readonly floodedSubmitted: number;
}

/** The handler times of every key, seeded: key-0's first works are the same in both runs. */
function sleepPlan(perKey: number): number[][] {
  return Array.from({ length: KEYS }, (_, k) => {
    const random = seededRandom(1000 + k);
    const count = k === 0 ? perKey * FLOOD_FACTOR : perKey;
    return Array.from({ length: count }, () => randomInt(random, MIN_SLEEP_MS, MAX_SLEEP_MS));
  });
}

/**
 * A fresh cue, one service `{ per: key, concurrent: 2, rate: "25/s" }`; key-0's works are
 * submitted first (`flood` × `perKey` of them), then `perKey` works for each other key, one key
 * after the other in turn; then `start()`. Runs until every other key finished, then stops
 * (whatever key-0 has left is dropped).
 */
async function runOnce(perKey: number, flood: number, plan: number[][]): Promise<Run> {
  const cue = new Cue();
  cue.service("api", { per: (work: Work) => (work.params as Job).key, concurrent: CONCURRENT, rate: RATE });
  cue.task("call", { uses: "api" }, async (work: Work<Job>) => {
    await sleep(cue.clock, work.params.ms);
  });
  const finish = new Map<string, number>();
  const othersDone = deferred();
  let othersLeft = (KEYS - 1) * perKey;
  let floodedDone = 0;
  let failure: Error | undefined;
  let t0 = 0;
  cue.on("complete", ({ work }) => {
    const key = (work.params as Job).key;
    if (key === FLOODED) {
      floodedDone++;
      return;
    }
    finish.set(key, now() - t0);
    if (--othersLeft === 0) othersDone.resolve();
  });
  cue.on("fail", ({ error }) => {
    failure ??= error;
    othersDone.resolve();
  });
  const floodedSubmitted = perKey * flood;
  t0 = now();
  for (let j = 0; j < floodedSubmitted; j++) void cue.submit("call", { key: FLOODED, ms: plan[0]![j]! });
  for (let j = 0; j < perKey; j++) for (let k = 1; k < KEYS; k++) void cue.submit("call", { key: `key-${k}`, ms: plan[k]![j]! });
  cue.start();
  await othersDone.promise;
  const floodedThen = floodedDone;
  await cue.stop();
  if (failure !== undefined) throw failure;
  const times = [...finish.values()];
  return { finish: times, finishMedian: median(times), finishMax: Math.max(...times), floodedDone: floodedThen, floodedSubmitted };
}

export const perkeyCase: BenchCase = {
  id: "perkey",
  title: "10. Limits per key: one key flooded",
  async run(ctx): Promise<CaseResult> {
    const perKey = ctx.quick ? 30 : 50;
    const rounds = ctx.quick ? 1 : 5;
    const plan = sleepPlan(perKey);
    const runs = { even: [] as Run[], flooded: [] as Run[] };
    await interleave(
      rounds,
      (["even", "flooded"] as const).map((name) => ({
        name,
        run: async () => {
          const r = await runOnce(perKey, name === "even" ? 1 : FLOOD_FACTOR, plan);
          runs[name].push(r);
          return r.finishMax;
        },
        warmup: () => runOnce(5, name === "even" ? 1 : FLOOD_FACTOR, plan),
      })),
      (name, round, ms) => ctx.log(`perkey ${name} round ${round + 1}: others done in ${formatMs(ms)}`),
    );
    const med = (list: Run[], pick: (r: Run) => number): number => median(list.map(pick));
    const evenMedian = med(runs.even, (r) => r.finishMedian);
    const evenMax = med(runs.even, (r) => r.finishMax);
    const floodMedian = med(runs.flooded, (r) => r.finishMedian);
    const floodMax = med(runs.flooded, (r) => r.finishMax);
    const worstFloodMax = Math.max(...runs.flooded.map((r) => r.finishMax));
    const medianRatio = floodMedian / evenMedian;
    const maxRatio = floodMax / evenMax;
    const others = KEYS - 1;
    const row = (label: string, list: Run[], m: number, x: number): string[] => [
      label,
      `${list[0]!.floodedSubmitted} + ${others} × ${perKey}`,
      formatMs(m),
      formatMs(x),
      formatMs(Math.max(...list.map((r) => r.finishMax))),
      `${med(list, (r) => r.floodedDone)} of ${list[0]!.floodedSubmitted}`,
    ];
    const table: Table = {
      title: `Per-key limits: ${KEYS} keys, ${FLOODED} flooded with ${FLOOD_FACTOR}× the work`,
      workload: `One service { per: work => work.params.key, concurrent: ${CONCURRENT}, rate: "${RATE}" } (per key), handlers sleeping ${MIN_SLEEP_MS}–${MAX_SLEEP_MS} ms (seeded, the same for a key in both runs); every work submitted before start(), ${FLOODED}'s first; a key's finish time runs from the first submit to its last complete event; medians over the ${others} other keys, then medians of ${rounds} interleaved round(s); each run stops once the other keys are done.`,
      columns: ["run", "works (key-0 + others)", "others' finish: median", "others' finish: max", "max, worst round", "key-0 done by then"],
      rows: [
        row("even load", runs.even, evenMedian, evenMax),
        row(`${FLOODED} flooded (${FLOOD_FACTOR}×, submitted first)`, runs.flooded, floodMedian, floodMax),
        ["flooded / even", "", formatRatio(medianRatio), formatRatio(maxRatio), formatRatio(worstFloodMax / Math.max(...runs.even.map((r) => r.finishMax))), ""],
      ],
    };
    // The second window's starts follow the first window's by 1 s; its works run 2 at a time.
    const secondWindowMs = (Math.ceil(Math.max(0, perKey - RATE_PER_KEY) / CONCURRENT) * (MIN_SLEEP_MS + MAX_SLEEP_MS)) / 2;
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets: [
        target(`the other keys' median finish time with the flood ≤ ${MAX_RATIO}× without it`, `${formatMs(floodMedian)} vs ${formatMs(evenMedian)} (${formatRatio(medianRatio)})`, medianRatio <= MAX_RATIO),
        target(`the other keys' latest finish time with the flood ≤ ${MAX_RATIO}× without it`, `${formatMs(floodMax)} vs ${formatMs(evenMax)} (${formatRatio(maxRatio)})`, maxRatio <= MAX_RATIO),
      ],
      notes: [
        perKey > RATE_PER_KEY
          ? `A key's ${perKey} works need two windows of its rate: ${RATE_PER_KEY} start at once (2 at a time), the other ${perKey - RATE_PER_KEY} from 1 s after the first start (2 at a time: about ${formatMs(secondWindowMs)} with ${(MIN_SLEEP_MS + MAX_SLEEP_MS) / 2} ms handlers), so no key finishes before about ${formatMs(1000 + secondWindowMs)}.`
          : `A key's ${perKey} works fit in one window of its rate: only the 2 slots per key pace them.`,
        `key-0 done by then: how far the flooded key got meanwhile (it has its own ${RATE} and 2 slots; the others must not starve it either).`,
      ],
      data: { perKey, rounds, even: runs.even, flooded: runs.flooded },
    };
  },
};
