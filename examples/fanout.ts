// Fan-out / aggregate: split a batch, process its 5 parts in parallel, aggregate once all 5
// artifacts exist. A part that fails for good leaves its aggregate blocked, and debugBlocked()
// says why. Artifacts live in memory here (a Map), as they could in a database.
// Run: npx tsx examples/fanout.ts
import { Cue, Permanent, sleep, type Work } from "runcue";

export async function runFanout(batches: number, failPart?: { batch: number; part: number }): Promise<{ aggregated: number[]; blocked: string[] }> {
  const cue = new Cue({ recheckInterval: 20 });
  cue.service("workers", { concurrent: 4 });
  const parts = new Map<number, Set<number>>();
  const aggregated: number[] = [];

  const processPart = cue.task("process", { uses: "workers" }, async (w: Work<{ batch: number; part: number }>) => {
    await sleep(cue.clock, 10);
    if (failPart && failPart.batch === w.params.batch && failPart.part === w.params.part) throw new Permanent("corrupt input");
    parts.get(w.params.batch)!.add(w.params.part);
  });
  const aggregate = cue.task("aggregate", {
    ready: (w) => (parts.get(w.params.batch)?.size ?? 0) === 5,
  }, (w: Work<{ batch: number }>) => {
    aggregated.push(w.params.batch);
  });
  const split = cue.task("split", async (w: Work<{ batch: number }>) => {
    parts.set(w.params.batch, new Set());
    for (let part = 0; part < 5; part++) await processPart.submit({ batch: w.params.batch, part });
    await aggregate.submit({ batch: w.params.batch });
  });

  cue.start();
  for (let batch = 0; batch < batches; batch++) await split.submit({ batch });
  // Wait until nothing runs and only blocked work (if any) is left.
  for (;;) {
    await sleep(cue.clock, 50);
    const s = cue.status();
    if (s.running === 0 && s.pending === s.blocked) break;
  }
  const blocked = cue.debugBlocked().map((b) => `${b.work.task} ${JSON.stringify(b.work.params)}: ${b.reason}`);
  await cue.stop();
  return { aggregated: aggregated.sort((a, b) => a - b), blocked };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await runFanout(3));
  console.log(await runFanout(3, { batch: 1, part: 2 }));
}
