import { ConfigurationError } from "../errors.js";
import type { Artifact, ArtifactSet } from "./descriptors.js";
import type { TaskDeclaration } from "./declaration.js";
import type { ResolvedArtifactsOptions } from "./options.js";
import { globRegex, templateRegex } from "./templates.js";
import { isAbsolute, resolve } from "node:path";

/** An input template no task's output template can produce (`cue.check().orphans`). */
export interface OrphanInput {
  /** The task that declares it. */
  task: string;
  /** Its name in the task's `inputs`. */
  input: string;
  /** The template, e.g. `file:/abs/pages/{page}.png`. */
  artifact: string;
}

/** Output templates of different tasks that can name the same artifact (`cue.check().ambiguous`). */
export interface AmbiguousOutput {
  artifact: string;
  tasks: string[];
}

/**
 * What `cue.check()` finds in the task graph built from templates: `cycles` (lists of task names,
 * each a strongly connected group, or a task that consumes its own kind of output), `orphans`
 * and `ambiguous`. Declarations given as functions of params cannot be seen here and are left out.
 */
export interface CheckReport {
  cycles: string[][];
  orphans: OrphanInput[];
  ambiguous: AmbiguousOutput[];
}

/** @internal one static (template) entry of a task's declaration. */
export interface TemplateEntry {
  task: string;
  name: string;
  kind: Artifact["kind"];
  /** `kind:` + the absolute template (artifact keys as given). */
  id: string;
  /** The template with every placeholder as `{}`: equal shapes name the same artifacts. */
  shape: string;
  /** The absolute template. */
  template: string;
  regex: RegExp;
  names: string[];
}

function absolute(template: string, opts: ResolvedArtifactsOptions): string {
  return isAbsolute(template) ? template : resolve(opts.root, template);
}

/** @internal the template entries of a declaration given as an object (functions give none). */
export function templateEntries(decl: TaskDeclaration, which: "inputs" | "outputs", opts: ResolvedArtifactsOptions): TemplateEntry[] {
  const set = decl[which];
  if (set === undefined || typeof set === "function") return [];
  const out: TemplateEntry[] = [];
  for (const [name, v] of Object.entries(set as ArtifactSet)) {
    for (const a of Array.isArray(v) ? (v as Artifact[]) : [v as Artifact]) {
      const spec = a.kind === "file" || a.kind === "dir" ? a.path : a.kind === "glob" ? a.pattern : a.kind === "artifact" ? a.key : undefined;
      if (typeof spec !== "string") continue;
      const template = a.kind === "artifact" ? spec : absolute(spec, opts);
      const { regex, names } = templateRegex(template);
      out.push({ task: decl.task, name, kind: a.kind, id: `${a.kind}:${template}`, shape: `${a.kind}:${template.replace(/\{[^{}/]+\}/g, "{}")}`, template, regex, names });
    }
  }
  return out;
}

/** A sample path a template fills to (each placeholder one segment's worth). */
function sample(e: TemplateEntry): string {
  return e.template.replace(/\{[^{}/]+\}/g, "x");
}

/** Can output template `out` produce what input template `input` names? */
export function feeds(out: TemplateEntry, input: TemplateEntry): boolean {
  if (input.kind === "glob") return out.kind === "file" && globRegex(input.template.replace(/\{[^{}/]+\}/g, "*")).test(sample(out));
  if (input.kind !== out.kind) return false;
  return out.regex.test(sample(input)) || input.regex.test(sample(out));
}

/**
 * @internal throws when a new task's output template has the same shape as another task's.
 * @throws ConfigurationError `ERR_AMBIGUOUS_PRODUCER` naming both tasks.
 */
export function checkAmbiguous(outputs: TemplateEntry[], others: Iterable<TemplateEntry>): void {
  const mine = new Map(outputs.map((o) => [o.shape, o]));
  for (const e of others) {
    const o = mine.get(e.shape);
    if (o !== undefined) {
      throw new ConfigurationError("ERR_AMBIGUOUS_PRODUCER", `Tasks "${e.task}" and "${o.task}" both declare the output ${o.id}: an artifact may have one producing task (rename one, or make one an input)`);
    }
  }
}

/** A task (and the params, from the template's placeholders) whose output template names this concrete key. */
export function candidateProducer(key: string, outputs: Iterable<TemplateEntry>): { task: string; params: Record<string, string> } | undefined {
  const colon = key.indexOf(":");
  const kind = key.slice(0, colon);
  const path = key.slice(colon + 1);
  for (const e of outputs) {
    if (e.kind !== kind) continue;
    const m = e.regex.exec(path);
    if (m === null) continue;
    const params: Record<string, string> = {};
    e.names.forEach((n, i) => (params[n] = m[i + 1] as string));
    return { task: e.task, params };
  }
  return undefined;
}

/** Tarjan's strongly connected components over task → tasks it feeds. */
function cyclesOf(tasks: string[], edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || edges.get(v)?.has(v) === true) out.push(group.reverse());
    }
  };
  for (const t of tasks) if (!idx.has(t)) strong(t);
  return out;
}

/** @internal `cue.check()`. */
export function checkGraph(decls: TaskDeclaration[], opts: ResolvedArtifactsOptions): CheckReport {
  const outs = decls.flatMap((d) => templateEntries(d, "outputs", opts));
  const ins = decls.flatMap((d) => templateEntries(d, "inputs", opts));
  const edges = new Map<string, Set<string>>();
  const orphans: OrphanInput[] = [];
  for (const i of ins) {
    const producers = outs.filter((o) => feeds(o, i));
    if (producers.length === 0 && i.kind !== "value") orphans.push({ task: i.task, input: i.name, artifact: i.id });
    for (const p of producers) {
      let set = edges.get(p.task);
      if (set === undefined) edges.set(p.task, (set = new Set()));
      set.add(i.task);
    }
  }
  const ambiguous: AmbiguousOutput[] = [];
  for (let a = 0; a < outs.length; a++) {
    for (let b = a + 1; b < outs.length; b++) {
      const x = outs[a] as TemplateEntry;
      const y = outs[b] as TemplateEntry;
      if (x.task !== y.task && x.kind === y.kind && (x.regex.test(sample(y)) || y.regex.test(sample(x)))) ambiguous.push({ artifact: x.id, tasks: [x.task, y.task] });
    }
  }
  return { cycles: cyclesOf(decls.map((d) => d.task), edges), orphans, ambiguous };
}
