// The README's quick start, as pasted, run in two processes at once against one namespace: the
// 20 starts between them keep the one limit (5/s, 2 at once).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { maxInWindow } from "../../runcue/test/helpers.js";
import { connectOrExplain, dropNamespace, uniqueNamespace, type Client } from "./redis-helpers.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1] as string;

let admin: Client;
const namespace = uniqueNamespace("readme");
const dir = join(root, ".tmp", namespace);
beforeAll(async () => {
  admin = await connectOrExplain();
});
afterAll(async () => {
  await dropNamespace(admin, namespace);
  admin?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function run(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

it("the quick start, in two processes at once, keeps one shared limit", async () => {
  expect(code).toContain('namespace: "quick-start"');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "share.mjs");
  // Its own namespace, so parallel runs never share one; otherwise the block as pasted.
  writeFileSync(file, code.replace('namespace: "quick-start"', `namespace: "${namespace}"`));
  const outputs = await Promise.all([run(file), run(file)]);
  const starts = outputs.flatMap((o) => [...o.matchAll(/at (\S+Z)$/gm)].map((m) => Date.parse(m[1] as string)));
  expect(starts).toHaveLength(20);
  expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(5);
  expect(new Set(outputs.map((o) => /process (\d+)/.exec(o)?.[1])).size).toBe(2);
}, 30_000);
