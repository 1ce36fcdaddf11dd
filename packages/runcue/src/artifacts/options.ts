import { isAbsolute, resolve } from "node:path";
import { ConfigurationError, describeValue } from "../errors.js";
import { checkOptions } from "../validate.js";

/** How staleness is judged for declared artifacts. */
export type Freshness = "mtime" | "changed";

/** The `artifacts` option of `new Cue()`: how declared inputs and outputs are judged. */
export interface ArtifactsOptions {
  /**
   * `"mtime"`: Make's rule, no state kept (an output is missing, or the newest input is strictly
   * newer than the oldest output). `"changed"`: stamps of inputs and outputs (size, mtime in ns,
   * inode, content hash of small files) and the task's `version` are recorded at each success in
   * `state`; a work is stale when any differs. @default "mtime"
   */
  freshness?: Freshness;
  /** The state file (required by `"changed"`; with `"mtime"` it only keeps incomplete-output markers). Relative to `root`. @default none */
  state?: string;
  /** The directory relative paths resolve against; a relative path escaping it with `..` is rejected. @default the working directory, unchecked */
  root?: string;
  /** Static-check findings (`cue.check()`) and the `no_producer`/`cycle` block reasons become errors. @default false */
  strict?: boolean;
}

const ARTIFACTS_OPTIONS = ["freshness", "state", "root", "strict"] as const;

/** @internal the `artifacts` option with its defaults applied. */
export interface ResolvedArtifactsOptions {
  freshness: Freshness;
  /** Absolute path of the state file, if any. */
  state: string | undefined;
  /** Absolute root. */
  root: string;
  /** A root was given: relative paths may not escape it. */
  rootSet: boolean;
  strict: boolean;
}

/** @internal validates the `artifacts` option. */
export function resolveArtifactsOptions(options: unknown): ResolvedArtifactsOptions {
  checkOptions(options, ARTIFACTS_OPTIONS, "artifacts options");
  const o = (options ?? {}) as ArtifactsOptions;
  const freshness = o.freshness ?? "mtime";
  if (freshness !== "mtime" && freshness !== "changed") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid artifacts.freshness: ${describeValue(freshness)} (expected "mtime" or "changed")`);
  }
  if (o.root !== undefined && (typeof o.root !== "string" || o.root.length === 0)) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid artifacts.root: ${describeValue(o.root)} (expected a directory path)`);
  }
  const root = resolve(o.root ?? process.cwd());
  if (o.state !== undefined && (typeof o.state !== "string" || o.state.length === 0)) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid artifacts.state: ${describeValue(o.state)} (expected a file path such as ".runcue/state.json")`);
  }
  if (freshness === "changed" && o.state === undefined) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `artifacts.freshness "changed" needs artifacts.state (a file path such as ".runcue/state.json" where stamps are kept)`);
  }
  if (o.strict !== undefined && typeof o.strict !== "boolean") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid artifacts.strict: ${describeValue(o.strict)} (expected a boolean)`);
  }
  return {
    freshness,
    state: o.state === undefined ? undefined : isAbsolute(o.state) ? o.state : resolve(root, o.state),
    root,
    rootSet: o.root !== undefined,
    strict: o.strict ?? false,
  };
}
