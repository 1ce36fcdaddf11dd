import { context, metrics, trace, type Attributes, type MeterProvider, type TracerProvider } from "@opentelemetry/api";
import type { Cue, Middleware, Work } from "runcue";
import { Metrics } from "./metrics.js";
import { Spans, type AttemptEnd, type ParentMode } from "./spans.js";
import { SCOPE, VERSION } from "./version.js";
import { WaitTracker, type WaitBreakdown } from "./waits.js";

/** Options of {@link instrument}. Every one is optional. */
export interface InstrumentOptions {
  /** Where the tracer comes from. @default the global provider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /** Where the meter comes from. @default the global provider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /**
   * The parent of each `process {task}` span. `"submit"`: the context the work was submitted in
   * (its `send` span), so a request that submits work and the work's handler share one trace.
   * `"link"`: a new trace per attempt, linked to the submit (better when one job submits
   * thousands of works). A link to the submit is added either way.
   * @default "submit"
   */
  parent?: ParentMode;
  /**
   * Which spans besides `process {task}` to make: `submit` makes a zero-length `send {task}`
   * (PRODUCER) at each submit; `skip` a zero-length `skip {task}` for each skipped work (off by
   * default: rerunning 100,000 finished works would make 100,000 spans).
   * @default { submit: true, skip: false }
   */
  spans?: { submit?: boolean; skip?: boolean };
  /**
   * Extra span attributes for a work, added to its send, process and skip spans (runcue's own
   * attributes win on a clash). Params are never recorded unless you add them here. A hook that
   * throws is reported through OpenTelemetry's `diag` and ignored.
   * @example attributes: (work) => ({ "app.page": (work.params as { page: number }).page })
   */
  attributes?: (work: Work) => Attributes;
}

const OPTION_NAMES = ["tracerProvider", "meterProvider", "parent", "spans", "attributes"];

/**
 * Instruments a cue with OpenTelemetry: a `process {task}` span per attempt with the handler
 * running inside it (spans the handler makes are its children), a `send {task}` span per submit,
 * and counters, histograms and gauges of what the cue does. Every time comes from the cue's
 * clock, so a `VirtualClock` gives virtual times. Returns a function that removes the
 * instrumentation (its listeners, its middleware, its gauge callback) and ends open spans.
 * @throws TypeError naming an unknown or invalid option.
 * @example
 * const uninstrument = instrument(cue, { tracerProvider, meterProvider });
 * // ... run work ...
 * uninstrument();
 */
export function instrument(cue: Cue, options: InstrumentOptions = {}): () => void {
  checkOptions(cue, options);
  const clock = cue.clock;
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE, VERSION);
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE, VERSION);
  const spans = new Spans({
    tracer,
    parent: options.parent ?? "submit",
    submitSpans: options.spans?.submit ?? true,
    skipSpans: options.spans?.skip ?? false,
    attributes: options.attributes,
  });
  const meters = new Metrics(meter, cue);
  const waits = new WaitTracker();
  /** Running attempts: when each started and how long it had waited. */
  const running = new Map<Work, { startedAt: number; services: readonly string[]; wait: WaitBreakdown }>();

  /** An attempt of `work` ended: its span, its duration. False when it was not running (ended while pending). */
  const endAttempt = (work: Work, end: AttemptEnd): boolean => {
    const attempt = running.get(work);
    if (attempt === undefined) return false;
    running.delete(work);
    spans.ended(work, end);
    meters.attemptEnded(work.task, end.at - attempt.startedAt, end.outcome === "completed" ? undefined : end.error);
    return true;
  };
  /** A work ended for good at `at`. */
  const finished = (work: Work, end: AttemptEnd): void => {
    if (!endAttempt(work, end)) {
      waits.ended(work);
      spans.forget(work);
    }
    meters.outcome(work.task, end.outcome);
  };
  const endOf = (work: Work): number => work.completedAt ?? clock.now();

  const middleware: Middleware = (ctx, next) => {
    let attempt = running.get(ctx.work);
    if (attempt === undefined) {
      // Instrumented between this attempt's start event and its handler call.
      const at = ctx.work.startedAt ?? clock.now();
      attempt = { startedAt: at, services: [], wait: waits.started(ctx.work, [], at) };
      running.set(ctx.work, attempt);
    }
    const active = spans.started(ctx.work, ctx.attempt, attempt.services, attempt.startedAt, attempt.wait);
    return active === undefined ? next() : context.with(active, next);
  };
  const removers = [
    cue.on("submit", ({ work }) => {
      waits.pending(work, work.createdAt, false);
      spans.submitted(work);
      meters.submitted(work.task);
    }),
    cue.on("block", ({ work }) => waits.blocked(work, clock.now())),
    cue.on("queue", ({ work }) => waits.queued(work, clock.now())),
    cue.on("wait", ({ services, reason, until }) => waits.laneWaits(services, reason, clock.now(), until)),
    cue.on("start", ({ work, services }) => {
      const at = work.startedAt ?? clock.now();
      const wait = waits.started(work, services, at);
      running.set(work, { startedAt: at, services, wait });
      meters.started(work.task, wait.totalMs);
    }),
    cue.on("complete", ({ work }) => finished(work, { outcome: "completed", at: endOf(work) })),
    cue.on("fail", ({ work, error }) => finished(work, { outcome: "failed", at: endOf(work), error })),
    cue.on("cancel", ({ work, error }) => finished(work, { outcome: "cancelled", at: endOf(work), error })),
    cue.on("retry", ({ work, error, delayMs, pushback }) => {
      const at = clock.now();
      endAttempt(work, { outcome: "retried", at, error, retry: { delayMs, pushback } });
      waits.pending(work, at, true);
      meters.outcome(work.task, "retried");
    }),
    cue.on("skip", ({ work }) => {
      const at = endOf(work);
      waits.ended(work);
      spans.skipped(work, at);
      meters.outcome(work.task, "skipped");
    }),
    cue.use(middleware),
  ];
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const remove of removers) remove();
    meters.close();
    spans.close(clock.now());
    running.clear();
    waits.clear();
  };
}

