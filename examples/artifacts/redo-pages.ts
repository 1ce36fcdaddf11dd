// "Redo pages 5-10" with declared artifacts (issue 10): resubmit every page, and force just those
// six. Forced works run even though their outputs are fresh; the others are skipped. Nothing is
// deleted by hand, and nothing upstream is redone: the page images still exist.
// Run: npx tsx examples/artifacts/redo-pages.ts [dir]
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, file, type Work } from "runcue";

/** Extracts the text of every page in `pages`, forcing those in `force`; returns the pages that ran. */
export async function extractPages(dir: string, pages: number[], force: number[] = []): Promise<number[]> {
  const cue = new Cue();
  cue.service("ocr", { rate: "600/min", concurrent: 4 });
  const ran: number[] = [];
  const extract = cue.task("extract", {
    uses: "ocr",
    inputs: { image: file(join(dir, "{page}.png")) },
    outputs: { text: file(join(dir, "{page}.txt")) },
  }, (work: Work<{ page: number }>) => {
    ran.push(work.params.page);
    writeFileSync(work.paths.text as string, `text ${work.params.page}`);
  });
  cue.start();
  for (const page of pages) await extract.submit({ page }, { force: force.includes(page) });
  await cue.idle();
  await cue.stop();
  return ran.sort((a, b) => a - b);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), "runcue-artifacts-redo-"));
  const all = Array.from({ length: 12 }, (_, i) => i + 1);
  for (const p of all) writeFileSync(join(dir, `${p}.png`), "img");
  console.log(`first run, ran: ${(await extractPages(dir, all)).join(" ")}`);
  console.log(`all resubmitted, 5-10 forced, ran: ${(await extractPages(dir, all, [5, 6, 7, 8, 9, 10])).join(" ")}`);
}
