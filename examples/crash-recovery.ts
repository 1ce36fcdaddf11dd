// Crash recovery: a run is killed halfway (stop with a short timeout abandons running work).
// The next process simply resubmits everything; isStale skips what is done, so each page is
// processed once in total (plus the ones that were in flight when it died).
// Run: npx tsx examples/crash-recovery.ts
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, sleep, type Work } from "runcue";

export async function runOnce(dir: string, pages: number, processed: number[], crashAfter?: number): Promise<{ skipped: number; completed: number }> {
  const cue = new Cue();
  cue.service("api", { concurrent: 3 });
  const out = (p: number): string => join(dir, `${p}.out`);
  const page = cue.task("page", { uses: "api" }, async (w: Work<number>) => {
    await sleep(cue.clock, 10, w.signal);
    processed.push(w.params);
    writeFileSync(out(w.params), "done");
  });
  cue.isStale((w) => !existsSync(out(w.params as number)));
  let skipped = 0;
  let completed = 0;
  cue.onSkip(() => skipped++);
  cue.onComplete(() => {
    completed++;
  });
  cue.start();
  for (let p = 1; p <= pages; p++) await page.submit(p);
  if (crashAfter === undefined) {
    await cue.idle();
    await cue.stop();
  } else {
    while (completed < crashAfter) await sleep(cue.clock, 1);
    await cue.stop({ timeout: 0 }); // "crash": running work is abandoned, pending work forgotten
  }
  return { skipped, completed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), "runcue-crash-"));
  const processed: number[] = [];
  console.log("first run, crashing:", await runOnce(dir, 20, processed, 8));
  console.log("restart, resubmit all:", await runOnce(dir, 20, processed));
  console.log("pages processed:", processed.length);
}
