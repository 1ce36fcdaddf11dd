import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { BlockReason, Cue, CueSummary } from "runcue";

/** Histogram buckets in seconds for attempt durations: milliseconds to five minutes (API calls can be slow). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Histogram buckets in seconds for waits (pending → start): rate windows make waits of minutes, hours, a day. */
export const WAIT_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 14400, 86400];

/**
 * The reasons runcue's `BlockReason` has that `summary()` never reports: it counts works waiting
 * for an input nothing produces (`no_producer`) or in a `cycle` under `not_ready`, and retry
 * waits under `delayed`.
 */
type Unsummarised = "no_producer" | "cycle" | "retry_wait";

/** A reason `cue.summary()` reports, a label value of `pending_works`. */
export type SummaryReason = Exclude<BlockReason, Unsummarised>;

/**
 * Every reason `summary()` reports, exported at 0 when no work waits for it, so series never
 * vanish. A `Record` over the type: a reason added to runcue's `BlockReason` fails to compile
 * here until it is listed (or named in `Unsummarised`).
 */
const REASON_SET: Record<SummaryReason, true> = {
  not_ready: true, waiting_for: true, service_full: true, rate_limited: true, store_unavailable: true,
  reseeding: true, key_held: true, delayed: true, queued: true, stopped: true,
};
/** {@link REASON_SET}'s reasons, in the order the series are written. */
export const REASONS = Object.keys(REASON_SET) as readonly SummaryReason[];
const STATES = ["queued", "checking", "blocked", "delayed", "running"] as const;

/** Every metric's name after the prefix. */
export const METRIC_NAMES = [
  "works_submitted_total", "works_started_total", "works_finished_total", "work_retries_total", "service_pauses_total",
  "work_duration_seconds", "work_wait_seconds", "started", "works", "pending_works", "service_active",
  "service_concurrency_limit", "service_queued", "service_rate_used", "service_rate_limit", "service_rate_next_free_seconds",
  "service_paused_seconds", "service_keys",
] as const;

/** One cue whose figures go into a metric set, with its constant labels. */
export interface Attached {
  cue: Cue;
  labels: Record<string, string>;
}

/**
 * The metrics of one (registry, prefix): counters and histograms that events of every attached
 * cue update, and gauges whose `collect()` reads each attached cue's `summary()` at scrape time
 * (one summary per cue per scrape, shared by all the gauges).
 */
export class MetricSet {
  readonly names: string[] = [];
  readonly labelNames: string[];
  readonly attached = new Set<Attached>();
  readonly submitted: Counter;
  readonly started: Counter;
  readonly finished: Counter;
  readonly retries: Counter;
  readonly pauses: Counter;
  readonly duration: Histogram;
  readonly wait: Histogram;
  /** Summaries taken in this scrape, dropped on the next macrotask. */
  #scrape: Map<Cue, { summary: CueSummary; status: ReturnType<Cue["status"]> }> | undefined;

