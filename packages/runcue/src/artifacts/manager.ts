import { resolve } from "node:path";
import { ConfigurationError, describeValue } from "../errors.js";
import type { Clock } from "../time/clock.js";
import type { WorkRecord } from "../work/record.js";
import type { Check } from "../work/work.js";
import { isArtifact, type Artifact } from "./descriptors.js";
import { parseDeclaration, resolveWork, type DerivedChecks, type ResolvedArtifact, type TaskDeclaration, type WorkArtifacts } from "./declaration.js";
import { changedVerdict, mtimeVerdict, recordStamps } from "./freshness.js";
import { MissingOutputError } from "./missing-output-error.js";
import type { ResolvedArtifactsOptions } from "./options.js";
import { probe } from "./probe.js";
import type { Probe, Stamp } from "./stamp.js";
import { Producers } from "./producers.js";
import type { ArtifactReason, ReadyVerdict, StaleVerdict } from "./reasons.js";
import { StateFile } from "./state-file.js";
import { candidateProducer, checkAmbiguous, checkGraph, templateEntries, type CheckReport, type TemplateEntry } from "./static-checks.js";

/** What the artifacts need from the engine. */
export interface ArtifactsHost {
  readonly clock: Clock;
  /** A blocked work's awaited artifact changed or lost its last producer: screen it again (`Blocked` → `Intake`). */
  rescreen(work: WorkRecord): void;
  /** Is it still blocked (only blocked works are woken)? */
  isBlocked(work: WorkRecord): boolean;
}

type OwnCheck = ((work: WorkRecord, derived: never) => boolean | Promise<boolean>) | undefined;

/**
 * @internal the `force` submit option.
 * @throws ConfigurationError for a non-boolean.
 */
