import { ValueType, type Attributes, type BatchObservableCallback, type Counter, type Histogram, type Meter, type Observable } from "@opentelemetry/api";
import type { Cue } from "runcue";
import { ATTR, SYSTEM, errorType, type Outcome } from "./attributes.js";

/** Histogram boundaries in seconds for attempt durations: the messaging conventions' own, then minutes (API calls can be slow). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300];
/** Histogram boundaries in seconds for waits (pending → start): rate windows make waits of minutes and hours. */
export const WAIT_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 14400, 86400];

/** The attribute sets one task's measurements use. */
type TaskAttributes = Record<"sent" | "run" | "task" | Outcome, Attributes>;

/**
 * The metrics of one instrumented cue. Counters and histograms are recorded from events; the
 * gauges are read from `cue.summary()` in one batch callback when the SDK collects, so nothing
 * is computed per event and a collection costs O(services) however many works are pending.
 */
export class Metrics {
  readonly #meter: Meter;
  readonly #sent: Counter;
  readonly #consumed: Counter;
  readonly #outcomes: Counter;
  readonly #duration: Histogram;
  readonly #wait: Histogram;
  readonly #observables: Observable[];
  readonly #collect: BatchObservableCallback;
  readonly #byTask = new Map<string, TaskAttributes>();

  constructor(meter: Meter, cue: Cue) {
    this.#meter = meter;
    this.#sent = meter.createCounter("messaging.client.sent.messages", { description: "Works submitted.", unit: "{message}", valueType: ValueType.INT });
    this.#consumed = meter.createCounter("messaging.client.consumed.messages", { description: "Attempts started (a retried work counts once per attempt).", unit: "{message}", valueType: ValueType.INT });
    this.#outcomes = meter.createCounter("runcue.work.outcomes", { description: "How works and attempts ended: completed, failed, skipped, cancelled, or retried (an attempt that failed and will run again).", unit: "{work}", valueType: ValueType.INT });
    this.#duration = meter.createHistogram("messaging.process.duration", { description: "Duration of each attempt, from its start to its end.", unit: "s", advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.#wait = meter.createHistogram("runcue.work.wait.duration", { description: "Time a work was pending before an attempt started (since its submit, or since the failed attempt before a retry).", unit: "s", advice: { explicitBucketBoundaries: WAIT_BUCKETS } });

    const works = meter.createObservableGauge("runcue.works", { description: "Works now pending or running, by state (queued, checking, blocked, delayed, running).", unit: "{work}", valueType: ValueType.INT });
    const waiting = meter.createObservableGauge("runcue.works.waiting", { description: "Pending works by why they wait, as cue.summary() counts them (not_ready, waiting_for, service_full, rate_limited, store_unavailable, reseeding, key_held, delayed, queued, stopped); a reason no work waits for has no point.", unit: "{work}", valueType: ValueType.INT });
    const active = meter.createObservableGauge("runcue.service.active", { description: "Works holding a slot of the service.", unit: "{work}", valueType: ValueType.INT });
    const limit = meter.createObservableGauge("runcue.service.concurrency.limit", { description: "The service's concurrency cap (absent when unlimited).", unit: "{work}", valueType: ValueType.INT });
    const queued = meter.createObservableGauge("runcue.service.queued", { description: "Works queued for the service (waiting for a slot or a rate start).", unit: "{work}", valueType: ValueType.INT });
    const rateUsed = meter.createObservableGauge("runcue.service.rate.used", { description: "Starts in the rate window ending now.", unit: "{start}", valueType: ValueType.INT });
    const rateLimit = meter.createObservableGauge("runcue.service.rate.limit", { description: "Starts the rate window allows.", unit: "{start}", valueType: ValueType.INT });
    const nextFree = meter.createObservableGauge("runcue.service.rate.next_free", { description: "Time until the rate window has room for the next start (0 when it has room now).", unit: "s" });
    const keys = meter.createObservableGauge("runcue.service.keys", { description: "Keys of a service with per that hold state (running, paused or in a window); 0 without per.", unit: "{key}", valueType: ValueType.INT });
    const paused = meter.createObservableGauge("runcue.service.paused", { description: "1 while a RateLimited pushback pauses the service, else 0.", unit: "1", valueType: ValueType.INT });
    this.#observables = [works, waiting, active, limit, queued, rateUsed, rateLimit, nextFree, keys, paused];
    this.#collect = (result) => {
      const s = cue.summary({ examples: 0 });
      const st = cue.status();
      const states: [string, number][] = [["queued", st.queued], ["checking", st.checking], ["blocked", st.blocked], ["delayed", st.delayed], ["running", st.running]];
      for (const [state, n] of states) result.observe(works, n, { [ATTR.state]: state });
      for (const r of s.reasons) result.observe(waiting, r.count, { [ATTR.reason]: r.reason });
      for (const svc of s.services) {
        const labels = { [ATTR.service]: svc.name };
        result.observe(active, svc.active, labels);
        if (Number.isFinite(svc.concurrent)) result.observe(limit, svc.concurrent, labels);
        result.observe(queued, svc.queued, labels);
        result.observe(paused, svc.pausedUntil > s.at ? 1 : 0, labels);
        result.observe(keys, svc.keys?.length ?? 0, labels);
        for (const rate of svc.rates) {
          const windowLabels = { ...labels, [ATTR.window]: rate.label };
          result.observe(rateUsed, rate.used, windowLabels);
          result.observe(rateLimit, rate.limit, windowLabels);
          if (Number.isFinite(rate.nextFreeAt)) result.observe(nextFree, Math.max(0, rate.nextFreeAt - s.at) / 1000, windowLabels);
        }
      }
    };
    meter.addBatchObservableCallback(this.#collect, this.#observables);
  }

  submitted(task: string): void {
    this.#sent.add(1, this.#attrs(task).sent);
  }

  /** An attempt started after waiting `waitMs`. */
  started(task: string, waitMs: number): void {
    const a = this.#attrs(task);
    this.#consumed.add(1, a.run);
    this.#wait.record(waitMs / 1000, a.task);
  }

  /** An attempt that ran `durationMs` ended (`error` unless it completed). */
  attemptEnded(task: string, durationMs: number, error: Error | undefined): void {
    const a = this.#attrs(task);
    this.#duration.record(Math.max(0, durationMs) / 1000, error === undefined ? a.run : { ...a.run, [ATTR.errorType]: errorType(error) });
  }

  outcome(task: string, outcome: Outcome): void {
    this.#outcomes.add(1, this.#attrs(task)[outcome]);
  }

  /** The attribute sets of a task, made once: recording allocates nothing per event. */
  #attrs(task: string): TaskAttributes {
    let a = this.#byTask.get(task);
    if (a === undefined) {
      const outcome = (o: Outcome): Attributes => ({ [ATTR.task]: task, [ATTR.outcome]: o });
      a = {
        sent: { [ATTR.system]: SYSTEM, [ATTR.destination]: task, [ATTR.operationName]: "submit" },
        run: { [ATTR.system]: SYSTEM, [ATTR.destination]: task, [ATTR.operationName]: "run" },
        task: { [ATTR.task]: task },
        completed: outcome("completed"), failed: outcome("failed"), retried: outcome("retried"), cancelled: outcome("cancelled"), skipped: outcome("skipped"),
      };
      this.#byTask.set(task, a);
    }
    return a;
  }

  /** Stops the gauges' callback (counters and histograms simply stop being recorded). */
  close(): void {
    this.#meter.removeBatchObservableCallback(this.#collect, this.#observables);
  }
}