  constructor(registry: Registry, prefix: string, labelNames: string[], buckets: { duration: number[]; wait: number[] }) {
    this.labelNames = labelNames;
    const registers = [registry];
    const name = (n: (typeof METRIC_NAMES)[number]): string => {
      this.names.push(prefix + n);
      return prefix + n;
    };
    const labels = (...own: string[]): string[] => [...labelNames, ...own];
    this.submitted = new Counter({ name: name("works_submitted_total"), help: "Works submitted, by task.", labelNames: labels("task"), registers });
    this.started = new Counter({ name: name("works_started_total"), help: "Attempts started, by task (a retried work counts once per attempt).", labelNames: labels("task"), registers });
    this.finished = new Counter({ name: name("works_finished_total"), help: "Works that ended, by task and outcome (completed, failed, skipped, cancelled).", labelNames: labels("task", "outcome"), registers });
    this.retries = new Counter({ name: name("work_retries_total"), help: "Attempts that failed and will run again, by task (RateLimited pushbacks included).", labelNames: labels("task"), registers });
    this.pauses = new Counter({ name: name("service_pauses_total"), help: "RateLimited pushbacks that paused a service.", labelNames: labels("service"), registers });
    this.duration = new Histogram({ name: name("work_duration_seconds"), help: "Duration of each attempt, by task and outcome (completed, failed, retried, cancelled).", labelNames: labels("task", "outcome"), buckets: buckets.duration, registers });
    this.wait = new Histogram({ name: name("work_wait_seconds"), help: "Time a work was pending before an attempt started (since its submit, or the failed attempt before a retry), by task.", labelNames: labels("task"), buckets: buckets.wait, registers });

    const read = (a: Attached): { summary: CueSummary; status: ReturnType<Cue["status"]> } => {
      if (this.#scrape === undefined) {
        this.#scrape = new Map();
        setImmediate(() => (this.#scrape = undefined));
      }
      let entry = this.#scrape.get(a.cue);
      if (entry === undefined) {
        entry = { summary: a.cue.summary({ examples: 0 }), status: a.cue.status() };
        this.#scrape.set(a.cue, entry);
      }
      return entry;
    };
    const gauge = (n: (typeof METRIC_NAMES)[number], help: string, own: string[], fill: (set: (labels: Record<string, string>, value: number) => void, a: Attached, s: CueSummary, st: ReturnType<Cue["status"]>) => void): void => {
      const attached = this.attached;
      new Gauge({
        name: name(n), help, labelNames: labels(...own), registers,
        collect() {
          this.reset();
          for (const a of attached) {
            const { summary, status } = read(a);
            fill((l, v) => this.set({ ...a.labels, ...l }, v), a, summary, status);
          }
        },
      });
    };
    gauge("started", "1 while the cue is started (dispatching), else 0.", [], (set, _a, s) => set({}, s.started ? 1 : 0));
    gauge("works", "Works now pending or running, by state (queued, checking, blocked, delayed, running).", ["state"], (set, _a, _s, st) => {
      for (const state of STATES) set({ state }, st[state]);
    });
    gauge("pending_works", `Pending works by why they wait, every reason always present: ${REASONS.join(", ")} (not_ready includes inputs nothing produces and cycles; delayed includes retry waits).`, ["reason"], (set, _a, s) => {
      const counts = new Map<string, number>(REASONS.map((r) => [r, 0]));
      for (const r of s.reasons) counts.set(r.reason, r.count);
      for (const [reason, count] of counts) set({ reason }, count);
    });
    gauge("service_active", "Works holding a slot of the service.", ["service"], (set, _a, s) => {
      for (const svc of s.services) set({ service: svc.name }, svc.active);
    });
    gauge("service_concurrency_limit", "The service's concurrency cap (no series when unlimited).", ["service"], (set, _a, s) => {
      for (const svc of s.services) if (Number.isFinite(svc.concurrent)) set({ service: svc.name }, svc.concurrent);
    });
    gauge("service_queued", "Works queued for the service, waiting for a slot or a rate start.", ["service"], (set, _a, s) => {
      for (const svc of s.services) set({ service: svc.name }, svc.queued);
    });
    gauge("service_rate_used", "Starts in the rate window ending now, by service and window (like 60/min).", ["service", "window"], (set, _a, s) => {
      for (const svc of s.services) for (const r of svc.rates) set({ service: svc.name, window: r.label }, r.used);
    });
    gauge("service_rate_limit", "Starts the rate window allows, by service and window; headroom is limit - used.", ["service", "window"], (set, _a, s) => {
      for (const svc of s.services) for (const r of svc.rates) set({ service: svc.name, window: r.label }, r.limit);
    });
    gauge("service_rate_next_free_seconds", "Seconds until the rate window has room for the next start (0 when it has room now; no series when no time is known).", ["service", "window"], (set, _a, s) => {
      for (const svc of s.services) {
        for (const r of svc.rates) if (Number.isFinite(r.nextFreeAt)) set({ service: svc.name, window: r.label }, Math.max(0, r.nextFreeAt - s.at) / 1000);
      }
    });
    gauge("service_keys", "Keys of a service with per that hold state (running, paused or in a window); 0 without per.", ["service"], (set, _a, s) => {
      for (const svc of s.services) set({ service: svc.name }, svc.keys?.length ?? 0);
    });
    gauge("service_paused_seconds", "Seconds left of a RateLimited pushback pause of the service (0 when not paused).", ["service"], (set, _a, s) => {
      for (const svc of s.services) set({ service: svc.name }, Math.max(0, svc.pausedUntil - s.at) / 1000);
    });
  }
}
