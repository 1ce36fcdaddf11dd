// Stale inputs: transform's output is stale when it is missing or older than its input, so
// touching the input makes the next run redo just that transform.
// Run: npx tsx examples/stale-inputs.ts
import { existsSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, type Work } from "runcue";

type Job = { input: string; output: string };

export function isOutdated(job: Job): boolean {
  if (!existsSync(job.output)) return true;
  return statSync(job.input).mtimeMs > statSync(job.output).mtimeMs;
}

export async function transformAll(jobs: Job[], ran: string[]): Promise<void> {
  const cue = new Cue();
  const transform = cue.task("transform", { stale: (w) => isOutdated(w.params) }, (w: Work<Job>) => {
    ran.push(w.params.input);
    writeFileSync(w.params.output, readFileSync(w.params.input, "utf8").toUpperCase());
  });
  cue.start();
  for (const job of jobs) await transform.submit(job);
  await cue.idle();
  await cue.stop();
}

/** Makes a file look modified `secondsFromNow` from now (mtime-based staleness needs distinct times). */
export function touch(path: string, secondsFromNow: number): void {
  const t = Date.now() / 1000 + secondsFromNow;
  utimesSync(path, t, t);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), "runcue-stale-"));
  const jobs = ["a", "b", "c"].map((n) => ({ input: join(dir, `${n}.in`), output: join(dir, `${n}.out`) }));
  for (const j of jobs) writeFileSync(j.input, `input ${j.input}`);
  const ran: string[] = [];
  await transformAll(jobs, ran);
  touch(jobs[1]!.input, 10); // b's input changed after its output was made
  ran.length = 0;
  await transformAll(jobs, ran);
  console.log("re-ran:", ran);
}
