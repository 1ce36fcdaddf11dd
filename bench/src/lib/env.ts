/** What the results were measured on: machine, Node, library versions, commit. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The bench package's directory. */
export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Libraries whose versions are recorded with the results. */
export const LIBRARIES = ["runcue", "p-queue", "p-limit", "fastq", "bottleneck", "bullmq", "ioredis"] as const;

/** The environment block of the results file. */
export interface Environment {
  date: string;
  quick: boolean;
  node: string;
  v8: string;
  platform: string;
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  libraries: Record<string, string>;
  /** Git commit of the tree the bench ran on, and whether runcue's sources differed from it. */
  commit: string;
  runcueSourceDirty: boolean;
  redis: boolean;
  gcExposed: boolean;
}

/** The version of an installed package, found the way Node resolves it from bench/ (nearest node_modules up the tree). */
export function packageVersion(name: string): string {
  for (let dir = benchDir; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "node_modules", name, "package.json");
    if (existsSync(file)) return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    if (path.dirname(dir) === dir) return "not installed";
  }
}

function git(args: readonly string[]): string {
  try {
    return execFileSync("git", args, { cwd: benchDir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/** Collects the environment block. */
export function environment(quick: boolean, redis: boolean, gcExposed: boolean): Environment {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    quick,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cpuCount: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    libraries: Object.fromEntries(LIBRARIES.map((name) => [name, packageVersion(name)])),
    commit: git(["rev-parse", "--short", "HEAD"]) || "unknown",
    runcueSourceDirty: git(["status", "--porcelain", "--", "../packages/runcue/src"]) !== "",
    redis,
    gcExposed,
  };
}
