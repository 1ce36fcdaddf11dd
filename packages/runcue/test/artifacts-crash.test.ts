// Crashes and declared outputs (issue 10): a handler killed with SIGKILL mid-write leaves its
// output incomplete, and the next run redoes exactly that work (plus what never started). Real
// processes: fixtures/artifacts-crash.ts runs pages through one slot and is killed while one
// page's output is half written.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("./fixtures/artifacts-crash.ts", import.meta.url));
const PAGES = 5;
const HANG_AT = PAGES; // the last page to start (one slot, submitted in order) is killed mid-write

/** The cue's artifacts option in the fixture: "mtime-state" is Make's rule with a state file (for incomplete markers only). */
type Mode = "changed" | "mtime" | "mtime-state";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Run {
  lines: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Runs the fixture; with `hangAt`, kills it with SIGKILL as soon as it says `writing N`. */
function run(dir: string, freshness: Mode, write: "direct" | "atomic", hangAt?: number): Promise<Run> {
  const args = ["--import", "tsx", SCRIPT, dir, freshness, write, String(PAGES), ...(hangAt === undefined ? [] : [String(hangAt)])];
  // The timeout only guards against a fixture that never says `writing` (the test then fails).
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000, killSignal: "SIGKILL" });
  const lines: string[] = [];
  let buffered = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (buffered + chunk).split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
    if (hangAt !== undefined && parts.includes(`writing ${hangAt}`)) child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ lines, code, signal, stderr }));
  });
}

const pagesSaid = (r: Run, word: string): number[] => r.lines.filter((l) => l.startsWith(`${word} `)).map((l) => Number(l.split(" ")[1])).sort((a, b) => a - b);
const ALL = Array.from({ length: PAGES }, (_, i) => i + 1);
const whole = (dir: string, n: number): boolean => readFileSync(join(dir, `page-${n}.txt`), "utf8") === `page ${n}\nfirst half\nsecond half\nend of page ${n}\n`;

/** A temp dir with every page's input, dated an hour ago (so any output written now is newer). */
function inputs(): string {
  const dir = mkdtempSync(join(tmpdir(), "runcue-crash-"));
  dirs.push(dir);
  const hourAgo = Date.now() / 1000 - 3600;
  for (const n of ALL) {
    writeFileSync(join(dir, `src-${n}.txt`), `source ${n}\n`);
    utimesSync(join(dir, `src-${n}.txt`), hourAgo, hourAgo);
  }
  return dir;
}

/** The first run, killed mid-write of page HANG_AT; returns the pages it reported done. */
async function crash(dir: string, freshness: Mode, write: "direct" | "atomic"): Promise<number[]> {
  const first = await run(dir, freshness, write, HANG_AT);
  expect(first.stderr).toBe("");
  expect(first.signal, `the first run must be killed, not end by itself: ${first.lines.join(" | ")}`).toBe("SIGKILL");
  expect(first.lines).toContain(`writing ${HANG_AT}`);
  const done = pagesSaid(first, "done");
  expect(done).not.toContain(HANG_AT);
  for (const n of done) expect(whole(dir, n)).toBe(true);
  return done;
}

describe("a handler killed with SIGKILL mid-write", () => {
  it('"changed" mode, output written in place: the half-written output is redone, and nothing that finished is', async () => {
    const dir = inputs();
    const done = await crash(dir, "changed", "direct");
    // What the kill left: an incomplete output that is newer than its input (mtime alone would call it done).
    const half = join(dir, `page-${HANG_AT}.txt`);
    expect(readFileSync(half, "utf8")).toBe(`page ${HANG_AT}\nfirst half\n`);
    expect(statSync(half).mtimeMs).toBeGreaterThan(statSync(join(dir, `src-${HANG_AT}.txt`)).mtimeMs);

    const second = await run(dir, "changed", "direct");
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(pagesSaid(second, "fail")).toEqual([]);
    expect(pagesSaid(second, "skip")).toEqual(done);
    expect(pagesSaid(second, "done")).toEqual(ALL.filter((n) => !done.includes(n)));
    expect(pagesSaid(second, "done")).toContain(HANG_AT);
    for (const n of ALL) expect(whole(dir, n), `page ${n}`).toBe(true);

    // A third run has nothing left to do.
    const third = await run(dir, "changed", "direct");
    expect(pagesSaid(third, "skip")).toEqual(ALL);
  }, 60_000);

  it('"mtime" mode with a state file, output written in place: the state file keeps the incomplete marker, so the half-written output is redone too', async () => {
    const dir = inputs();
    const done = await crash(dir, "mtime-state", "direct");
    expect(readFileSync(join(dir, `page-${HANG_AT}.txt`), "utf8")).toBe(`page ${HANG_AT}\nfirst half\n`);
    const second = await run(dir, "mtime-state", "direct");
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(pagesSaid(second, "skip")).toEqual(done);
    expect(pagesSaid(second, "done")).toEqual(ALL.filter((n) => !done.includes(n)));
    for (const n of ALL) expect(whole(dir, n), `page ${n}`).toBe(true);
  }, 60_000);

  it('"mtime" mode, atomic write (temp file + rename, as the README recommends): the kill leaves no output, so the rerun redoes exactly the unfinished pages', async () => {
    const dir = inputs();
    const done = await crash(dir, "mtime", "atomic");
    expect(existsSync(join(dir, `page-${HANG_AT}.txt`))).toBe(false);
    expect(existsSync(join(dir, `page-${HANG_AT}.txt.tmp`))).toBe(true);

    const second = await run(dir, "mtime", "atomic");
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(pagesSaid(second, "skip")).toEqual(done);
    expect(pagesSaid(second, "done")).toEqual(ALL.filter((n) => !done.includes(n)));
    for (const n of ALL) expect(whole(dir, n), `page ${n}`).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 60_000);
});
