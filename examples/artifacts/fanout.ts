// Fan-out / aggregate with declared artifacts (issue 10): split a batch, process its 5 parts in
// parallel, aggregate once all 5 parts exist. The parts live in memory (a Map), as they could in
// a database: `artifact(key, { exists })` declares them. The aggregate declares the 5 parts as
// inputs and each process work declares its part as an output, so the aggregate waits exactly
// while a part's producer is pending or running, and is woken when the last one is verified. A
// part that fails for good leaves its aggregate blocked, and debugBlocked() says why.
// Run: npx tsx examples/artifacts/fanout.ts
import { artifact, Cue, Permanent, sleep } from "runcue";

const PARTS = 5;

export async function runFanout(batches: number, failPart?: { batch: number; part: number }): Promise<{ aggregated: number[]; failed: string[]; blocked: string[]; details: string[] }> {
  const cue = new Cue({ recheckInterval: 20 });
  cue.service("workers", { concurrent: 4 });
  const parts = new Map<number, Set<number>>();
  const aggregated: number[] = [];
  const failed: string[] = [];
  /** Part `part` of batch `batch`, as an artifact: its key names it, `exists` looks it up. */
  const part = (batch: number, n: number) => artifact(`part:${batch}/${n}`, { exists: () => parts.get(batch)?.has(n) ?? false });

  const processPart = cue.task("process", {
    uses: "workers",
    outputs: (p: { batch: number; part: number }) => ({ part: part(p.batch, p.part) }),
  }, async (work) => {
    await sleep(cue.clock, 10);
    if (failPart && failPart.batch === work.params.batch && failPart.part === work.params.part) throw new Permanent("corrupt input");
    parts.get(work.params.batch)!.add(work.params.part);
  });
  const aggregate = cue.task("aggregate", {
    inputs: (p: { batch: number }) => ({ parts: Array.from({ length: PARTS }, (_, n) => part(p.batch, n)) }),
  }, (work) => {
    aggregated.push(work.params.batch);
  });
  const split = cue.task("split", async (work: { params: { batch: number } }) => {
    parts.set(work.params.batch, new Set());
    for (let n = 0; n < PARTS; n++) await processPart.submit({ batch: work.params.batch, part: n });
    // Its parts are pending: it waits for their producers, and is screened again when each is done.
    await aggregate.submit({ batch: work.params.batch });
  });

  cue.onFailure((work, error) => failed.push(`${work.task} ${JSON.stringify(work.params)}: ${error.message}`));

  cue.start();
  for (let batch = 0; batch < batches; batch++) await split.submit({ batch });
  // Wait until nothing runs and only blocked work (if any) is left.
  for (;;) {
    await sleep(cue.clock, 50);
    const s = cue.status();
    if (s.running === 0 && s.pending === s.blocked) break;
  }
  const blocked = cue.debugBlocked().map((b) => `${b.work.task} ${JSON.stringify(b.work.params)}: ${b.reason}`);
  const details = cue.debugBlocked().map((b) => b.details);
  await cue.stop();
  return { aggregated: aggregated.sort((a, b) => a - b), failed, blocked, details };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const failPart of [undefined, { batch: 1, part: 2 }]) {
    const { aggregated, failed, blocked } = await runFanout(3, failPart);
    console.log(JSON.stringify({ aggregated, failed, blocked }));
  }
}
