import { ConfigurationError } from "../errors.js";
import type { ResolvedArtifact, WorkArtifacts } from "./declaration.js";
import { probe, sameStat, withHash } from "./probe.js";
import type { Probe, Stamp } from "./stamp.js";
import type { ArtifactReason, StaleVerdict } from "./reasons.js";
import type { WorkStamps } from "./state-file.js";

const FRESH: ArtifactReason = Object.freeze({ kind: "fresh", detail: "Every output exists and none is older than an input" });

/** Formats a probe's time for reasons. */
function at(p: Probe): string {
  if (p.time === undefined) return new Date(Math.floor(p.ms as number)).toISOString();
  return `${new Date(Number(p.time / 1_000_000n)).toISOString()} (+${String(p.time % 1_000_000n).padStart(6, "0")}ns)`;
}

/** Probes each artifact, reusing what the readiness check just found (taken once: a later check looks again). */
async function probeAll(list: readonly ResolvedArtifact[], seen: Map<string, Probe> | undefined, exact: boolean): Promise<Probe[]> {
  return Promise.all(list.map((r) => seen?.get(r.key) ?? probe(r, true, exact)));
}

/** Which is newer: > 0 `a`, < 0 `b`, 0 the same time; undefined when their ms times are too close to tell (look exactly). */
function compare(a: Probe, b: Probe): number | undefined {
  if (a.time !== undefined && b.time !== undefined) return a.time > b.time ? 1 : a.time < b.time ? -1 : 0;
  const d = (a.ms as number) - (b.ms as number);
  return d > 0.001 ? 1 : d < -0.001 ? -1 : undefined;
}

/** The input probes of the readiness check that just passed, if any: used once. */
function takeSeen(wa: WorkArtifacts): Map<string, Probe> | undefined {
  const seen = wa.seen;
  wa.seen = undefined;
  return seen;
}

/** Make's rule over probes already taken: missing output, or newest input strictly newer than oldest output. */
function makeRule(wa: WorkArtifacts, ins: Probe[], outs: Probe[], mode: "mtime" | "changed"): StaleVerdict | "exact" {
  const reasons: ArtifactReason[] = [];
  if (wa.outputs.length === 0) return { stale: true, reasons: [{ kind: "no-outputs", detail: "The task declares no outputs: it always runs (like a phony Make target)" }] };
  let oldest: Probe | undefined;
  let oldestName = "";
  let unsure = false;
  outs.forEach((p, i) => {
    const r = wa.outputs[i] as ResolvedArtifact;
    if (!p.exists) reasons.push({ kind: "missing-output", artifact: r.path, detail: `Output "${r.name}" (${r.path}) does not exist` });
    else if (p.ms !== undefined) {
      const c = oldest === undefined ? -1 : compare(p, oldest);
      if (c === undefined) unsure = true;
      else if (c < 0) {
        oldest = p;
        oldestName = r.path;
      }
    }
  });
  if (reasons.length > 0) return { stale: true, reasons };
  ins.forEach((p, i) => {
    const r = wa.inputs[i] as ResolvedArtifact;
    if (r.kind === "value") return;
    if (r.kind === "artifact" && mode === "mtime" && p.stamp !== undefined && typeof p.stamp.x === "string" && p.stamp.x !== "") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `artifact() "${r.path}" returned the version ${JSON.stringify(p.stamp.x)}, a string, which cannot be ordered against file times (return a time in epoch ms, or use freshness "changed")`);
    }
    if (!p.exists) reasons.push({ kind: "input-missing", artifact: r.path, detail: `Input "${r.name}" (${r.path}) does not exist` });
    else if (p.ms !== undefined && oldest !== undefined) {
      const c = compare(p, oldest);
      if (c === undefined) unsure = true;
      else if (c > 0) reasons.push({ kind: "input-newer", artifact: r.path, detail: `Input ${r.path} ${at(p)} is newer than output ${oldestName} ${at(oldest)}` });
    }
  });
  if (unsure) return "exact";
  return reasons.length > 0 ? { stale: true, reasons } : { stale: false, reasons: [FRESH] };
}

/** `"mtime"` freshness (Make's rule), plus an incomplete marker when a state file keeps them. */
export async function mtimeVerdict(wa: WorkArtifacts, incomplete: boolean): Promise<StaleVerdict> {
  const seen = takeSeen(wa);
  const [ins, outs] = await Promise.all([probeAll(wa.inputs, seen, false), probeAll(wa.outputs, undefined, false)]);
  let verdict = makeRule(wa, ins, outs, "mtime");
  if (verdict === "exact") {
    // Times within a microsecond of each other: look again in nanoseconds (Make compares them exactly).
    const [ins2, outs2] = await Promise.all([probeAll(wa.inputs, undefined, true), probeAll(wa.outputs, undefined, true)]);
    verdict = makeRule(wa, ins2, outs2, "mtime") as StaleVerdict;
  }
  if (incomplete) verdict.reasons.unshift({ kind: "incomplete", detail: "A previous run started and never had its outputs verified (crashed or killed)" });
  return incomplete ? { stale: true, reasons: verdict.reasons.filter((r) => r.kind !== "fresh") } : verdict;
}

/** Compares a stamp with the recorded one; a differing file stamp is confirmed by its content hash when one was recorded. */
async function differs(r: ResolvedArtifact, now: Stamp | undefined, before: Stamp | undefined): Promise<{ differs: boolean; stamp: Stamp | undefined }> {
  if (now === undefined || before === undefined) return { differs: now !== before, stamp: now };
  if (sameStat(now, before)) return { differs: false, stamp: before };
  if (before.h !== undefined && now.s === before.s) {
    const hashed = await withHash(r, now);
    if (hashed.h === before.h) return { differs: false, stamp: hashed }; // touched, not changed
    return { differs: true, stamp: hashed };
  }
  return { differs: true, stamp: now };
}

