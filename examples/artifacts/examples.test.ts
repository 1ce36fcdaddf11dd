// The declared-artifact versions of the examples (issue 10) are part of the test suite: each is
// run as a program (what it prints is what the README shows) and through its exported functions.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isWhole, KILL_AFTER, PAGES } from "./crash-recovery.js";
import { runFanout } from "./fanout.js";
import { anHourAgo, counts, runPipeline, writePages } from "./pipeline.js";
import { extractPages } from "./redo-pages.js";
import { processOrders, type World } from "./side-effects.js";
import { touch, transformAll } from "./stale-inputs.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "runcue-artifacts-example-"));
  dirs.push(d);
  return d;
};

/** Runs `examples/artifacts/<name>.ts` as a program; resolves with its stdout lines (stderr must be empty, exit 0). */
function program(name: string, ...args: string[]): Promise<string[]> {
  const root = new URL("../..", import.meta.url);
  const child = spawn(process.execPath, ["--import", "tsx", `examples/artifacts/${name}.ts`, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000, killSignal: "SIGKILL" });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      try {
        expect(err, `${name} wrote to stderr`).toBe("");
        expect(code, `${name} exit (signal ${signal})`).toBe(0);
        resolve(out.trim().split("\n"));
      } catch (e) {
        reject(e);
      }
    });
  });
}

