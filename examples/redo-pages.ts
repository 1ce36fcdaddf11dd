// "Redo pages 5-10": invalidate those outputs and submit just those pages. Their inputs (the
// page images) still exist, so they run at once; nothing upstream is redone.
// Run: npx tsx examples/redo-pages.ts
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, type Work } from "runcue";

export async function extractPages(dir: string, pages: number[], ran: number[]): Promise<void> {
  const cue = new Cue();
  cue.service("ocr", { rate: "600/min", concurrent: 4 });
  const image = (p: number): string => join(dir, `${p}.png`);
  const text = (p: number): string => join(dir, `${p}.txt`);
  const extract = cue.task("extract", { uses: "ocr" }, (w: Work<number>) => {
    ran.push(w.params);
    writeFileSync(text(w.params), `text ${w.params}`);
  });
  cue.typed(extract)
    .isReady((w) => existsSync(image(w.params)))
    .isStale((w) => !existsSync(text(w.params)));
  cue.start();
  for (const p of pages) await extract.submit(p);
  await cue.idle();
  await cue.stop();
}

export function redo(dir: string, pages: number[]): void {
  for (const p of pages) rmSync(join(dir, `${p}.txt`), { force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), "runcue-redo-"));
  const all = Array.from({ length: 12 }, (_, i) => i + 1);
  for (const p of all) writeFileSync(join(dir, `${p}.png`), "img");
  const ran: number[] = [];
  await extractPages(dir, all, ran);
  const redoPages = [5, 6, 7, 8, 9, 10];
  redo(dir, redoPages);
  ran.length = 0;
  await extractPages(dir, redoPages, ran);
  console.log("redone:", ran.sort((a, b) => a - b));
}
