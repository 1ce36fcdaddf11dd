// A three-stage file pipeline with declared artifacts (issue 10): scan each page (rate-limited
// "OCR"), translate each page's text, then summarize all translations. No isReady/isStale: each
// task says what it reads and writes, and runcue derives the rest. A work waits while any
// pending or running work of the cue declares one of its inputs as an output, so after inputs
// change, one run rebuilds everything downstream of them, stage by stage, and nothing else.
// Run: npx tsx examples/artifacts/pipeline.ts [dir]
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, file, type Work } from "runcue";

export interface RunReport {
  /** Works whose handler ran, by task. */
  ran: Record<string, number>;
  /** Works skipped because their outputs were fresh, by task. */
  skipped: Record<string, number>;
  summary: string;
}

export type Freshness = "mtime" | "changed";

export async function runPipeline(dir: string, pages: number, freshness: Freshness = "mtime"): Promise<RunReport> {
  const cue = new Cue({ artifacts: freshness === "changed" ? { freshness, state: join(dir, ".runcue", "state.json") } : { freshness } });
  cue.service("ocr", { rate: "50/s", concurrent: 4 }); // the rate-limited API
  cue.service("local", { concurrent: 2 });
  for (const sub of ["text", "en"]) mkdirSync(join(dir, sub), { recursive: true });

  const scan = cue.task("scan", {
    uses: "ocr",
    inputs: { image: file(join(dir, "pages", "{page}.png")) },
    outputs: { text: file(join(dir, "text", "{page}.txt")) },
  }, (work: Work<{ page: number }>) => {
    writeFileSync(work.paths.text as string, `text of ${readFileSync(work.paths.image as string, "utf8")}`);
  });
  const translate = cue.task("translate", {
    uses: "local",
    inputs: { text: file(join(dir, "text", "{page}.txt")) },
    outputs: { english: file(join(dir, "en", "{page}.txt")) },
  }, (work: Work<{ page: number }>) => {
    writeFileSync(work.paths.english as string, `EN: ${readFileSync(work.paths.text as string, "utf8")}`);
  });
  const summarize = cue.task("summarize", {
    uses: "local",
    inputs: (p: { pages: number }) => ({ english: Array.from({ length: p.pages }, (_, i) => file(join(dir, "en", `${i + 1}.txt`))) }),
    outputs: { summary: file(join(dir, "summary.md")) },
  }, (work) => {
    const texts = (work.paths.english as readonly string[]).map((path) => readFileSync(path, "utf8"));
    writeFileSync(work.paths.summary as string, `${texts.length} pages, ${texts.join("").length} characters\n`);
  });

  const ran: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  cue.onComplete((work) => {
    ran[work.task] = (ran[work.task] ?? 0) + 1;
  });
  cue.onSkip((work) => {
    skipped[work.task] = (skipped[work.task] ?? 0) + 1;
  });
  cue.onFailure((work, error) => console.error(`FAILED ${work.task} ${JSON.stringify(work.params)}: ${error.message}`));

  // Everything is submitted before start(), downstream first on purpose: the declared artifacts,
  // not the order of submission, sequence the stages. A work is judged against the works pending
  // when it is screened: after start(), a downstream work submitted well before its upstream
  // work (say, while the upstream work is still being discovered) is judged on the old files and
  // skipped. Submit everything first, or upstream work first.
  await summarize.submit({ pages });
  for (let page = pages; page >= 1; page--) await translate.submit({ page });
  for (let page = pages; page >= 1; page--) await scan.submit({ page });
  cue.start();
  await cue.idle();
  await cue.stop();
  return { ran, skipped, summary: readFileSync(join(dir, "summary.md"), "utf8").trim() };
}

/** Writes the page images the pipeline starts from. */
export function writePages(dir: string, pages: number[], version = 1): void {
  mkdirSync(join(dir, "pages"), { recursive: true });
  for (const p of pages) writeFileSync(join(dir, "pages", `${p}.png`), `scan ${version} of page ${p}`);
}

/**
 * Moves every file's modification time an hour back, as if the last run had been an hour ago: in
 * "mtime" mode, an edit must be strictly newer than the outputs it invalidates, and a file system
 * may stamp an edit made in the same millisecond with the same time.
 */
export function anHourAgo(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const t = statSync(path).mtimeMs / 1000 - 3600;
    utimesSync(path, t, t);
  }
}

/** "scan 5, translate 5, summarize 1" (stages in order), or "none". */
export function counts(byTask: Record<string, number>): string {
  return ["scan", "translate", "summarize"].filter((t) => byTask[t]).map((t) => `${t} ${byTask[t]}`).join(", ") || "none";
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), "runcue-artifacts-pipeline-"));
  const PAGES = 8;
  const all = Array.from({ length: PAGES }, (_, i) => i + 1);
  const run = async (label: string): Promise<void> => {
    const r = await runPipeline(dir, PAGES);
    console.log(`${label}: ran ${counts(r.ran)}; skipped ${counts(r.skipped)}`);
  };
  writePages(dir, all);
  await run("first run");
  await run("second run");
  anHourAgo(dir); // as if those runs were an hour ago
  const rescanned = [2, 3, 5, 7, 8];
  writePages(dir, rescanned, 2);
  console.log(`rescanned pages ${rescanned.join(" ")}`);
  await run("third run");
  await run("fourth run");
  console.log(readFileSync(join(dir, "en", "3.txt"), "utf8").trim());
}
