/**
 * Why a work with declared artifacts would run, skip or wait: the reasons `cue.explain()`,
 * `cue.plan()` and `debugBlocked()` report.
 * @module
 */

/**
 * The kind of a reason. Stale: `missing-output`, `no-outputs` (a task that declares no outputs
 * always runs, like a phony Make target), `input-newer`, `input-changed`, `input-set-changed`,
 * `output-changed`, `version-changed`, `value-changed`, `incomplete` (a run that never finished),
 * `forced`, `input-rebuilt` (plan: an upstream work will run first). Fresh: `fresh`. Waiting:
 * `input-missing`, `producer-pending`, `no-producer`, `cycle`. `custom`: a task's own check decided.
 */
export type ArtifactReasonKind =
  | "missing-output" | "no-outputs" | "input-newer" | "input-changed" | "input-set-changed" | "output-changed"
  | "version-changed" | "value-changed" | "incomplete" | "forced" | "input-rebuilt" | "fresh"
  | "input-missing" | "producer-pending" | "no-producer" | "cycle" | "custom";

/** One reason, for humans (`detail`) and programs (`kind`, `artifact`). */
export interface ArtifactReason {
  kind: ArtifactReasonKind;
  /** The artifact's path (or key), when the reason is about one. */
  artifact?: string;
  /** A sentence with the names and times. */
  detail: string;
}

/** What a declared-artifact readiness check found; a task's own `ready` receives it as its second argument. */
export interface ReadyVerdict {
  ready: boolean;
  reasons: ArtifactReason[];
}

/** What a declared-artifact staleness check found; a task's own `stale` receives it as its second argument. */
export interface StaleVerdict {
  stale: boolean;
  reasons: ArtifactReason[];
}