describe("examples with declared artifacts", () => {
  it("pipeline, as printed: five rescanned pages are rebuilt through all three stages in ONE run, then nothing is left to do", async () => {
    expect(await program("pipeline", temp())).toEqual([
      "first run: ran scan 8, translate 8, summarize 1; skipped none",
      "second run: ran none; skipped scan 8, translate 8, summarize 1",
      "rescanned pages 2 3 5 7 8",
      "third run: ran scan 5, translate 5, summarize 1; skipped scan 3, translate 3",
      "fourth run: ran none; skipped scan 8, translate 8, summarize 1",
      "EN: text of scan 2 of page 3",
    ]);
  }, 60_000);

  it('pipeline, "changed" mode: rewritten inputs rebuild downstream in one run with no aging of files; a touch without change rebuilds nothing', async () => {
    const dir = temp();
    const all = [1, 2, 3, 4, 5, 6];
    writePages(dir, all);
    expect(counts((await runPipeline(dir, 6, "changed")).ran)).toBe("scan 6, translate 6, summarize 1");
    writePages(dir, [1, 4], 2); // right after the run: quite possibly the same mtime tick as its outputs
    const again = await runPipeline(dir, 6, "changed");
    expect(counts(again.ran)).toBe("scan 2, translate 2, summarize 1");
    expect(counts(again.skipped)).toBe("scan 4, translate 4");
    expect(readFileSync(join(dir, "en", "4.txt"), "utf8")).toBe("EN: text of scan 2 of page 4");
    touch(join(dir, "pages", "2.png")); // newer, same bytes
    expect(counts((await runPipeline(dir, 6, "changed")).ran)).toBe("none");
  }, 60_000);

  it("pipeline, mtime mode, function-level: a deleted middle output is rebuilt with everything after it, nothing before", async () => {
    const dir = temp();
    writePages(dir, [1, 2, 3]);
    await runPipeline(dir, 3);
    anHourAgo(dir);
    rmSync(join(dir, "text", "2.txt"));
    const r = await runPipeline(dir, 3);
    expect(counts(r.ran)).toBe("scan 1, translate 1, summarize 1");
    expect(counts(r.skipped)).toBe("scan 2, translate 2");
  }, 30_000);

  it("fan-out, as printed: every batch aggregates; a part that fails for good blocks only its own aggregate", async () => {
    expect(await program("fanout")).toEqual([
      JSON.stringify({ aggregated: [0, 1, 2], failed: [], blocked: [] }),
      JSON.stringify({ aggregated: [0, 2], failed: ['process {"batch":1,"part":2}: corrupt input'], blocked: ['aggregate {"batch":1}: no_producer'] }),
    ]);
  }, 60_000);

  it("fan-out, function-level: debugBlocked() names the missing part, and that nothing pending produces it", async () => {
    expect(await runFanout(2)).toEqual({ aggregated: [0, 1], failed: [], blocked: [], details: [] });
    const r = await runFanout(2, { batch: 0, part: 4 });
    expect(r.aggregated).toEqual([1]);
    expect(r.blocked).toEqual(['aggregate {"batch":0}: no_producer']);
    expect(r.details).toHaveLength(1);
    expect(r.details[0]).toContain("part:0/4");
    expect(r.details[0]).toMatch(/no pending (or running )?work produces it/);
  });

  it("stale inputs, as printed: an edited input reruns its transform, a touched one does not", async () => {
    expect(await program("stale-inputs", temp())).toEqual([
      "first run, ran: a b c",
      "b edited, c touched; ran: b",
      "again, ran: none",
    ]);
  }, 60_000);

  it("stale inputs, function-level: an input restored from an older copy (same size, an older mtime, as cp -p or git would leave it) reruns its transform", async () => {
    const dir = temp();
    const input = join(dir, "x.in");
    writeFileSync(input, "aaaa");
    expect(await transformAll(dir, ["x"])).toEqual(["x"]);
    writeFileSync(input, "bbbb");
    const dayAgo = Date.now() / 1000 - 86_400;
    utimesSync(input, dayAgo, dayAgo); // older than x.out: by Make's rule it would be up to date
    expect(statSync(input).mtimeMs).toBeLessThan(statSync(join(dir, "x.out")).mtimeMs);
    expect(await transformAll(dir, ["x"])).toEqual(["x"]);
    expect(readFileSync(join(dir, "x.out"), "utf8")).toBe("BBBB");
  });

  it("redo pages 5-10, as printed: forcing them reruns exactly those", async () => {
    expect(await program("redo-pages", temp())).toEqual([
      "first run, ran: 1 2 3 4 5 6 7 8 9 10 11 12",
      "all resubmitted, 5-10 forced, ran: 5 6 7 8 9 10",
    ]);
  }, 60_000);

  it("redo pages, function-level: without force nothing reruns; forced pages run even when fresh", async () => {
    const dir = temp();
    const all = Array.from({ length: 12 }, (_, i) => i + 1);
    for (const p of all) writeFileSync(join(dir, `${p}.png`), "img");
    expect(await extractPages(dir, all)).toEqual(all);
    expect(await extractPages(dir, all)).toEqual([]);
    expect(await extractPages(dir, all, [5, 6, 7, 8, 9, 10])).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it("side effects, as printed: a restart charges and mails nobody twice", async () => {
    expect(await program("side-effects", temp())).toEqual(["charged: o1 o2 o3; mailed: c1@example.com c2@example.com c3@example.com; failures: 0"]);
  }, 60_000);

  it("side effects, function-level: a charge that writes no proof fails with ERR_MISSING_OUTPUT, and its confirmation is never sent", async () => {
    const dir = temp();
    const world: World = { charges: [], emails: [], failures: [] };
    const orders = [1, 2].map((i) => ({ orderId: `o${i}`, amount: i, email: `c${i}@example.com` }));
    await processOrders(dir, orders, world, ["o2"]);
    expect(world.charges.sort()).toEqual(["o1", "o2"]);
    expect(world.emails).toEqual(["c1@example.com"]);
    expect(world.failures).toEqual(["charge o2: MissingOutputError ERR_MISSING_OUTPUT"]);
  });

  it("crash recovery, as printed: after a SIGKILL with outputs half written in place, the rerun redoes the half-written and unstarted pages, never a page reported done", async () => {
    const dir = temp();
    const [killed, afterKill, rerun, end, ...rest] = await program("crash-recovery", dir);
    expect(rest).toEqual([]);
    /** The page numbers a line lists after `label (pages `. */
    const pages = (line: string | undefined, label: string): number[] => {
      const listed = new RegExp(`${label} \\(pages ([\\d ]+|none)[);]`).exec(line ?? "")?.[1];
      expect(listed, `"${label} (pages ...)" in: ${line}`).toBeDefined();
      return listed === "none" ? [] : listed!.split(" ").map(Number);
    };
    expect(killed).toMatch(new RegExp(`^first run \\(pid \\d+\\): killed with SIGKILL after reporting \\d+ of ${PAGES} pages done \\(pages [\\d ]+\\)$`));
    const reported = pages(killed, "pages done");
    expect(reported.length).toBeGreaterThanOrEqual(KILL_AFTER);
    const whole = pages(afterKill, "whole outputs");
    const halfWritten = pages(afterKill, "half-written outputs");
    expect(whole.length).toBeLessThan(PAGES); // killed mid-run
    for (const p of reported) expect(whole).toContain(p);
    const ran = pages(rerun, "ran");
    // Everything not whole on disk is redone; nothing reported done is. (A page whose handler had
    // just finished writing when the kill came, before runcue verified it, may go either way.)
    const all = Array.from({ length: PAGES }, (_, i) => i + 1);
    for (const p of all.filter((n) => !whole.includes(n))) expect(ran, `page ${p}, not whole after the kill`).toContain(p);
    for (const p of reported) expect(ran, `page ${p}, reported done before the kill`).not.toContain(p);
    for (const p of halfWritten) expect(ran).toContain(p);
    expect(rerun).toContain(`resubmitted all ${PAGES}, ${PAGES - ran.length} skipped, ${ran.length} ran`);
    expect(end).toBe(`after the second run: ${PAGES} of ${PAGES} outputs whole`);
    for (const p of all) expect(isWhole(dir, p)).toBe(true);
  }, 60_000);
});
