// The README's code runs as it is pasted: each block is written to a file in the repository (so
// it imports the built packages as a user's program would) and run with tsx.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { importsNotInstalled } from "../../runcue/test/helpers.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
mkdirSync(join(root, ".tmp"), { recursive: true });
const dir = mkdtempSync(join(root, ".tmp", "readme-otel-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first ```ts block after `heading`. */
const block = (heading: string): string => {
  const code = new RegExp(`${heading}[\\s\\S]*?\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  if (code === undefined) throw new Error(`README has no ts block after ${heading}`);
  return code;
};
const run = (name: string, code: string): string => {
  const file = join(dir, name);
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: root, encoding: "utf8", timeout: 30_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
};

describe("README", () => {
  it("the quick start prints each span with its parent, as the README shows", () => {
    const out = run("quick-start.ts", block("## Quick start"));
    const shown = /It prints each span and its parent:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(out.trim().split("\n").sort()).toEqual(shown!.trim().split("\n").sort());
  }, 40_000);

  it("the metrics example prints the counters of five completed works", () => {
    const out = run("metrics.ts", block("## Metrics"));
    expect(out).toContain('runcue.work.outcomes {"runcue.task":"summarize","runcue.outcome":"completed"} 5');
    expect(out).toContain('runcue.service.rate.limit {"runcue.service":"llm","runcue.rate.window":"10/s"} 10');
    expect(out).toMatch(/messaging\.process\.duration .* 5 recorded/);
  }, 40_000);

  it("the install lines name every package the README's code imports, so its examples work pasted", () => {
    const { imported, missing } = importsNotInstalled(readme);
    expect(imported.size).toBeGreaterThan(1);
    expect(missing).toEqual([]);
  });
});
