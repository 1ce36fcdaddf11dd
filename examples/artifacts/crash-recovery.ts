// Crash recovery with declared artifacts (issue 10): a worker process is killed with SIGKILL
// halfway through 24 pages, while some pages are half written. The handler here writes its
// output in place, the way the callback example says not to: a half-written output exists and
// is newer than its input, so an existence or mtime check would call it done. Under
// `freshness: "changed"`, runcue marks a work's outputs incomplete in its state file before the
// handler starts and clears the mark only once the outputs are verified; the kill leaves the
// marks, so the rerun redoes the half-written pages, and skips every page reported done.
// (Writing atomically, a temporary file renamed onto the output, is still the better habit: it
// never leaves a damaged file for anyone else to read.)
// Run: npx tsx examples/artifacts/crash-recovery.ts [dir]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cue, file, sleep, type Work } from "runcue";

export const PAGES = 24;
export const KILL_AFTER = 6; // pages reported done before the first worker is killed

const outputOf = (dir: string, page: number): string => join(dir, `page-${page}.txt`);
export const isWhole = (dir: string, page: number): boolean =>
  existsSync(outputOf(dir, page)) && readFileSync(outputOf(dir, page), "utf8").endsWith(`end of page ${page}\n`);

/** The real program: processes every page, printing `done N` or `skip N` for each. */
export async function processPages(dir: string, pages: number): Promise<void> {
  const cue = new Cue({ artifacts: { freshness: "changed", state: join(dir, ".runcue", "state.json") } });
  cue.service("api", { concurrent: 3 });
  const page = cue.task("page", {
    uses: "api",
    inputs: { scan: file(join(dir, "scan-{page}.txt")) },
    outputs: { text: file(join(dir, "page-{page}.txt")) },
  }, async (work: Work<{ page: number }>) => {
    const n = work.params.page;
    const out = await open(work.paths.text as string, "w"); // in place: a kill leaves it half written
    try {
      await out.write(`page ${n}\nfirst half of the result\n`);
      await sleep(cue.clock, 100 + ((n * 37) % 100), work.signal); // a slow API streams the rest
      await out.write(`second half of the result\nend of page ${n}\n`);
    } finally {
      await out.close();
    }
  });
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  cue.onComplete((work) => say(`done ${(work.params as { page: number }).page}`));
  cue.onSkip((work) => say(`skip ${(work.params as { page: number }).page}`));
  cue.start();
  for (let n = 1; n <= pages; n++) await page.submit({ page: n });
  await cue.idle();
  await cue.stop();
}

/** Runs this file as a worker process; after `killAfter` done pages, it is sent SIGKILL. */
function runWorker(dir: string, killAfter?: number): Promise<{ pid: number; code: number | null; signal: NodeJS.Signals | null; lines: string[] }> {
  // process.execArgv carries tsx's loader, so the child runs this TypeScript file as we do.
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--worker", dir], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (buffered + chunk).split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
    if (killAfter !== undefined && lines.filter((l) => l.startsWith("done ")).length >= killAfter) child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (killAfter === undefined && code !== 0) reject(new Error(`worker exited with ${code ?? signal}`));
      else resolve({ pid: child.pid!, code, signal, lines });
    });
  });
}

const pagesIn = (lines: string[], kind: string): number[] => lines.filter((l) => l.startsWith(`${kind} `)).map((l) => Number(l.slice(kind.length + 1)));
const list = (pages: number[]): string => [...pages].sort((a, b) => a - b).join(" ") || "none";

export async function crashAndRecover(dir: string): Promise<void> {
  for (let n = 1; n <= PAGES; n++) writeFileSync(join(dir, `scan-${n}.txt`), `scan of page ${n}\n`);
  const first = await runWorker(dir, KILL_AFTER);
  if (first.signal !== "SIGKILL") throw new Error(`the first worker ended on its own (exit ${first.code ?? first.signal}) before ${KILL_AFTER} pages were reported done`);
  const reported = pagesIn(first.lines, "done");
  console.log(`first run (pid ${first.pid}): killed with SIGKILL after reporting ${reported.length} of ${PAGES} pages done (pages ${list(reported)})`);
  const all = Array.from({ length: PAGES }, (_, i) => i + 1);
  const whole = all.filter((n) => isWhole(dir, n));
  const halfWritten = all.filter((n) => existsSync(outputOf(dir, n)) && !isWhole(dir, n));
  console.log(`on disk after the kill: ${whole.length} whole outputs (pages ${list(whole)}), ${halfWritten.length} half-written outputs (pages ${list(halfWritten)}; newer than their inputs, they look done by mtime)`);

  const second = await runWorker(dir);
  const ran = pagesIn(second.lines, "done");
  console.log(`second run: resubmitted all ${PAGES}, ${pagesIn(second.lines, "skip").length} skipped, ${ran.length} ran (pages ${list(ran)})`);
  console.log(`after the second run: ${all.filter((n) => isWhole(dir, n)).length} of ${PAGES} outputs whole`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === "--worker") await processPages(process.argv[3]!, PAGES);
  else await crashAndRecover(process.argv[2] ?? mkdtempSync(join(tmpdir(), "runcue-artifacts-crash-")));
}
