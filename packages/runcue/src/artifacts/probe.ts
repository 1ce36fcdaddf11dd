import { createHash } from "node:crypto";
import type { BigIntStats, Stats } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import type { ResolvedArtifact } from "./declaration.js";
import type { Probe, Stamp } from "./stamp.js";

/** Files up to this size are hashed to tell a touch from a change ("changed" mode). */
export const HASH_LIMIT = 1024 * 1024;

/** `stat` with the bigint (nanosecond) times; undefined when nothing is there. */
export async function statOrMissing(path: string): Promise<BigIntStats | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

const MISSING: Probe = Object.freeze({ exists: false, time: undefined, ms: undefined, stamp: undefined });

/** sha256 of a file, or undefined when it is larger than {@link HASH_LIMIT} or gone. */
export async function hashFile(path: string, size: bigint): Promise<string | undefined> {
  if (size > BigInt(HASH_LIMIT)) return undefined;
  try {
    return createHash("sha256").update(await readFile(path)).digest("hex");
  } catch {
    return undefined;
  }
}

function fileStamp(st: BigIntStats): Stamp {
  return { s: String(st.size), m: String(st.mtimeNs), n: String(st.ino) };
}

/** The files a glob matches, sorted. */
export async function globMatches(r: ResolvedArtifact): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(r.base, { recursive: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw error;
  }
  const prefix = r.base.endsWith("/") ? r.base : `${r.base}/`;
  const regex = r.regex as RegExp;
  return names.map((n) => prefix + n).filter((p) => regex.test(p)).sort();
}

async function probeGlob(r: ResolvedArtifact): Promise<Probe> {
  const matches = await globMatches(r);
  const stats = await Promise.all(matches.map((m) => statOrMissing(m)));
  const digest = createHash("sha256");
  let time: bigint | undefined;
  let count = 0;
  stats.forEach((st, i) => {
    if (st === undefined || !st.isFile()) return;
    count++;
    if (time === undefined || st.mtimeNs > time) time = st.mtimeNs;
    digest.update(`${matches[i] as string}\u0000${st.size}\u0000${st.mtimeNs}\u0000${st.ino}\n`);
  });
  return { exists: count > 0, time, ms: time === undefined ? undefined : Number(time) / 1e6, stamp: { d: digest.digest("hex") } };
}

/**
 * Looks at an artifact: exists, time, stamp. Custom artifacts ask the user's functions (what
 * they throw propagates: the check counts as not ready / stale).
 */
export function probe(r: ResolvedArtifact, withVersion = true, exact = true): Promise<Probe> {
  // The hot path of "mtime" freshness: one plain stat, no async layers between it and the answer.
  if (!exact && (r.kind === "file" || r.kind === "dir")) return stat(r.statPath).then(msProbe, missingOrThrow);
  return probeSlow(r, withVersion);
}

function msProbe(st: Stats): Probe {
  return { exists: true, time: undefined, ms: st.mtimeMs, stamp: undefined };
}

function missingOrThrow(error: unknown): Probe {
  const code = (error as { code?: string }).code;
  if (code === "ENOENT" || code === "ENOTDIR") return MISSING;
  throw error;
}

async function probeSlow(r: ResolvedArtifact, withVersion: boolean): Promise<Probe> {
  switch (r.kind) {
    case "value":
      return { exists: true, time: undefined, ms: undefined, stamp: { j: r.json as string } };
    case "glob":
      return probeGlob(r);
    case "artifact": {
      const custom = r.custom as NonNullable<ResolvedArtifact["custom"]>;
      const exists = Boolean(await custom.exists(r.path));
      if (!exists || !withVersion || custom.version === undefined) return { exists, time: undefined, ms: undefined, stamp: exists ? { x: "" } : undefined };
      const v = await custom.version(r.path);
      const time = typeof v === "number" && Number.isFinite(v) ? BigInt(Math.round(v * 1e6)) : undefined;
      return { exists, time, ms: time === undefined ? undefined : (v as number), stamp: { x: typeof v === "number" || typeof v === "string" ? v : String(v) } };
    }
    default: {
      const st = await statOrMissing(r.statPath);
      if (st === undefined) return MISSING;
      return { exists: true, time: st.mtimeNs, ms: Number(st.mtimeNs) / 1e6, stamp: fileStamp(st) };
    }
  }
}

/** Adds the content hash to a file stamp (small files only). */
export async function withHash(r: ResolvedArtifact, stamp: Stamp): Promise<Stamp> {
  if ((r.kind !== "file" && r.kind !== "dir") || stamp.s === undefined || stamp.h !== undefined) return stamp;
  const h = await hashFile(r.statPath, BigInt(stamp.s));
  return h === undefined ? stamp : { ...stamp, h };
}

/** Same size, mtime and inode (files), or the same digest, version or JSON. */
export function sameStat(a: Stamp, b: Stamp): boolean {
  return a.s === b.s && a.m === b.m && a.n === b.n && a.d === b.d && a.x === b.x && a.j === b.j;
}
