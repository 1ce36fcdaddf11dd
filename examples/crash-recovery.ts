// Crash recovery: a worker process is killed with SIGKILL halfway through 24 pages. A new process
// simply resubmits all 24; isStale ("is the output missing?") skips the finished ones, so only the
// rest run. That is only true because each output is written atomically: into a temporary file in
// the same directory, then renamed onto its final name. A write cut short by the kill leaves a
// half-written temporary file, never a half-written output that would look done.
// Run: npx tsx examples/crash-recovery.ts [dir]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cue, sleep, type Work } from "runcue";

export const PAGES = 24;
export const KILL_AFTER = 6; // pages reported done before the first worker is killed

const outputOf = (dir: string, page: number): string => join(dir, `page-${page}.txt`);
const isComplete = (dir: string, page: number): boolean =>
  existsSync(outputOf(dir, page)) && readFileSync(outputOf(dir, page), "utf8").endsWith(`end of page ${page}\n`);

/** The real program: processes every page, printing `done N` or `skip N` for each. */
export async function processPages(dir: string, pages: number): Promise<void> {
  const cue = new Cue();
  cue.service("api", { concurrent: 3 });
  const page = cue.task("page", { uses: "api" }, async (work: Work<{ page: number }>) => {
    const n = work.params.page;
    // Atomic write: the temporary file is in the same directory, so the rename stays on one file
    // system and replaces the name in one step. (Named after its output, so a redo overwrites
    // what a killed run left; add the process id if two processes may write one output at once.)
    const temporary = `${outputOf(dir, n)}.tmp`;
    const file = await open(temporary, "w");
    try {
      await file.write(`page ${n}\nfirst half of the result\n`);
      await sleep(cue.clock, 100 + ((n * 37) % 100), work.signal); // a slow API streams the rest
      await file.write(`second half of the result\nend of page ${n}\n`);
      await file.sync(); // on disk before the rename, should the machine lose power
    } finally {
      await file.close();
    }
    await rename(temporary, outputOf(dir, n));
  });
  cue.typed(page).isStale((work) => !existsSync(outputOf(dir, work.params.page)));
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  page.on("complete", ({ work }) => say(`done ${work.params.page}`));
  page.on("skip", ({ work }) => say(`skip ${work.params.page}`));
  cue.start();
  for (let n = 1; n <= pages; n++) await page.submit({ page: n });
  await cue.idle();
  await cue.stop();
}

/** Runs this file as a worker process; `killAfter` done pages, it is sent SIGKILL. */
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
  const first = await runWorker(dir, KILL_AFTER);
  if (first.signal !== "SIGKILL") throw new Error(`the first worker ended on its own (exit ${first.code ?? first.signal}) before ${KILL_AFTER} pages were reported done`);
  console.log(`first run (pid ${first.pid}): killed with SIGKILL after reporting ${pagesIn(first.lines, "done").length} of ${PAGES} pages done`);
  const all = Array.from({ length: PAGES }, (_, i) => i + 1);
  const finished = all.filter((n) => isComplete(dir, n));
  const halfWritten = all.filter((n) => existsSync(`${outputOf(dir, n)}.tmp`));
  console.log(`on disk after the kill: ${finished.length} complete outputs (pages ${list(finished)}), ${halfWritten.length} half-written temporary files (pages ${list(halfWritten)}; written directly, they would be outputs that look done)`);

  const second = await runWorker(dir);
  const ran = pagesIn(second.lines, "done");
  console.log(`second run: resubmitted all ${PAGES}, ${pagesIn(second.lines, "skip").length} skipped, ${ran.length} ran (pages ${list(ran)})`);
  const incomplete = all.filter((n) => !isComplete(dir, n));
  const leftovers = readdirSync(dir).filter((f) => f.endsWith(".tmp"));
  console.log(`after the second run: ${PAGES - incomplete.length} of ${PAGES} outputs complete, ${leftovers.length} temporary files left`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === "--worker") await processPages(process.argv[3]!, PAGES);
  else await crashAndRecover(process.argv[2] ?? mkdtempSync(join(tmpdir(), "runcue-crash-")));
}
