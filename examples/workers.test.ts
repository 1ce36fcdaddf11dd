// The README's worker example runs as written: examples/workers.ts (with hash-worker.mjs).
import { spawnSync } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("examples: workers", () => {
  it("the README's worker example is examples/workers.ts, verbatim", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /### Worker threads and processes[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(new URL("./workers.ts", import.meta.url), "utf8"));
  });

  it("hashes in worker threads, prints the digests, and exits by itself", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/workers.ts"], { encoding: "utf8", cwd: new URL("..", import.meta.url), timeout: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const expected = ["alpha", "beta", "delta", "gamma"].map((text) => `${text} ${pbkdf2Sync(text, "runcue-example", 100_000, 32, "sha256").toString("hex").slice(0, 16)}`);
    expect(r.stdout.trim().split("\n")).toEqual(expected);
  });
});
