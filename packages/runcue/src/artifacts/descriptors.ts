/**
 * Declared artifacts: what a task reads (`inputs`) and writes (`outputs`). The helpers here only
 * describe; the engine resolves them per work (templates filled from params) and derives
 * readiness, staleness, output checks and wakeups from them.
 * @module
 */
import { ConfigurationError, describeValue } from "../errors.js";

/**
 * A path (or key) of an artifact: a template whose `{name}` placeholders are filled from the
 * work's params (`"text/{page}.txt"` with `{ page: 7 }` → `"text/7.txt"`), or a function of
 * the params. Relative paths resolve against the cue's `artifacts.root`.
 */
export type PathSpec = string | ((params: never) => string);

/** A file: exists when `stat` finds it; its time is its modification time (nanoseconds). */
export interface FileArtifact {
  readonly kind: "file";
  readonly path: PathSpec;
}

/**
 * A directory, judged by a marker file inside it (never by the directory's own modification
 * time, which changes whenever anything in it does). A producer writes the marker last.
 */
export interface DirArtifact {
  readonly kind: "dir";
  readonly path: PathSpec;
  /** The marker's name inside the directory. */
  readonly marker: string;
}

/** A set of files matching a pattern (`*`, `?`, `**`, `[abc]`): exists with at least one match; a new match changes it. */
export interface GlobArtifact {
  readonly kind: "glob";
  readonly pattern: PathSpec;
}

/** What {@link artifact} needs to judge something that is not a file. */
export interface CustomArtifactOptions {
  /** Whether it exists (a database row, an object in a bucket); receives the resolved key. */
  exists: (key: string) => boolean | Promise<boolean>;
  /**
   * Its version: a number is a time (epoch ms, ordered against file times in `"mtime"` mode); a
   * string is an opaque stamp, compared for equality (only in `"changed"` mode). @default none:
   * existence only
   */
  version?: (key: string) => number | string | Promise<number | string>;
}

/** Something that is not a file, judged by user functions. */
export interface CustomArtifact {
  readonly kind: "artifact";
  readonly key: PathSpec;
  readonly exists: (key: string) => boolean | Promise<boolean>;
  readonly version: ((key: string) => number | string | Promise<number | string>) | undefined;
}

/** A value that counts as an input (a model name, a config object): compared in `"changed"` mode, ignored by `"mtime"`. */
export interface ValueArtifact {
  readonly kind: "value";
  readonly value: unknown;
}

/** Any declared artifact. */
export type Artifact = FileArtifact | DirArtifact | GlobArtifact | CustomArtifact | ValueArtifact;

/** A task's `inputs` or `outputs`: named artifacts (or lists of them). */
export type ArtifactSet = { readonly [name: string]: Artifact | readonly Artifact[] };

/** What `inputs`/`outputs` accept: a set, or a function of the params returning one. */
export type ArtifactDeclaration<P = unknown> = ArtifactSet | ((params: P) => ArtifactSet);

/** The resolved paths of a declaration, by name (`value()` entries have none). */
export type PathsOf<S> = S extends (...args: never[]) => infer R ? PathsOf<R> : {
  readonly [K in keyof S as S[K] extends ValueArtifact ? never : K]: S[K] extends readonly unknown[] ? readonly string[] : string;
};

function checkSpec(spec: unknown, what: string): void {
  if (typeof spec === "function") return;
  if (typeof spec !== "string" || spec.length === 0) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${describeValue(spec)} (expected a non-empty path template such as "text/{page}.txt", or a function of the params)`);
  }
}

/**
 * A file artifact.
 * @example
 * cue.task("extract", { inputs: { image: file("pages/{page}.png") }, outputs: { text: file("text/{page}.txt") } }, handler);
 */
export function file(path: PathSpec): FileArtifact {
  checkSpec(path, "file() path");
  return Object.freeze({ kind: "file", path });
}

/**
 * A directory artifact, judged by its marker file.
 * @example
 * outputs: { tiles: dir("tiles/{map}") } // the handler writes tiles/<map>/.runcue-done last
 */
export function dir(path: PathSpec, options: { marker?: string } = {}): DirArtifact {
  checkSpec(path, "dir() path");
  const marker = options.marker ?? ".runcue-done";
  if (typeof marker !== "string" || marker.length === 0 || marker.includes("/") || marker === "..") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid dir() marker: ${describeValue(marker)} (expected a file name without "/")`);
  }
  return Object.freeze({ kind: "dir", path, marker });
}

/**
 * A set of files matching a pattern.
 * @example
 * inputs: { pages: glob("pages/{doc}/*.png") }
 */
export function glob(pattern: PathSpec): GlobArtifact {
  checkSpec(pattern, "glob() pattern");
  return Object.freeze({ kind: "glob", pattern });
}

/**
 * A custom artifact: a database row, an object in a bucket, a remote resource.
 * @example
 * inputs: { invoice: artifact("row:invoices/{id}", { exists: (key) => db.has(key), version: (key) => db.updatedAt(key) }) }
 */
export function artifact(key: PathSpec, options: CustomArtifactOptions): CustomArtifact {
  checkSpec(key, "artifact() key");
  if (typeof options !== "object" || options === null || typeof options.exists !== "function") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid artifact() options for ${describeValue(key)}: ${describeValue(options)} (expected { exists: (key) => boolean, version?: (key) => number | string })`);
  }
  if (options.version !== undefined && typeof options.version !== "function") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid artifact() version for ${describeValue(key)}: ${describeValue(options.version)} (expected a function)`);
  }
  for (const k of Object.keys(options)) {
    if (k !== "exists" && k !== "version") throw new ConfigurationError("ERR_INVALID_OPTION", `Unknown option "${k}" in artifact() options (accepted: exists, version)`);
  }
  return Object.freeze({ kind: "artifact", key, exists: options.exists, version: options.version });
}

/**
 * A value input: under `"changed"` freshness, a work whose value differs from the last success is
 * stale. Must be JSON (checked at submit under `"changed"`).
 * @example
 * inputs: (p: { model: string }) => ({ model: value(p.model) })
 */
export function value(v: unknown): ValueArtifact {
  return Object.freeze({ kind: "value", value: v });
}

/** @internal true for a descriptor made by the helpers above. */
export function isArtifact(v: unknown): v is Artifact {
  if (typeof v !== "object" || v === null) return false;
  const kind = (v as { kind?: unknown }).kind;
  return kind === "file" || kind === "dir" || kind === "glob" || kind === "artifact" || kind === "value";
}