export function checkForce(force: unknown): boolean {
  if (typeof force !== "boolean") throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid force: ${describeValue(force)} (expected true or false)`);
  return force;
}

/**
 * @internal Declared artifacts of one cue: resolves each work's inputs and outputs at submit,
 * keeps the producer index, answers the derived readiness and staleness checks, verifies outputs
 * after a handler returns, records stamps ("changed") and incomplete markers, and wakes exactly
 * the blocked works waiting on an artifact when its producer ends.
 */
export class Artifacts {
  readonly options: ResolvedArtifactsOptions;
  readonly producers = new Producers();
  readonly state: StateFile | undefined;
  readonly #host: ArtifactsHost;
  /** Static output templates by task, for ambiguity checks and `no_producer` hints. */
  readonly #outputs = new Map<string, TemplateEntry[]>();
  readonly #decls = new Map<string, TaskDeclaration>();
  readonly #toWake = new Set<WorkRecord>();
  #wakeQueued = false;

  constructor(options: ResolvedArtifactsOptions, host: ArtifactsHost) {
    this.options = options;
    this.#host = host;
    this.state = options.state === undefined ? undefined : new StateFile(options.state, host.clock);
  }

  /**
   * A task declaring artifacts is registered: checks its output templates against other tasks'
   * and returns its effective checks.
   * @throws ConfigurationError `ERR_AMBIGUOUS_PRODUCER` when another task declares the same output template.
   */
  derive(decl: TaskDeclaration, ownReady: OwnCheck, ownStale: OwnCheck): DerivedChecks {
    const outs = templateEntries(decl, "outputs", this.options);
    const others = [...this.#outputs].filter(([t]) => t !== decl.task).flatMap(([, list]) => list);
    checkAmbiguous(outs, others);
    this.#outputs.set(decl.task, outs);
    this.#decls.set(decl.task, decl);
    const ready: Check = ownReady === undefined
      ? (w) => this.readyVerdict(w as WorkRecord).then((v) => v.ready)
      : (w) => this.readyVerdict(w as WorkRecord).then((v) => ownReady(w as WorkRecord, v as never));
    const stale: Check = ownStale === undefined
      ? (w) => this.staleVerdict(w as WorkRecord).then((v) => v.stale)
      : (w) => this.staleVerdict(w as WorkRecord).then((v) => ownStale(w as WorkRecord, v as never));
    return { ready, stale, declaration: decl };
  }

  /** A task was registered again without declarations. */
  forget(task: string): void {
    this.#outputs.delete(task);
    this.#decls.delete(task);
  }

  /** `cue.check()`. */
  check(): CheckReport {
    const report = checkGraph([...this.#decls.values()], this.options);
    if (this.options.strict && (report.cycles.length > 0 || report.ambiguous.length > 0)) {
      const parts = [
        ...report.cycles.map((c) => `cycle ${[...c, c[0]].join(" → ")}`),
        ...report.ambiguous.map((a) => `${a.artifact} produced by both ${a.tasks.map((t) => `"${t}"`).join(" and ")}`),
      ];
      throw new ConfigurationError(report.cycles.length > 0 ? "ERR_CYCLE" : "ERR_AMBIGUOUS_PRODUCER", `Task graph check failed (strict): ${parts.join("; ")}`);
    }
    return report;
  }

  /** Resolves a work's declared artifacts (at submit, before it exists for anyone). */
  resolve(decl: TaskDeclaration, params: unknown, key: string | undefined): WorkArtifacts {
    return resolveWork(decl, params, key, this.options);
  }

  /**
   * A work of a declaring task is being submitted: resolves its artifacts from its params; it
   * is a producer of its outputs from now on.
   * @throws ConfigurationError (see {@link resolveWork}); nothing is registered then.
   */
  attach(work: WorkRecord, key: string | undefined): void {
    work.artifacts = resolveWork((work.def.derived as DerivedChecks).declaration, work.params, key, this.options);
    this.producers.add(work);
  }

  /** Resolves the artifacts of a work that is never submitted (explain, plan): it produces nothing. */
  attachProbe(work: WorkRecord): void {
    work.artifacts = resolveWork((work.def.derived as DerivedChecks).declaration, work.params, undefined, this.options);
  }

  /**
   * Before a task is (re-)registered: its declarations are valid and no other task declares
   * the same output template.
   * @throws ConfigurationError naming the bad declaration or both tasks.
   */
  precheck(name: string, options: unknown): void {
    if (typeof options !== "object" || options === null) return;
    const o = options as { inputs?: unknown; outputs?: unknown; version?: unknown };
    const decl = parseDeclaration(name, o.inputs, o.outputs, o.version);
    if (decl === undefined) return;
    const others = [...this.#outputs].filter(([t]) => t !== name).flatMap(([, list]) => list);
    checkAmbiguous(templateEntries(decl, "outputs", this.options), others);
  }

  /** Derived readiness: every input exists and no other pending or running work declares it as an output. */
  async readyVerdict(work: WorkRecord, producers: Producers = this.producers, settled?: (r: ResolvedArtifact) => boolean): Promise<ReadyVerdict> {
    const wa = work.artifacts as WorkArtifacts;
    wa.seen = undefined;
    const reasons: ArtifactReason[] = [];
    const waits: string[] = [];
    const toProbe: ResolvedArtifact[] = [];
    const byProducer: ResolvedArtifact[] = [];
    for (const r of wa.inputs) {
      if (r.kind === "value" || settled?.(r) === true) continue;
      const p = producers.producerOf(r, work);
      if (p === undefined) toProbe.push(r);
      else {
        waits.push(r.key);
        byProducer.push(r);
        reasons.push({ kind: "producer-pending", artifact: r.path, detail: `Input "${r.name}" (${r.path}) is an output of ${p.task}[${p.id}], which is ${p.state}` });
      }
    }
    const parked = waits.length > 0;
    // Files are stat'ed in full: the staleness check that follows a pass reuses these probes.
    const exact = this.options.freshness === "changed";
    const found = await Promise.all(toProbe.map((r) => probe(r, r.kind !== "artifact", exact)));
    let orphan: string | undefined;
    found.forEach((p, i) => {
      if (p.exists) return;
      const r = toProbe[i] as ResolvedArtifact;
      waits.push(r.key);
      const candidate = candidateProducer(r.key, [...this.#outputs.values()].flat());
      const hint = candidate === undefined ? "no task declares it as an output" : `task "${candidate.task}" could produce it: submit it with params ${describeValue(candidate.params)}`;
      orphan ??= `Input "${r.name}" (${r.path}) of ${work.task}[${work.id}] does not exist and no pending work produces it (${hint})`;
      reasons.push({ kind: "no-producer", artifact: r.path, detail: `Input "${r.name}" (${r.path}) does not exist and no pending or running work produces it; ${hint}` });
    });
    wa.waitKeys = waits;
    wa.producerWaits = byProducer;
    wa.fatal = undefined;
    if (waits.length === 0) {
      wa.blockCause = undefined;
      wa.parked = false;
      if (toProbe.length > 0) {
        const seen = new Map<string, Probe>();
        toProbe.forEach((r, i) => {
          if (r.kind !== "artifact") seen.set(r.key, found[i] as Probe);
        });
        wa.seen = seen;
      }
      return { ready: true, reasons: [] };
    }
    wa.parked = parked && orphan === undefined;
    if (orphan !== undefined) {
      wa.blockCause = "no_producer";
      wa.blockDetail = orphan;
      if (this.options.strict) wa.fatal = new ConfigurationError("ERR_NO_PRODUCER", `${orphan} (strict)`);
    } else {
      const cycle = producers === this.producers ? producers.cycleFrom(work) : undefined;
      if (cycle !== undefined) {
        const path = [...cycle, work].map((w) => `${w.task}(${describeValue(w.params)})`).join(" → ");
        wa.blockCause = "cycle";
        wa.blockDetail = `Waits-for cycle among pending works: ${path}`;
        reasons.push({ kind: "cycle", detail: wa.blockDetail });
        if (this.options.strict) wa.fatal = new ConfigurationError("ERR_CYCLE", `${wa.blockDetail} (strict)`);
      } else {
        wa.blockCause = "not_ready";
        wa.blockDetail = reasons.map((r) => r.detail).join("; ");
      }
    }
    if (this.#host.isBlocked(work)) producers.wait(work, waits);
    return { ready: false, reasons };
  }

  /** Derived staleness, by the cue's freshness mode. */
  async staleVerdict(work: WorkRecord, persist = true): Promise<StaleVerdict> {
    if (work.force) return { stale: true, reasons: [{ kind: "forced", detail: "Submitted with force: true" }] };
    const wa = work.artifacts as WorkArtifacts;
    const incomplete = this.state?.isIncomplete(wa.stateKey) ?? false;
    if (this.options.freshness === "mtime") return mtimeVerdict(wa, incomplete);
    const state = this.state as StateFile;
    const version = work.def.derived?.declaration.version ?? null;
    const { verdict, inputStamps, update } = await changedVerdict(wa, state.get(wa.stateKey), version, incomplete);
    wa.inputStamps = inputStamps;
    if (update !== undefined && persist) state.set(wa.stateKey, update);
    return verdict;
  }

  /** Its handler is about to run: mark its outputs incomplete until verified (a crash leaves the mark). */
  starting(work: WorkRecord): void {
    const wa = work.artifacts as WorkArtifacts;
    if (this.state !== undefined && wa.outputs.length > 0) this.state.markIncomplete(wa.stateKey);
  }

  /**
   * The handler returned: every declared output must exist. Resolves with a
   * {@link MissingOutputError} for the first missing one; otherwise records stamps and clears the
   * incomplete mark (unless the attempt was superseded meanwhile: `current()` false).
   */
  async verify(work: WorkRecord, current: () => boolean): Promise<Error | undefined> {
    const wa = work.artifacts as WorkArtifacts;
    // Existence only (a custom artifact's version is not asked); "changed" needs the stamps.
    const changed = this.options.freshness === "changed";
    const found = await Promise.all(wa.outputs.map((r) => probe(r, false, changed)));
    for (let i = 0; i < found.length; i++) {
      const r = wa.outputs[i] as ResolvedArtifact;
      if (!(found[i] as { exists: boolean }).exists) return new MissingOutputError(work.task, work.id, r.name, r.path);
    }
    if (!current() || this.state === undefined) return undefined;
    if (changed) {
      const outStamps = new Map<string, Stamp>();
      found.forEach((p, i) => {
        const r = wa.outputs[i] as ResolvedArtifact;
        if (p.stamp !== undefined && r.kind !== "artifact") outStamps.set(r.key, p.stamp);
      });
      const [i, o] = await Promise.all([recordStamps(wa.inputs, wa.inputStamps), recordStamps(wa.outputs, outStamps)]);
      if (!current()) return undefined;
      this.state.set(wa.stateKey, { v: work.def.derived?.declaration.version ?? null, i, o });
    }
    this.state.clearIncomplete(wa.stateKey);
    return undefined;
  }

  /** A blocked work joins the waiters of its keys; true when it is parked (only a wakeup re-asks it, not the periodic recheck). */
  blocked(work: WorkRecord): boolean {
    const wa = work.artifacts as WorkArtifacts;
    this.producers.wait(work, wa.waitKeys);
    wa.offList = wa.parked;
    // A producer may have ended while the (asynchronous) check ran: its wakeup found no waiter then.
    if (wa.producerWaits.some((r) => this.producers.producerOf(r, work) === undefined)) this.#enqueueWake(work);
    // Works screened side by side cannot see a cycle among themselves (none was blocked yet):
    // the last one to block closes it, and is screened again to report it (or fail, under strict).
    else if (wa.parked && wa.blockCause !== "cycle" && this.producers.cycleFrom(work) !== undefined) this.#enqueueWake(work);
    return wa.parked;
  }

  /** It left `Blocked`; true when it was parked (not on the rechecker's list). */
  unblocked(work: WorkRecord): boolean {
    const wa = work.artifacts as WorkArtifacts;
    this.producers.unwait(work);
    const was = wa.offList;
    wa.offList = false;
    return was;
  }

  /** A work ended (completed after verification, skipped, failed, cancelled): its outputs lose a producer; wake their waiters. */
  ended(work: WorkRecord): void {
    for (const key of this.producers.remove(work)) this.#wake(key);
  }

  /**
   * Something outside changed an artifact: wake the works waiting on it. Accepts a descriptor
   * without placeholders, an `artifact()` key, a path, or an internal key. Returns how many works were woken.
   */
  changed(what: Artifact | string): number {
    const keys: string[] = [];
    if (typeof what === "string") {
      if (what.length === 0) throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid cue.changed() argument: "" (expected a path, an artifact key or a descriptor)`);
      const abs = resolve(this.options.root, what);
      keys.push(what, `file:${abs}`, `dir:${abs}`, `artifact:${what}`);
    } else if (isArtifact(what)) {
      const wa = resolveWork({ task: "cue.changed()", inputs: { artifact: what }, outputs: undefined, version: undefined }, {}, "changed", this.options);
      keys.push(...wa.inputs.map((r) => r.key));
    } else {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid cue.changed() argument: ${describeValue(what)} (expected a path, an artifact key, or file()/dir()/glob()/artifact())`);
    }
    const before = this.#toWake.size;
    for (const k of keys) this.#wake(k);
    return this.#toWake.size - before;
  }

  #wake(key: string): void {
    for (const w of this.producers.waitersOf(key)) this.#toWake.add(w);
    for (const w of this.producers.globWaitersOf(key)) this.#toWake.add(w);
    this.#flushWakes();
  }

  #enqueueWake(work: WorkRecord): void {
    this.#toWake.add(work);
    this.#flushWakes();
  }

  #flushWakes(): void {
    if (this.#toWake.size === 0 || this.#wakeQueued) return;
    this.#wakeQueued = true;
    // Woken outside the lifecycle move that ended the producer (its events are still being emitted).
    queueMicrotask(() => {
      this.#wakeQueued = false;
      const list = [...this.#toWake];
      this.#toWake.clear();
      for (const w of list) if (this.#host.isBlocked(w)) this.#host.rescreen(w);
    });
  }

  /** Writes the state file now (on `stop()`). */
  flush(): Promise<void> {
    return this.state?.flush() ?? Promise.resolve();
  }
}
