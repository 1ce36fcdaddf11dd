import type { TaskDef } from "../task.js";
import type { Clock } from "../time/clock.js";
import type { Lifecycle } from "../work/lifecycle.js";
import { Phase } from "../work/phase.js";
import { Artifacts } from "./manager.js";
import { resolveArtifactsOptions, type ResolvedArtifactsOptions } from "./options.js";

/** What the engine lends the artifacts. */
export interface ArtifactsEngine {
  readonly options: { readonly artifacts: ResolvedArtifactsOptions | undefined };
  readonly clock: Clock;
  readonly lifecycle: Lifecycle;
  /** Runs a dispatch pass soon. */
  kick(): void;
}

/** @internal makes a cue's declared-artifacts manager (on first use: a cue whose tasks declare nothing never makes one). */
export function linkArtifacts(engine: ArtifactsEngine): Artifacts {
  return new Artifacts(engine.options.artifacts ?? resolveArtifactsOptions(undefined), {
    clock: engine.clock,
    isBlocked: (w) => w.phase === Phase.Blocked,
    rescreen: (w) => {
      engine.lifecycle.move(w, Phase.Intake);
      engine.kick();
    },
  });
}

/**
 * @internal registers a task: a declaring task's outputs are checked against other tasks' before
 * it replaces anything; then its derived checks are attached.
 */
export function registerTask(existing: Artifacts | undefined, artifacts: () => Artifacts, name: unknown, options: unknown, add: () => TaskDef): TaskDef {
  if (typeof name === "string") existing?.precheck(name, options);
  const def = add();
  if (def.declared !== undefined) def.derived = artifacts().derive(def.declared, def.ready, def.stale);
  else existing?.forget(def.name);
  return def;
}
