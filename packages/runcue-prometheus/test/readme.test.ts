// The README's quick start runs as it is pasted: written to a file in the repository (so it
// imports the built packages as a user's program would) and run with tsx.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { importsNotInstalled } from "../../runcue/test/helpers.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
mkdirSync(join(root, ".tmp"), { recursive: true });
const dir = mkdtempSync(join(root, ".tmp", "readme-prometheus-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("the README's quick start serves /metrics and prints what the README shows", () => {
  const code = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const shown = /It prints:\n\n```\n([\s\S]*?)```/.exec(readme)![1]!;
  const file = join(dir, "quick-start.ts");
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: root, encoding: "utf8", timeout: 30_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(shown);
}, 40_000);

it("the install lines name every package the README's code imports, so its examples work pasted", () => {
  const { imported, missing } = importsNotInstalled(readme);
  expect(imported.size).toBeGreaterThan(1);
  expect(missing).toEqual([]);
});
