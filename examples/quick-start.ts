import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, type Work } from "runcue";

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), "runcue-"));
mkdirSync(dir, { recursive: true });
const cue = new Cue();
cue.service("llm", { rate: "120/min", concurrent: 5 });

const outputOf = (page: number): string => join(dir, `page-${page}.txt`);
const summarize = cue.task("summarize", { uses: "llm" }, async (work: Work<{ page: number }>) => {
  await new Promise((r) => setTimeout(r, 20)); // stands in for the API call
  // Written atomically (a temporary file, then rename): a crash never leaves a half-written
  // summary that looks done.
  const temporary = `${outputOf(work.params.page)}.tmp`;
  writeFileSync(temporary, `summary of page ${work.params.page}\n`);
  renameSync(temporary, outputOf(work.params.page));
  return outputOf(work.params.page);
});
// Skip work whose output already exists: rerunning the script redoes nothing.
cue.typed(summarize).isStale((work) => !existsSync(outputOf(work.params.page)));

cue.onComplete((work, result) => console.log(`done ${work.id}: ${String(result)}`));
cue.onSkip((work) => console.log(`skipped ${work.id}: output exists`));

cue.start();
for (let page = 1; page <= 3; page++) await summarize.submit({ page });
await cue.idle();
await cue.stop();
