import { register as defaultRegistry, type Registry } from "prom-client";
import type { Cue, Work } from "runcue";
import { DURATION_BUCKETS, METRIC_NAMES, MetricSet, WAIT_BUCKETS, type Attached } from "./metric-set.js";
import { checkOptions, type RegisterOptions } from "./options.js";

/** The metric sets in each registry, by prefix: cues registered with the same prefix share them (told apart by their labels). */
const sets = new WeakMap<Registry, Map<string, MetricSet>>();

/**
 * Publishes a cue's figures as Prometheus metrics in a prom-client registry: counters and
 * histograms updated from the cue's events, gauges read from `cue.summary()` at scrape time.
 * Labels never carry work ids or params, only task, service, window, state, reason and outcome
 * names (and your constant `labels`), so series stay bounded however much work runs. Several
 * cues may share a registry and prefix when each has its own `labels` values.
 * Returns a function that removes the cue's listeners, and the metrics once no cue uses them.
 * @throws TypeError naming an invalid option, or a clash with the registry's metrics.
 * @example
 * import { Registry } from "prom-client";
 * const registry = new Registry();
 * const unregister = register(cue, { registry, labels: { cue: "ingest" } });
 */
export function register(cue: Cue, options: RegisterOptions = {}): () => void {
  checkOptions(cue, options);
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? "runcue_";
  const labels = { ...options.labels };
  const labelNames = Object.keys(labels).sort();
  const set = metricSet(registry, prefix, labelNames, options.buckets);
  for (const other of set.attached) {
    if (other.cue === cue) throw new TypeError(`runcue-prometheus: this cue is already registered in this registry with prefix "${prefix}"`);
    if (labelNames.every((l) => other.labels[l] === labels[l])) {
      throw new TypeError(`runcue-prometheus: another cue is registered with prefix "${prefix}" and the same labels ${JSON.stringify(labels)}: give each cue its own labels values (e.g. { cue: "ingest" }) or prefix`);
    }
  }
  const attached: Attached = { cue, labels };
  set.attached.add(attached);

  const clock = cue.clock;
  /** When each pending work became pending again after a failed attempt (its first spell starts at createdAt). */
  const pendingSince = new WeakMap<Work, number>();
  /** Works running now: when their attempt started. */
  const running = new Map<Work, number>();
  /** Label sets made once per task (and outcome): an event allocates none. */
  const byTask = new Map<string, Record<string, Record<string, string>>>();
  const labelsOf = (work: Work, outcome = ""): Record<string, string> => {
    let sets = byTask.get(work.task);
    if (sets === undefined) {
      sets = {};
      byTask.set(work.task, sets);
    }
    return (sets[outcome] ??= outcome === "" ? { ...labels, task: work.task } : { ...labels, task: work.task, outcome });
  };
  const task = (work: Work): Record<string, string> => labelsOf(work);
  const attemptEnded = (work: Work, outcome: string): void => {
    const startedAt = running.get(work);
    if (startedAt === undefined) return;
    running.delete(work);
    set.duration.observe(labelsOf(work, outcome), Math.max(0, clock.now() - startedAt) / 1000);
  };
  const finished = (work: Work, outcome: string): void => {
    attemptEnded(work, outcome);
    pendingSince.delete(work);
    set.finished.inc(labelsOf(work, outcome));
  };
  const removers = [
    cue.on("submit", ({ work }) => set.submitted.inc(task(work))),
    cue.on("start", ({ work }) => {
      const at = work.startedAt ?? clock.now();
      running.set(work, at);
      set.started.inc(task(work));
      set.wait.observe(task(work), Math.max(0, at - (pendingSince.get(work) ?? work.createdAt)) / 1000);
      pendingSince.delete(work);
    }),
    cue.on("complete", ({ work }) => finished(work, "completed")),
    cue.on("fail", ({ work }) => finished(work, "failed")),
    cue.on("cancel", ({ work }) => finished(work, "cancelled")),
    cue.on("skip", ({ work }) => finished(work, "skipped")),
    cue.on("retry", ({ work }) => {
      attemptEnded(work, "retried");
      pendingSince.set(work, clock.now());
      set.retries.inc(task(work));
    }),
    cue.on("pause", ({ service }) => set.pauses.inc({ ...labels, service })),
  ];
  // Series exist from the start (at 0), so rate() and increase() see the first works.
  for (const svc of cue.summary({ examples: 0 }).services) set.pauses.inc({ ...labels, service: svc.name }, 0);

  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const remove of removers) remove();
    running.clear();
    set.attached.delete(attached);
    if (set.attached.size === 0) {
      for (const name of set.names) registry.removeSingleMetric(name);
      sets.get(registry)?.delete(prefix);
    }
  };
}

/** The metric set of (registry, prefix), made on first use; later users must use the same label names. */
function metricSet(registry: Registry, prefix: string, labelNames: string[], buckets: RegisterOptions["buckets"]): MetricSet {
  let byPrefix = sets.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    sets.set(registry, byPrefix);
  }
  const existing = byPrefix.get(prefix);
  if (existing !== undefined) {
    if (existing.labelNames.join() !== labelNames.join()) {
      throw new TypeError(`runcue-prometheus: cues sharing prefix "${prefix}" must use the same label names: [${existing.labelNames.join(", ")}] already, [${labelNames.join(", ")}] given`);
    }
    return existing;
  }
  const clash = METRIC_NAMES.map((n) => prefix + n).find((name) => registry.getSingleMetric(name) !== undefined);
  if (clash !== undefined) {
    throw new TypeError(`runcue-prometheus: the registry already has a metric named ${clash} (registered by something else): choose another prefix`);
  }
  const set = new MetricSet(registry, prefix, labelNames, { duration: buckets?.duration ?? DURATION_BUCKETS, wait: buckets?.wait ?? WAIT_BUCKETS });
  byPrefix.set(prefix, set);
  return set;
}
