import { ConfigurationError, describeValue } from "../errors.js";
import { isArtifact, type Artifact, type ArtifactDeclaration, type ArtifactSet, type CustomArtifact } from "./descriptors.js";
import type { ResolvedArtifactsOptions } from "./options.js";
import type { Probe, Stamp } from "./stamp.js";
import type { Check } from "../work/work.js";
import { fillSpec, globBase, globRegex, resolvePath } from "./templates.js";

/** @internal a task's `inputs`, `outputs` and `version`, validated at `cue.task()`. */
export interface TaskDeclaration {
  readonly task: string;
  readonly inputs: ArtifactDeclaration | undefined;
  readonly outputs: ArtifactDeclaration | undefined;
  readonly version: string | undefined;
}

const NONE: readonly never[] = Object.freeze([]);

/** @internal a task's effective checks when it declares artifacts: derived, composed with its own `ready`/`stale`. */
export interface DerivedChecks {
  readonly ready: Check;
  readonly stale: Check;
  readonly declaration: TaskDeclaration;
}

/** @internal one declared artifact of one work, resolved from its params. */
export interface ResolvedArtifact {
  /** The name in the declaration (`text`), with `[i]` for a list entry. */
  readonly name: string;
  readonly kind: Artifact["kind"];
  /** The identity used for producers and wakeups: `file:/abs/path`, `dir:/abs`, `glob:/abs/pattern`, `artifact:key`, `value:name`. */
  readonly key: string;
  /** The absolute path (file, dir), the pattern (glob), the key (artifact), or "" (value). */
  readonly path: string;
  /** What is stat'ed: the file, or the dir's marker. */
  readonly statPath: string;
  /** A glob's matcher and the directory it lists. */
  readonly regex: RegExp | undefined;
  readonly base: string;
  readonly custom: CustomArtifact | undefined;
  /** A value input's JSON. */
  readonly json: string | undefined;
}

/** @internal the declared artifacts of one work. */
export interface WorkArtifacts {
  readonly inputs: readonly ResolvedArtifact[];
  readonly outputs: readonly ResolvedArtifact[];
  readonly paths: Readonly<Record<string, string | readonly string[]>>;
  /** The record's key in the state file: its sorted output keys, else the submit key, else task + stable params. */
  readonly stateKey: string;
  /** Keys it was last found waiting on (blocked). */
  waitKeys: readonly string[];
  /** The inputs among them that had a pending producer. */
  producerWaits: readonly ResolvedArtifact[];
  /** What its last passed readiness check found of its inputs, for the staleness check that follows (taken once). */
  seen: Map<string, Probe> | undefined;
  /** The stamps of its inputs at the last staleness check ("changed" mode), recorded at success. */
  inputStamps: Map<string, Stamp> | undefined;
  /** Why its last readiness check said no, when artifacts decided (else undefined). */
  blockCause: "not_ready" | "no_producer" | "cycle" | undefined;
  /** The sentence `debugBlocked()` shows for it. */
  blockDetail: string;
  /** Every key it waits on has a pending producer: only a producer's end (or `cue.changed`) wakes it, no periodic recheck. */
  parked: boolean;
  /** It is blocked and parked: off the rechecker's list (set while `Blocked`). */
  offList: boolean;
  /** Under `strict`, the error it fails with instead of blocking (`no_producer`, `cycle`). */
  fatal: Error | undefined;
}

function checkSet(set: unknown, what: string): void {
  if (typeof set !== "object" || set === null || Array.isArray(set)) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${describeValue(set)} (expected an object of artifacts such as { text: file("text/{page}.txt") }, or a function of the params returning one)`);
  }
  for (const [name, v] of Object.entries(set)) {
    const list = Array.isArray(v) ? (v as unknown[]) : [v];
    for (const a of list) {
      if (!isArtifact(a)) throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what} "${name}": ${describeValue(a)} (expected file(), dir(), glob(), artifact() or value())`);
    }
  }
}

function specOf(a: Artifact): string | undefined {
  const spec = a.kind === "file" || a.kind === "dir" ? a.path : a.kind === "glob" ? a.pattern : a.kind === "artifact" ? a.key : undefined;
  return typeof spec === "string" ? `${a.kind}:${spec}` : undefined;
}

