import type { WorkRecord } from "../work/record.js";
import type { ResolvedArtifact } from "./declaration.js";

/** A producer in `had` other than `except`. */
function other(had: WorkRecord | Set<WorkRecord>, except: WorkRecord | undefined): WorkRecord | undefined {
  if (!(had instanceof Set)) return had === except ? undefined : had;
  for (const w of had) if (w !== except) return w;
  return undefined;
}

/**
 * The pending and running works of a cue by the artifacts they declare as outputs, and the
 * blocked works by the artifacts they wait for. Both are maps from an artifact key, so a
 * finished producer wakes exactly its waiters.
 */
export class Producers {
  /** One producer (the common case) as itself, more as a set. */
  readonly #byKey = new Map<string, WorkRecord | Set<WorkRecord>>();
  /** Blocked works by the keys they wait on. */
  readonly #waiters = new Map<string, Set<WorkRecord>>();
  /** Each blocked work's keys (so it leaves every set at once). */
  readonly #waits = new Map<WorkRecord, readonly string[]>();
  /** The glob keys among the waited ones, with their matchers (a new file may join a glob). */
  readonly #globs = new Map<string, RegExp>();

  get size(): number {
    return this.#byKey.size;
  }

  /** A submitted work declares its outputs. */
  add(work: WorkRecord): void {
    for (const o of (work.artifacts as NonNullable<WorkRecord["artifacts"]>).outputs) {
      const had = this.#byKey.get(o.key);
      if (had === undefined) this.#byKey.set(o.key, work);
      else if (had instanceof Set) had.add(work);
      else if (had !== work) this.#byKey.set(o.key, new Set([had, work]));
    }
  }

  /** A work ended: it produces nothing any more. Returns the keys left without a producer. */
  remove(work: WorkRecord): string[] {
    const freed: string[] = [];
    for (const o of (work.artifacts as NonNullable<WorkRecord["artifacts"]>).outputs) {
      const had = this.#byKey.get(o.key);
      if (had === work) {
        this.#byKey.delete(o.key);
        freed.push(o.key);
      } else if (had instanceof Set && had.delete(work)) {
        if (had.size === 1) this.#byKey.set(o.key, had.values().next().value as WorkRecord);
      }
    }
    return freed;
  }

  /** A pending or running work other than `except` that declares this artifact (a glob: any matching file) as an output. */
  producerOf(r: ResolvedArtifact, except: WorkRecord | undefined): WorkRecord | undefined {
    if (r.kind === "glob") {
      const regex = r.regex as RegExp;
      for (const [key, had] of this.#byKey) {
        if (!key.startsWith("file:") || !regex.test(key.slice(5))) continue;
        const w = other(had, except);
        if (w !== undefined) return w;
      }
      return undefined;
    }
    const had = this.#byKey.get(r.key);
    return had === undefined ? undefined : other(had, except);
  }

  /** Every pending or running producer of a key. */
  producersOf(key: string): Iterable<WorkRecord> {
    const had = this.#byKey.get(key);
    return had === undefined ? [] : had instanceof Set ? had : [had];
  }

  /** A blocked work waits on these keys. */
  wait(work: WorkRecord, keys: readonly string[]): void {
    this.unwait(work);
    if (keys.length === 0) return;
    this.#waits.set(work, keys);
    for (const k of keys) {
      let set = this.#waiters.get(k);
      if (set === undefined) this.#waiters.set(k, (set = new Set()));
      set.add(work);
      if (k.startsWith("glob:") && !this.#globs.has(k)) {
        const regex = work.artifacts?.inputs.find((i) => i.key === k)?.regex;
        if (regex !== undefined) this.#globs.set(k, regex);
      }
    }
  }

  /** It is no longer blocked. */
  unwait(work: WorkRecord): void {
    const keys = this.#waits.get(work);
    if (keys === undefined) return;
    this.#waits.delete(work);
    for (const k of keys) {
      const set = this.#waiters.get(k);
      if (set === undefined) continue;
      set.delete(work);
      if (set.size === 0) {
        this.#waiters.delete(k);
        this.#globs.delete(k);
      }
    }
  }

  /** The works waiting on a key (a snapshot). */
  waitersOf(key: string): WorkRecord[] {
    const set = this.#waiters.get(key);
    return set === undefined ? [] : [...set];
  }

  /** The works waiting on a glob this file key matches (a file appearing changes the glob). */
  globWaitersOf(fileKey: string): WorkRecord[] {
    if (this.#globs.size === 0 || !fileKey.startsWith("file:")) return [];
    const path = fileKey.slice(5);
    const out: WorkRecord[] = [];
    for (const [key, regex] of this.#globs) {
      if (regex.test(path)) out.push(...(this.#waiters.get(key) ?? []));
    }
    return out;
  }

  /** The path of producers from `start` back to `start` through blocked works' waits, if there is one. */
  cycleFrom(start: WorkRecord): WorkRecord[] | undefined {
    const path: WorkRecord[] = [];
    const seen = new Set<WorkRecord>();
    const visit = (w: WorkRecord): boolean => {
      const keys = w === start ? start.artifacts?.waitKeys : this.#waits.get(w);
      if (keys === undefined) return false;
      for (const k of keys) {
        for (const p of this.producersOf(k)) {
          if (p === start) {
            path.push(w);
            return true;
          }
          if (seen.has(p)) continue;
          seen.add(p);
          if (visit(p)) {
            path.push(w);
            return true;
          }
        }
      }
      return false;
    };
    if (!visit(start)) return undefined;
    return path.reverse();
  }
}
