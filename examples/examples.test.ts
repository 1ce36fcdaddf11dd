// The examples are part of the test suite, so the README never drifts from the code.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KILL_AFTER, PAGES } from "./crash-recovery.js";
import { runFanout } from "./fanout.js";
import { runLlm } from "./llm-limits.js";
import { observe } from "./observe.js";
import { runPipeline } from "./pipeline.js";
import { extractPages, redo } from "./redo-pages.js";
import { processOrders } from "./side-effects.js";
import { touch, transformAll } from "./stale-inputs.js";

const temp = (): string => mkdtempSync(join(tmpdir(), "runcue-test-"));

describe("examples", () => {
  it("the README's quick start is examples/quick-start.ts, verbatim", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(new URL("./quick-start.ts", import.meta.url), "utf8"));
  });

  /** Runs the quick start with `dir` and returns its output lines. */
  const quickStart = (dir: string): string[] => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/quick-start.ts", dir], { encoding: "utf8", cwd: new URL("..", import.meta.url) });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return r.stdout.trim().split("\n");
  };

  it("quick start: runs three summaries, then skips them on a rerun", () => {
    const dir = temp();
    const first = quickStart(dir);
    expect(first).toHaveLength(3);
    expect(first.every((l) => l.startsWith("done"))).toBe(true);
    expect(quickStart(dir).every((l) => l.startsWith("skipped"))).toBe(true);
  });

  it("quick start: creates a directory that does not exist yet, leaves no temporary file, and a rerun skips", () => {
    const dir = join(temp(), "not", "yet");
    const first = quickStart(dir);
    expect(first.sort()).toEqual([1, 2, 3].map((page) => `done ${page}: ${join(dir, `page-${page}.txt`)}`));
    expect(readdirSync(dir).sort()).toEqual(["page-1.txt", "page-2.txt", "page-3.txt"]);
    expect(readFileSync(join(dir, "page-2.txt"), "utf8")).toBe("summary of page 2\n");
    const second = quickStart(dir);
    expect(second).toHaveLength(3);
    expect(second.every((l) => l.startsWith("skipped"))).toBe(true);
  });

  it("pipeline: stages ordered by readiness; the rerun skips everything", async () => {
    const dir = temp();
    const first = await runPipeline(dir, 6);
    expect(first.ran).toEqual({ split: 1, extract: 6, summarize: 1 });
    expect(first.summary).toMatch(/^6 pages/);
    const second = await runPipeline(dir, 6);
    expect(second.ran).toEqual({});
    expect(second.skipped).toBe(8);
  });

  it("fan-out: every batch aggregates; a failed part blocks only its own aggregate", async () => {
    expect(await runFanout(3)).toEqual({ aggregated: [0, 1, 2], blocked: [] });
    const failed = await runFanout(3, { batch: 1, part: 2 });
    expect(failed.aggregated).toEqual([0, 2]);
    expect(failed.blocked).toEqual(['aggregate {"batch":1}: not_ready']);
  });

  it("side effects: a restart charges and mails nobody twice", async () => {
    const dir = temp();
    const world = { charges: [] as string[], emails: [] as string[] };
    const orders = [1, 2, 3].map((i) => ({ orderId: `o${i}`, amount: i, email: `c${i}@example.com` }));
    await processOrders(dir, orders, world);
    await processOrders(dir, orders, world);
    expect(world.charges.sort()).toEqual(["o1", "o2", "o3"]);
    expect(world.emails.sort()).toEqual(["c1@example.com", "c2@example.com", "c3@example.com"]);
  });

  it("crash recovery: after a SIGKILL mid-run, the rerun redoes exactly the unfinished pages, and every output is whole", () => {
    const dir = temp();
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/crash-recovery.ts", dir], { encoding: "utf8", cwd: new URL("..", import.meta.url) });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [killed, afterKill, rerun, end, ...rest] = r.stdout.trim().split("\n");
    expect(rest).toEqual([]);
    expect(killed).toMatch(new RegExp(`^first run \\(pid \\d+\\): killed with SIGKILL after reporting \\d+ of ${PAGES} pages done$`));
    /** The page numbers a line lists after `label (pages `. */
    const pages = (line: string | undefined, label: string): number[] => {
      const listed = new RegExp(`${label} \\(pages ([\\d ]+|none)[);]`).exec(line ?? "")?.[1];
      expect(listed, `"${label} (pages ...)" in: ${line}`).toBeDefined();
      return listed === "none" ? [] : listed!.split(" ").map(Number);
    };
    const all = Array.from({ length: PAGES }, (_, i) => i + 1);
    const finished = pages(afterKill, "complete outputs");
    const halfWritten = pages(afterKill, "half-written temporary files");
    expect(finished.length).toBeGreaterThanOrEqual(KILL_AFTER); // it reported that many done before the kill
    expect(finished.length).toBeLessThan(PAGES); // killed mid-run
    expect(halfWritten.filter((p) => finished.includes(p))).toEqual([]);
    const unfinished = all.filter((p) => !finished.includes(p));
    expect(rerun).toContain(`resubmitted all ${PAGES}, ${finished.length} skipped, ${unfinished.length} ran`);
    expect(pages(rerun, "ran")).toEqual(unfinished);
    expect(end).toBe(`after the second run: ${PAGES} of ${PAGES} outputs complete, 0 temporary files left`);
    for (const p of all) expect(readFileSync(join(dir, `page-${p}.txt`), "utf8")).toMatch(new RegExp(`^page ${p}\\n[\\s\\S]*end of page ${p}\\n$`));
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 60_000);

  it("observe: events report every step in order, and the middleware times every handler call", async () => {
    const { lines, timings } = await observe();
    const events = lines.map((l) => l.trim().replace(/^\d+ms /, ""));
    expect(events.filter((e) => e.startsWith("submit"))).toHaveLength(4);
    expect(events.filter((e) => e.startsWith("complete"))).toHaveLength(4);
    expect(events).toContain("retry 2 in 1000ms (pushback)");
    expect(events).toContain("pause api until 1000ms");
    expect(events).toContain("wait api paused until 1000ms");
    expect(events.at(-1)).toBe("idle");
    // The pushed-back work starts again only when the pause ends.
    expect(lines.find((l) => l.includes("start 2") && !l.trim().startsWith("0ms"))?.trim()).toBe("1000ms start 2 (attempt 1)");
    expect([...timings.values()]).toEqual([300, 300, 300, 300]);
  });

  it("LLM limits: requests and tokens per minute per key, estimates settled by reports", async () => {
    const prompts = Array.from({ length: 240 }, (_, i) => ({ apiKey: i % 3 === 0 ? "key-b" : "key-a", text: "x".repeat(2000 + (i % 7) * 500) }));
    const { byKey, minutes, tokensPerKey } = await runLlm(prompts);
    expect(byKey).toEqual({ "key-a": 160, "key-b": 80 });
    // Each key spends its own 90,000 tokens a minute: the busier key sets the pace, within a minute
    // of what its reported tokens need (the estimates are refunded as the answers come in).
    const needed = Math.ceil(Math.max(...Object.values(tokensPerKey)) / 90_000);
    expect(minutes).toBeGreaterThanOrEqual(needed);
    expect(minutes).toBeLessThanOrEqual(needed + 1);
  });

  it("redo pages 5-10: only those pages run again", async () => {
    const dir = temp();
    const all = Array.from({ length: 12 }, (_, i) => i + 1);
    for (const p of all) writeFileSync(join(dir, `${p}.png`), "img");
    const ran: number[] = [];
    await extractPages(dir, all, ran);
    expect(ran.sort((a, b) => a - b)).toEqual(all);
    redo(dir, [5, 6, 7, 8, 9, 10]);
    ran.length = 0;
    await extractPages(dir, all, ran); // resubmitting everything is fine too
    expect(ran.sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it("stale inputs: a newer input re-runs just its transform", async () => {
    const dir = temp();
    const jobs = ["a", "b", "c"].map((n) => ({ input: join(dir, `${n}.in`), output: join(dir, `${n}.out`) }));
    for (const j of jobs) writeFileSync(j.input, `input ${j.input}`);
    const ran: string[] = [];
    await transformAll(jobs, ran);
    expect(ran).toHaveLength(3);
    touch(jobs[1]!.input, 10);
    ran.length = 0;
    await transformAll(jobs, ran);
    expect(ran).toEqual([jobs[1]!.input]);
  });
});