/**
 * @internal validates `inputs`, `outputs` and `version` of a task.
 * @throws ConfigurationError for a non-descriptor, a `value()` output, an output template given
 * twice, or an input equal to one of the task's own outputs.
 */
export function parseDeclaration(task: string, inputs: unknown, outputs: unknown, version: unknown): TaskDeclaration | undefined {
  if (inputs === undefined && outputs === undefined && version === undefined) return undefined;
  if (inputs !== undefined && typeof inputs !== "function") checkSet(inputs, `inputs of task "${task}"`);
  if (outputs !== undefined && typeof outputs !== "function") {
    checkSet(outputs, `outputs of task "${task}"`);
    const seen = new Map<string, string>();
    for (const [name, v] of Object.entries(outputs as ArtifactSet)) {
      for (const a of Array.isArray(v) ? (v as Artifact[]) : [v as Artifact]) {
        if (a.kind === "value") throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid output "${name}" of task "${task}": value() is an input only`);
        const spec = specOf(a);
        if (spec === undefined) continue;
        const other = seen.get(spec);
        if (other !== undefined) throw new ConfigurationError("ERR_AMBIGUOUS_PRODUCER", `Task "${task}" declares output ${spec} twice ("${other}" and "${name}")`);
        seen.set(spec, name);
      }
    }
    if (inputs !== undefined && typeof inputs !== "function") {
      for (const [name, v] of Object.entries(inputs as ArtifactSet)) {
        for (const a of Array.isArray(v) ? (v as Artifact[]) : [v as Artifact]) {
          const spec = specOf(a);
          const out = spec === undefined ? undefined : seen.get(spec);
          if (out !== undefined) throw new ConfigurationError("ERR_CYCLE", `Task "${task}" declares input "${name}" equal to its own output "${out}" (${spec}): it would wait for itself`);
        }
      }
    }
  }
  if (version !== undefined && typeof version !== "string" && typeof version !== "number") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid version of task "${task}": ${describeValue(version)} (expected a string or number)`);
  }
  return { task, inputs: inputs as ArtifactDeclaration | undefined, outputs: outputs as ArtifactDeclaration | undefined, version: version === undefined ? undefined : String(version) };
}

/** JSON with sorted keys; undefined for values that are not JSON (functions, undefined, bigint, NaN, cycles). */
export function stableJson(v: unknown, seen: Set<object> = new Set()): string | undefined {
  if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isFinite(v) ? JSON.stringify(v) : undefined;
  if (typeof v !== "object") return undefined;
  if (seen.has(v)) return undefined;
  seen.add(v);
  try {
    if (Array.isArray(v)) {
      const parts = v.map((x) => stableJson(x, seen));
      return parts.includes(undefined) ? undefined : `[${parts.join(",")}]`;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return undefined;
    const parts: string[] = [];
    for (const k of Object.keys(v).sort()) {
      const s = stableJson((v as Record<string, unknown>)[k], seen);
      if (s === undefined) return undefined;
      parts.push(`${JSON.stringify(k)}:${s}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    seen.delete(v);
  }
}

/** One resolved artifact; every kind has the same shape (one hidden class for all). */
function made(name: string, kind: Artifact["kind"], key: string, path: string, statPath: string, regex: RegExp | undefined, base: string, custom: CustomArtifact | undefined, json: string | undefined): ResolvedArtifact {
  return { name, kind, key, path, statPath, regex, base, custom, json };
}

function resolveOne(a: Artifact, name: string, params: unknown, opts: ResolvedArtifactsOptions, what: string): ResolvedArtifact {
  const at = `${what} "${name}"`;
  switch (a.kind) {
    case "file": {
      const path = resolvePath(fillSpec(a.path, params, at), opts.root, opts.rootSet, at);
      return made(name, "file", `file:${path}`, path, path, undefined, "", undefined, undefined);
    }
    case "dir": {
      const path = resolvePath(fillSpec(a.path, params, at), opts.root, opts.rootSet, at);
      return made(name, "dir", `dir:${path}`, path, `${path}/${a.marker}`, undefined, "", undefined, undefined);
    }
    case "glob": {
      const path = resolvePath(fillSpec(a.pattern, params, at), opts.root, opts.rootSet, at);
      return made(name, "glob", `glob:${path}`, path, path, globRegex(path), globBase(path), undefined, undefined);
    }
    case "artifact": {
      const key = fillSpec(a.key, params, at);
      return made(name, "artifact", `artifact:${key}`, key, key, undefined, "", a, undefined);
    }
    case "value": {
      const json = stableJson(a.value);
      if (json === undefined && opts.freshness === "changed") {
        throw new ConfigurationError("ERR_INVALID_OPTION", `value() ${at} is ${describeValue(a.value)}, which is not JSON (under freshness "changed" values are compared by their JSON: use strings, finite numbers, booleans, null, arrays and plain objects)`);
      }
      return made(name, "value", `value:${name}`, "", "", undefined, "", undefined, json ?? "");
    }
  }
}

function resolveSet(decl: ArtifactDeclaration | undefined, params: unknown, opts: ResolvedArtifactsOptions, what: string, out: ResolvedArtifact[], paths: Record<string, string | readonly string[]>): void {
  if (decl === undefined) return;
  let set: unknown = decl;
  if (typeof decl === "function") {
    try {
      set = decl(params);
    } catch (error) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `The ${what} function threw: ${String((error as Error)?.message ?? error)}`, { cause: error });
    }
    checkSet(set, what);
  }
  for (const [name, v] of Object.entries(set as ArtifactSet)) {
    if (Array.isArray(v)) {
      const list = (v as Artifact[]).map((a, i) => resolveOne(a, `${name}[${i}]`, params, opts, what));
      out.push(...list);
      if (list.every((r) => r.kind !== "value")) paths[name] = Object.freeze(list.map((r) => r.path));
    } else {
      const r = resolveOne(v as Artifact, name, params, opts, what);
      out.push(r);
      if (r.kind !== "value") paths[name] = r.path;
    }
  }
}

/**
 * @internal resolves a work's declared artifacts from its params.
 * @throws ConfigurationError for a placeholder that is not a param, a path escaping the root,
 * a non-JSON `value()` under "changed", or an input equal to one of the work's own outputs.
 */
export function resolveWork(decl: TaskDeclaration, params: unknown, submitKey: string | undefined, opts: ResolvedArtifactsOptions): WorkArtifacts {
  const inputs: ResolvedArtifact[] = [];
  const outputs: ResolvedArtifact[] = [];
  const paths: Record<string, string | readonly string[]> = {};
  resolveSet(decl.inputs, params, opts, `input of task "${decl.task}"`, inputs, paths);
  resolveSet(decl.outputs, params, opts, `output of task "${decl.task}"`, outputs, paths);
  for (const o of outputs) {
    if (o.kind === "value") throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid output "${o.name}" of task "${decl.task}": value() is an input only`);
  }
  for (const i of inputs) {
    if (outputs.some((o) => o.key === i.key)) throw new ConfigurationError("ERR_CYCLE", `Work of task "${decl.task}" declares input "${i.name}" equal to its own output (${i.path}): it would wait for itself`);
  }
  // A work is recorded by what it writes (like Snakemake's per-output metadata), so a changed
  // param that feeds a value() input is compared, not taken for another work; a work without
  // outputs by its submit key, else by task and params.
  let stateKey = outputs.length === 1 ? `out:${(outputs[0] as ResolvedArtifact).key}` : outputs.length > 0 ? `out:${outputs.map((o) => o.key).sort().join("\n")}` : submitKey === undefined ? undefined : `key:${submitKey}`;
  if (stateKey === undefined) {
    const json = stableJson(params);
    if (json === undefined && opts.freshness === "changed") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Params of task "${decl.task}" are not JSON (${describeValue(params)}): under freshness "changed" a work is recorded by its task and params; give JSON params or a submit key`);
    }
    stateKey = `${decl.task}:${json ?? ""}`;
  }
  return { inputs, outputs, paths, stateKey, waitKeys: NONE, producerWaits: NONE, seen: undefined, inputStamps: undefined, blockCause: undefined, blockDetail: "", parked: false, offList: false, fatal: undefined };
}
