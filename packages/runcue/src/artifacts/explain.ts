import { ConfigurationError, describeValue } from "../errors.js";
import type { TaskDef } from "../task.js";
import { WorkRecord, readyCheckOf, staleCheckOf, type CueChecks } from "../work/record.js";
import type { Check } from "../work/work.js";
import type { ResolvedArtifact } from "./declaration.js";
import type { Artifacts } from "./manager.js";
import { probe } from "./probe.js";
import { Producers } from "./producers.js";
import type { ArtifactReason } from "./reasons.js";

/** What a work would do now: `run` (stale), `skip` (fresh), `wait` (for pending producers or its readiness check), `stuck` (a missing input nothing produces, or a cycle). */
export type Verdict = "run" | "skip" | "wait" | "stuck";

/** The answer of `cue.explain()`. */
export interface Explanation {
  verdict: Verdict;
  /** Why, most important first. */
  reasons: ArtifactReason[];
}

/** One work of `cue.plan()`: what it would do in a run of the whole list, and why. */
export interface PlanEntry extends Explanation {
  task: string;
  params: unknown;
}

/** What explain and plan read from the engine. */
export interface ExplainHost {
  readonly tasks: ReadonlyMap<string, TaskDef>;
  readonly checks: CueChecks;
  readonly artifacts: Artifacts;
  now(): number;
}

/** A task given by name or by its handle. */
export type PlannedTask = string | { readonly name: string };

function defOf(host: ExplainHost, task: PlannedTask): TaskDef {
  const name = typeof task === "string" ? task : typeof task === "object" && task !== null ? task.name : undefined;
  const def = typeof name === "string" ? host.tasks.get(name) : undefined;
  if (def === undefined) throw new ConfigurationError("ERR_UNKNOWN_TASK", `Unknown task: ${describeValue(name ?? task)} (registered: ${[...host.tasks.keys()].map((k) => `"${k}"`).join(", ") || "none"})`);
  return def;
}

/** A work that is never submitted: only for asking its checks. */
function probeWork(host: ExplainHost, def: TaskDef, params: unknown, seq: number): WorkRecord {
  const work = new WorkRecord(seq, def, params ?? {}, host.now(), undefined, undefined);
  if (def.derived !== undefined) host.artifacts.attachProbe(work);
  return work;
}

async function ask(check: Check | undefined, work: WorkRecord): Promise<boolean> {
  if (check === undefined) return true;
  try {
    return Boolean(await check(work));
  } catch {
    return false;
  }
}

/** Readiness of a work without declarations, or a declared one judged by a custom check. */
async function custom(work: WorkRecord, checks: CueChecks): Promise<Explanation> {
  if (!(await ask(readyCheckOf(work, checks), work))) return { verdict: "wait", reasons: [{ kind: "custom", detail: "Its readiness check (the task's ready or the cue's isReady) says no" }] };
  let stale: boolean;
  try {
    stale = Boolean(await staleCheckOf(work, checks)?.(work) ?? true);
  } catch {
    stale = true; // a throwing staleness check counts as stale
  }
  return stale
    ? { verdict: "run", reasons: [{ kind: "custom", detail: "Its staleness check says stale (or there is none)" }] }
    : { verdict: "skip", reasons: [{ kind: "custom", detail: "Its staleness check says fresh" }] };
}

/** `cue.explain()`: what this work would do if submitted now. */
export async function explainWork(host: ExplainHost, task: PlannedTask, params: unknown): Promise<Explanation> {
  const def = defOf(host, task);
  const work = probeWork(host, def, params, 0);
  return judge(host, work, undefined, false);
}

