// The README's quick start runs as it is pasted: written to a file in the repository (so it
// imports the built packages as a user's program would) and run with tsx; while it runs, its
// dashboard answers at the address it printed; when the cue stops the program ends.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { importsNotInstalled } from "../../runcue/test/helpers.js";
import type { DashboardSnapshot } from "../src/index.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
mkdirSync(join(root, ".tmp"), { recursive: true });
const dir = mkdtempSync(join(root, ".tmp", "readme-dashboard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("the README's quick start serves the dashboard while it runs, then ends", async () => {
  const code = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const file = join(dir, "quick-start.ts");
  writeFileSync(file, code);
  const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: root });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      const m = /^open (\S+)$/m.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`exited (${code}) before printing its address: ${stdout}${stderr}`)));
  });
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const snapshot = (await (await fetch(`${url}snapshot.json`)).json()) as DashboardSnapshot;
  expect(snapshot.services.map((s) => s.name)).toEqual(["llm"]);
  expect(snapshot.totals.submitted).toBeGreaterThan(0);
  const [status] = (await once(child, "exit")) as [number];
  expect(stderr).toBe("");
  expect(status).toBe(0);
  expect(stdout.trim().split("\n").at(-1)).toBe("done");
}, 40_000);

it("the install lines name every package the README's code imports, so its examples work pasted", () => {
  const { imported, missing } = importsNotInstalled(readme);
  expect(imported.size).toBeGreaterThan(1);
  expect(missing).toEqual([]);
});
