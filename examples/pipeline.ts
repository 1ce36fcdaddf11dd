// A pipeline through files: split a document into pages, extract each page's text through a
// rate-limited "OCR" service, then summarize when every page's text exists. All three stages are
// submitted up front; readiness (inputs exist) orders them, staleness (output exists) skips
// finished work. Running it twice shows the second run skipping everything.
// Run: npm run demo   (or: npx tsx examples/pipeline.ts)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, sleep, type Work } from "runcue";

export interface PipelineReport {
  ran: Record<string, number>;
  skipped: number;
  summary: string;
  elapsedMs: number;
}

export async function runPipeline(dir: string, pages = 8, print: (line: string) => void = () => undefined): Promise<PipelineReport> {
  const cue = new Cue();
  cue.service("local", { concurrent: 2 });
  cue.service("ocr", { rate: "5/s", concurrent: 4 }); // the rate-limited API

  const pagePath = (p: number): string => join(dir, "pages", `${p}.png`);
  const textPath = (p: number): string => join(dir, "text", `${p}.txt`);
  const summaryPath = join(dir, "summary.txt");
  mkdirSync(join(dir, "pages"), { recursive: true });
  mkdirSync(join(dir, "text"), { recursive: true });

  const split = cue.task("split", { uses: "local", stale: () => !existsSync(pagePath(pages)) }, async () => {
    await sleep(cue.clock, 30);
    for (let p = 1; p <= pages; p++) writeFileSync(pagePath(p), `image of page ${p}`);
    return pages;
  });
  const extract = cue.task("extract", {
    uses: "ocr",
    ready: (w) => existsSync(pagePath(w.params.page)),
    stale: (w) => !existsSync(textPath(w.params.page)),
    retry: { attempts: 3, delay: 50 },
  }, async (work: Work<{ page: number }>) => {
    await sleep(cue.clock, 40, work.signal);
    writeFileSync(textPath(work.params.page), `text of page ${work.params.page}\n`);
    return textPath(work.params.page);
  });
  const summarize = cue.task("summarize", {
    uses: "local",
    ready: () => Array.from({ length: pages }, (_, i) => textPath(i + 1)).every((p) => existsSync(p)),
    stale: () => !existsSync(summaryPath),
  }, () => {
    const text = Array.from({ length: pages }, (_, i) => readFileSync(textPath(i + 1), "utf8")).join("");
    writeFileSync(summaryPath, `${pages} pages, ${text.length} characters\n`);
    return summaryPath;
  });

  const ran: Record<string, number> = {};
  let skipped = 0;
  const t0 = performance.now();
  const at = (): string => `${String(Math.round(performance.now() - t0)).padStart(5)} ms`;
  cue.onStart((w) => print(`${at()}  start     ${w.task} ${JSON.stringify(w.params ?? {})}`));
  cue.onComplete((w, _result, ms) => {
    ran[w.task] = (ran[w.task] ?? 0) + 1;
    print(`${at()}  complete  ${w.task} ${JSON.stringify(w.params ?? {})} in ${Math.round(ms)} ms`);
  });
  cue.onSkip((w) => {
    skipped++;
    print(`${at()}  skip      ${w.task} ${JSON.stringify(w.params ?? {})} (output is valid)`);
  });
  cue.onFailure((w, e) => print(`${at()}  FAILED    ${w.task}: ${e.message}`));

  cue.start();
  // Submitted in reverse on purpose: readiness, not submission order, sequences the stages.
  await summarize.submit(undefined);
  for (let page = pages; page >= 1; page--) await extract.submit({ page });
  await split.submit(undefined);
  await cue.idle();
  await cue.stop();
  return { ran, skipped, summary: readFileSync(summaryPath, "utf8").trim(), elapsedMs: performance.now() - t0 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), "runcue-pipeline-"));
  console.log(`runcue pipeline demo in ${dir}\n\nFirst run: everything is stale.`);
  const first = await runPipeline(dir, 8, (line) => console.log(line));
  console.log(`\n-> ${first.summary}; ran ${JSON.stringify(first.ran)} in ${Math.round(first.elapsedMs)} ms\n`);
  console.log("Second run, same submissions (as after a crash): every output is valid.");
  const second = await runPipeline(dir, 8, (line) => console.log(line));
  console.log(`\n-> ran ${JSON.stringify(second.ran)}, skipped ${second.skipped}, in ${Math.round(second.elapsedMs)} ms`);
}