function checkOptions(cue: unknown, options: unknown): void {
  if (cue === null || typeof cue !== "object" || typeof (cue as Cue).on !== "function" || typeof (cue as Cue).use !== "function" || typeof (cue as Cue).summary !== "function") {
    throw new TypeError(`runcue-otel: instrument() needs a runcue Cue, got ${describe(cue)}`);
  }
  if (options === null || typeof options !== "object") throw new TypeError(`runcue-otel: invalid options: ${describe(options)} (expected an object)`);
  const o = options as Record<string, unknown>;
  for (const name of Object.keys(o)) {
    if (!OPTION_NAMES.includes(name)) throw new TypeError(`runcue-otel: unknown option "${name}" (expected one of ${OPTION_NAMES.join(", ")})`);
  }
  if (o.tracerProvider !== undefined && typeof (o.tracerProvider as TracerProvider).getTracer !== "function") {
    throw new TypeError(`runcue-otel: invalid tracerProvider: ${describe(o.tracerProvider)} (expected an object with getTracer())`);
  }
  if (o.meterProvider !== undefined && typeof (o.meterProvider as MeterProvider).getMeter !== "function") {
    throw new TypeError(`runcue-otel: invalid meterProvider: ${describe(o.meterProvider)} (expected an object with getMeter())`);
  }
  if (o.parent !== undefined && o.parent !== "submit" && o.parent !== "link") {
    throw new TypeError(`runcue-otel: invalid parent: ${describe(o.parent)} (expected "submit" or "link")`);
  }
  if (o.spans !== undefined) {
    if (o.spans === null || typeof o.spans !== "object") throw new TypeError(`runcue-otel: invalid spans: ${describe(o.spans)} (expected { submit?: boolean, skip?: boolean })`);
    for (const [name, value] of Object.entries(o.spans)) {
      if (name !== "submit" && name !== "skip") throw new TypeError(`runcue-otel: unknown spans option "${name}" (expected submit or skip)`);
      if (value !== undefined && typeof value !== "boolean") throw new TypeError(`runcue-otel: invalid spans.${name}: ${describe(value)} (expected a boolean)`);
    }
  }
  if (o.attributes !== undefined && typeof o.attributes !== "function") {
    throw new TypeError(`runcue-otel: invalid attributes: ${describe(o.attributes)} (expected a function (work) => attributes)`);
  }
}

/** A short description of a value for error messages. */
function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return "an array";
  return `an object with keys ${JSON.stringify(Object.keys(value))}`;
}
