// Real child processes of the multi-process tests (test/child.ts), each printing JSON lines.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { REDIS_URL } from "./redis-helpers.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const childFile = fileURLToPath(new URL("./child.ts", import.meta.url));

export interface Child {
  process: ChildProcess;
  /** Every JSON line it printed so far. */
  lines: Record<string, unknown>[];
  /** Resolves with its exit code. */
  exited: Promise<number | null>;
  /** Resolves with the first line that has `field`. */
  line(field: string): Promise<Record<string, unknown>>;
}

export function child(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", childFile], { cwd: root, env: { ...process.env, RCR_URL: REDIS_URL, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  const waiters: [string, (line: Record<string, unknown>) => void][] = [];
  let buffer = "";
  let errors = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = JSON.parse(buffer.slice(0, i)) as Record<string, unknown>;
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const [field, resolve] of waiters) if (field in line) resolve(line);
    }
  });
  proc.stderr!.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`child ${proc.pid} exited ${code}: ${errors}\n`);
    resolve(code);
  }));
  return {
    process: proc, lines, exited,
    line: (field) => new Promise((resolve) => {
      const found = lines.find((l) => field in l);
      if (found !== undefined) resolve(found);
      else waiters.push([field, resolve]);
    }),
  };
}

/** Children spawned with `RCR_START_AT: "go"`: once every one is ready, all start 200 ms later. */
export async function startTogether(children: Child[]): Promise<number> {
  await Promise.all(children.map((c) => c.line("ready")));
  const startAt = Date.now() + 200;
  for (const c of children) c.process.stdin!.end(`${startAt}\n`);
  return startAt;
}

/**
 * Starts `children` together (see {@link startTogether}), checks that every one exited 0, and
 * returns each one's first line that has `field` (its final report).
 */
export async function runToEnd(children: Child[], field: string): Promise<Record<string, unknown>[]> {
  await startTogether(children);
  expect(await Promise.all(children.map((c) => c.exited))).toEqual(children.map(() => 0));
  return Promise.all(children.map((c) => c.line(field)));
}