async function judge(host: ExplainHost, work: WorkRecord, settled: ((r: ResolvedArtifact) => boolean) | undefined, rebuilt: boolean): Promise<Explanation> {
  if (work.def.derived === undefined) return custom(work, host.checks);
  const a = host.artifacts;
  const ready = await a.readyVerdict(work, a.producers, settled);
  let isReady = ready.ready;
  if (work.def.ready !== undefined) isReady = await ask((w) => (work.def.ready as (w: unknown, v: unknown) => boolean | Promise<boolean>)(w, ready), work);
  if (!isReady) {
    const cause = (work.artifacts as NonNullable<WorkRecord["artifacts"]>).blockCause;
    const reasons = ready.ready ? [{ kind: "custom" as const, detail: "The task's own ready check says no" }] : ready.reasons;
    return { verdict: cause === "no_producer" || cause === "cycle" ? "stuck" : "wait", reasons };
  }
  if (rebuilt) return { verdict: "run", reasons: [{ kind: "input-rebuilt", detail: "An input is the output of a planned work that runs first" }] };
  const verdict = await a.staleVerdict(work, false);
  let stale = verdict.stale;
  if (work.def.stale !== undefined) stale = await ask((w) => (work.def.stale as (w: unknown, v: unknown) => boolean | Promise<boolean>)(w, verdict), work).catch(() => true);
  const reasons = stale === verdict.stale ? verdict.reasons : [{ kind: "custom" as const, detail: `The task's own stale check says ${stale ? "stale" : "fresh"}` }, ...verdict.reasons];
  return { verdict: stale ? "run" : "skip", reasons };
}

/**
 * `cue.plan()`: a dry run of these works submitted together (like `make -n`). A work whose input
 * a planned work rewrites runs after it; one whose input a planned work cannot produce waits or
 * is stuck with it; the rest are judged on the files as they are.
 */
export async function planWorks(host: ExplainHost, list: readonly (readonly [PlannedTask, unknown?])[]): Promise<PlanEntry[]> {
  if (!Array.isArray(list)) throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid plan list: ${describeValue(list)} (expected an array of [task, params] pairs)`);
  const works = list.map((entry, i) => {
    if (!Array.isArray(entry)) throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid plan entry ${i}: ${describeValue(entry)} (expected [task, params])`);
    return probeWork(host, defOf(host, entry[0] as PlannedTask), entry[1], -(i + 1));
  });
  const planned = new Producers();
  for (const w of works) if (w.artifacts !== undefined) planned.add(w);
  const results = new Map<WorkRecord, Promise<Explanation>>();
  const visiting = new Set<WorkRecord>();
  const evaluate = (work: WorkRecord): Promise<Explanation> => {
    let p = results.get(work);
    if (p !== undefined) return p;
    if (visiting.has(work)) return Promise.resolve({ verdict: "stuck", reasons: [{ kind: "cycle", detail: `${work.task}(${describeValue(work.params)}) waits for its own output through planned works` }] });
    visiting.add(work);
    p = (async (): Promise<Explanation> => {
      try {
        return await decide(work);
      } finally {
        visiting.delete(work);
      }
    })();
    results.set(work, p);
    return p;
  };
  const decide = async (work: WorkRecord): Promise<Explanation> => {
      const wa = work.artifacts;
      const fromPlan = new Set<string>();
      let rebuilt = false;
      const deps: Explanation[] = [];
      for (const r of wa?.inputs ?? []) {
        if (r.kind === "value") continue;
        const up = planned.producerOf(r, work);
        if (up === undefined) continue;
        const dep = await evaluate(up);
        deps.push(dep);
        fromPlan.add(r.key);
        if (dep.verdict === "run") rebuilt = true;
        else if (dep.verdict === "skip" && !(await probe(r as ResolvedArtifact, false)).exists) rebuilt = true;
      }
      const blocked = deps.find((d) => d.verdict === "stuck") ?? deps.find((d) => d.verdict === "wait");
      if (blocked !== undefined) return { verdict: blocked.verdict, reasons: [{ kind: blocked.verdict === "stuck" ? "no-producer" : "producer-pending", detail: `An input comes from a planned work that would ${blocked.verdict === "stuck" ? "be stuck" : "wait"}` }, ...blocked.reasons] };
      // Planned producers are accounted for above: judge the rest against the cue's real pending works.
      return judge(host, work, (r) => fromPlan.has(r.key), rebuilt && wa !== undefined);
  };
  const out: PlanEntry[] = [];
  for (const w of works) {
    const e = await evaluate(w);
    out.push({ task: w.task, params: w.params, verdict: e.verdict, reasons: e.reasons });
  }
  return out;
}