/** The result of a "changed" check: the verdict, the stamps to record at success, and a record to adopt (first sight, fresh by Make's rule). */
export interface ChangedResult {
  verdict: StaleVerdict;
  inputStamps: Map<string, Stamp>;
  /** A refreshed record to store (touched files, or outputs adopted on first sight). */
  update: WorkStamps | undefined;
}

/** `"changed"` freshness: recorded stamps of inputs and outputs, and the task's version. */
export async function changedVerdict(wa: WorkArtifacts, record: WorkStamps | undefined, version: string | null, incomplete: boolean): Promise<ChangedResult> {
  const seen = takeSeen(wa);
  const [ins, outs] = await Promise.all([probeAll(wa.inputs, seen, true), probeAll(wa.outputs, undefined, true)]);
  const inputStamps = new Map<string, Stamp>();
  ins.forEach((p, i) => {
    if (p.stamp !== undefined) inputStamps.set((wa.inputs[i] as ResolvedArtifact).key, p.stamp);
  });
  const reasons: ArtifactReason[] = [];
  if (incomplete) reasons.push({ kind: "incomplete", detail: "A previous run started and never had its outputs verified (crashed or killed)" });
  outs.forEach((p, i) => {
    const r = wa.outputs[i] as ResolvedArtifact;
    if (!p.exists) reasons.push({ kind: "missing-output", artifact: r.path, detail: `Output "${r.name}" (${r.path}) does not exist` });
  });
  if (wa.outputs.length === 0) reasons.push({ kind: "no-outputs", detail: "The task declares no outputs: it always runs (like a phony Make target)" });
  if (reasons.length > 0) return { verdict: { stale: true, reasons }, inputStamps, update: undefined };
  if (record === undefined) {
    // First sight: Make's rule decides; a fresh work adopts what is there.
    const verdict = makeRule(wa, ins, outs, "changed") as StaleVerdict; // exact probes always decide
    if (verdict.stale) return { verdict, inputStamps, update: undefined };
    const o: Record<string, Stamp> = {};
    outs.forEach((p, i) => {
      if (p.stamp !== undefined) o[(wa.outputs[i] as ResolvedArtifact).key] = p.stamp;
    });
    return { verdict: { stale: false, reasons: [{ kind: "fresh", detail: "No record yet; by Make's rule the outputs are up to date (adopted)" }] }, inputStamps, update: { v: version, i: Object.fromEntries(inputStamps), o } };
  }
  if (record.v !== version) reasons.push({ kind: "version-changed", detail: `The task's version is ${JSON.stringify(version)}, was ${JSON.stringify(record.v)}` });
  const keysNow = wa.inputs.map((r) => r.key).sort().join("\n");
  if (keysNow !== Object.keys(record.i).sort().join("\n")) reasons.push({ kind: "input-set-changed", detail: "The set of declared inputs differs from the last success" });
  let touched = false;
  const i2: Record<string, Stamp> = { ...record.i };
  const o2: Record<string, Stamp> = { ...record.o };
  for (let k = 0; k < wa.inputs.length; k++) {
    const r = wa.inputs[k] as ResolvedArtifact;
    const before = record.i[r.key];
    if (before === undefined) continue;
    const d = await differs(r, (ins[k] as Probe).stamp, before);
    if (d.differs) reasons.push({ kind: r.kind === "value" ? "value-changed" : "input-changed", artifact: r.path || r.name, detail: r.kind === "value" ? `Value "${r.name}" is ${r.json ?? ""}, was ${before.j ?? "?"}` : `Input ${r.path} changed since the last success` });
    else if (d.stamp !== before && d.stamp !== undefined) {
      i2[r.key] = d.stamp;
      inputStamps.set(r.key, d.stamp);
      touched = true;
    }
  }
  for (let k = 0; k < wa.outputs.length; k++) {
    const r = wa.outputs[k] as ResolvedArtifact;
    const before = record.o[r.key];
    if (before === undefined) {
      reasons.push({ kind: "output-changed", artifact: r.path, detail: `Output ${r.path} was not recorded at the last success` });
      continue;
    }
    const d = await differs(r, (outs[k] as Probe).stamp, before);
    if (d.differs) reasons.push({ kind: "output-changed", artifact: r.path, detail: `Output ${r.path} changed since the last success (edited or damaged)` });
    else if (d.stamp !== before && d.stamp !== undefined) {
      o2[r.key] = d.stamp;
      touched = true;
    }
  }
  if (reasons.length > 0) return { verdict: { stale: true, reasons }, inputStamps, update: undefined };
  return {
    verdict: { stale: false, reasons: [{ kind: "fresh", detail: "Inputs, outputs and version match the last success" }] },
    inputStamps,
    update: touched ? { v: record.v, i: i2, o: o2 } : undefined,
  };
}

/** Stamps to record at success: hashes added to small files (so a later touch can be told from a change). */
export async function recordStamps(list: readonly ResolvedArtifact[], stamps: Map<string, Stamp> | undefined): Promise<Record<string, Stamp>> {
  const out: Record<string, Stamp> = {};
  await Promise.all(list.map(async (r) => {
    let s = stamps?.get(r.key);
    // A custom version() that fails leaves its artifact unrecorded (the next check finds it changed).
    if (s === undefined) s = (await probe(r).catch(() => undefined))?.stamp;
    if (s !== undefined) out[r.key] = await withHash(r, s);
  }));
  return out;
}
