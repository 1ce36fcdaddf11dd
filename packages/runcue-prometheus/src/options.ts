import type { Registry } from "prom-client";
import type { Cue } from "runcue";

/** Options of {@link register}. Every one is optional. */
export interface RegisterOptions {
  /** The prom-client registry to publish in. @default prom-client's global `register` */
  registry?: Registry;
  /** Put before every metric name. @default "runcue_" */
  prefix?: string;
  /**
   * Constant labels on every series of this cue, e.g. `{ cue: "ingest" }`: needed when several
   * cues share a registry and prefix. Names must not be task, outcome, state, reason, service or window.
   */
  labels?: Record<string, string>;
  /**
   * Histogram buckets in seconds, ascending (the first cue registered with a prefix sets them).
   * @default duration: 5 ms … 5 min; wait: 1 ms … 1 day (see DURATION_BUCKETS, WAIT_BUCKETS)
   */
  buckets?: { duration?: number[]; wait?: number[] };
}

const OPTION_NAMES = ["registry", "prefix", "labels", "buckets"];
const OWN_LABELS = ["task", "outcome", "state", "reason", "service", "window", "le"];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Validates `register`'s arguments. @throws TypeError naming the value. */
export function checkOptions(cue: unknown, options: unknown): void {
  if (cue === null || typeof cue !== "object" || typeof (cue as Cue).on !== "function" || typeof (cue as Cue).summary !== "function") {
    throw new TypeError(`runcue-prometheus: register() needs a runcue Cue, got ${describe(cue)}`);
  }
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw new TypeError(`runcue-prometheus: invalid options: ${describe(options)} (expected an object)`);
  const o = options as Record<string, unknown>;
  for (const name of Object.keys(o)) {
    if (!OPTION_NAMES.includes(name)) throw new TypeError(`runcue-prometheus: unknown option "${name}" (expected one of ${OPTION_NAMES.join(", ")})`);
  }
  const registry = o.registry as Registry | undefined;
  if (registry !== undefined && (registry === null || typeof registry.registerMetric !== "function" || typeof registry.getSingleMetric !== "function")) {
    throw new TypeError(`runcue-prometheus: invalid registry: ${describe(registry)} (expected a prom-client Registry)`);
  }
  if (o.prefix !== undefined && (typeof o.prefix !== "string" || (o.prefix !== "" && !METRIC_NAME.test(o.prefix)))) {
    throw new TypeError(`runcue-prometheus: invalid prefix: ${describe(o.prefix)} (expected letters, digits, _ and :, not starting with a digit, e.g. "runcue_")`);
  }
  if (o.labels !== undefined) {
    if (o.labels === null || typeof o.labels !== "object" || Array.isArray(o.labels)) throw new TypeError(`runcue-prometheus: invalid labels: ${describe(o.labels)} (expected an object of label names to string values)`);
    for (const [name, value] of Object.entries(o.labels)) {
      if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new TypeError(`runcue-prometheus: invalid label name ${JSON.stringify(name)} (expected letters, digits and _, not starting with a digit or __)`);
      if (OWN_LABELS.includes(name)) throw new TypeError(`runcue-prometheus: label name ${JSON.stringify(name)} is one runcue's metrics use already (${OWN_LABELS.join(", ")})`);
      if (typeof value !== "string") throw new TypeError(`runcue-prometheus: invalid value of label ${name}: ${describe(value)} (expected a string)`);
    }
  }
  if (o.buckets !== undefined) {
    if (o.buckets === null || typeof o.buckets !== "object") throw new TypeError(`runcue-prometheus: invalid buckets: ${describe(o.buckets)} (expected { duration?: number[], wait?: number[] })`);
    for (const [name, list] of Object.entries(o.buckets)) {
      if (name !== "duration" && name !== "wait") throw new TypeError(`runcue-prometheus: unknown buckets option "${name}" (expected duration or wait)`);
      const ok = Array.isArray(list) && list.length > 0 && list.every((b, i) => typeof b === "number" && Number.isFinite(b) && b > 0 && (i === 0 || b > (list[i - 1] as number)));
      if (list !== undefined && !ok) throw new TypeError(`runcue-prometheus: invalid buckets.${name}: ${describe(list)} (expected ascending positive seconds, e.g. [0.1, 1, 10])`);
    }
  }
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return JSON.stringify(value).slice(0, 80);
  if (value === null || typeof value !== "object") return String(value);
  return `an object with keys ${JSON.stringify(Object.keys(value))}`;
}
