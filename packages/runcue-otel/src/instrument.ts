import { context, metrics, trace, type Attributes, type MeterProvider, type TracerProvider } from "@opentelemetry/api";
import type { Cue, Middleware, Work } from "runcue";
import { isNoopMeter, tracingCheck } from "./live.js";
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
 *
 * With nothing to record (no SDK registered: the API's no-op tracer and meter) it adds only a
 * `start` listener, which asks at each attempt whether an SDK has been registered behind the
 * global tracer provider since; the other listeners and the middleware are added at the first
 * attempt that finds one (that attempt gets its span; works submitted before it have no `send`
 * span, and middleware added to the cue meanwhile runs outside the process span).
 * @throws TypeError naming an unknown or invalid option.
 * @example
 * const uninstrument = instrument(cue, { tracerProvider, meterProvider });
 * // ... run work ...
 * uninstrument();
 */
export function instrument(cue: Cue, options: InstrumentOptions = {}): () => void {
  checkOptions(cue, options);
  const clock = cue.clock;
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = tracerProvider.getTracer(SCOPE, VERSION);
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE, VERSION);
  /** True while spans can record: asked per event, since an SDK may be registered behind the global proxy later. */
  const tracing = tracingCheck(tracerProvider);
  /** False for the API's no-op meter, which stays one (the metrics API has no proxy). */
  const metering = !isNoopMeter(meter);
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
  /** True for a work this instrumentation holds state for (pending with a wait spell, or running): its end must clean up. */
  const followed = (work: Work): boolean => running.has(work) || waits.has(work);

  /** An attempt of `work` ended: its span, its duration. False when it was not running (ended while pending). */
  const endAttempt = (work: Work, end: AttemptEnd): boolean => {
    const attempt = running.get(work);
    if (attempt === undefined) return false;
    running.delete(work);
    spans.ended(work, end);
    meters.attemptEnded(work.task, end.at - attempt.startedAt, end.outcome === "completed" ? undefined : end.error);
    return true;
  };
  const endOf = (work: Work): number => work.completedAt ?? clock.now();
  /** A work ended for good. With nothing recording and nothing held for it, there is nothing to do. */
  const finished = (work: Work, outcome: "completed" | "failed" | "cancelled", error?: Error): void => {
    if (!metering && !followed(work)) return;
    const end: AttemptEnd = { outcome, at: endOf(work) };
    if (error !== undefined) end.error = error;
    if (!endAttempt(work, end)) {
      waits.ended(work);
      spans.forget(work);
    }
    meters.outcome(work.task, outcome);
  };

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
  /**
   * While nothing records (no SDK: the API's no-op tracer and meter), only the `start` listener
   * is on the cue, asking at every attempt whether an SDK has been registered since; the other
   * listeners and the middleware are added once something records. Each listener a cue has costs
   * it an event object per work, and a middleware, even one that only calls `next()`, a few
   * promises per attempt: together several times what the instrumentation's own work costs.
   */
  let removeMiddleware: (() => void) | undefined;
  const removers: (() => void)[] = [];
  let attached = false;
  const attach = (): void => {
    if (attached) return;
    attached = true;
    removers.push(
      cue.on("submit", ({ work }) => {
        const traced = tracing();
        if (!traced && !metering) return;
        waits.pending(work, work.createdAt, false);
        if (traced) spans.submitted(work);
        meters.submitted(work.task);
      }),
      // How a wait splits goes only into spans.
      cue.on("block", ({ work }) => {
        if (tracing()) waits.blocked(work, clock.now());
      }),
      cue.on("queue", ({ work }) => {
        if (tracing()) waits.queued(work, clock.now());
      }),
      cue.on("wait", ({ services, reason, until }) => {
        if (tracing()) waits.laneWaits(services, reason, clock.now(), until);
      }),
      cue.on("complete", ({ work }) => finished(work, "completed")),
      cue.on("fail", ({ work, error }) => finished(work, "failed", error)),
      cue.on("cancel", ({ work, error }) => finished(work, "cancelled", error)),
      cue.on("retry", ({ work, error, delayMs, pushback }) => {
        const live = metering || tracing();
        if (!live && !followed(work)) return;
        const at = clock.now();
        endAttempt(work, { outcome: "retried", at, error, retry: { delayMs, pushback } });
        if (live) waits.pending(work, at, true);
        else waits.ended(work);
        meters.outcome(work.task, "retried");
      }),
      cue.on("skip", ({ work }) => {
        if (!metering && !followed(work) && !tracing()) return;
        const at = endOf(work);
        waits.ended(work);
        spans.skipped(work, at);
        meters.outcome(work.task, "skipped");
      }),
    );
  };
  removers.push(
    cue.on("start", ({ work, services }) => {
      const traced = tracing();
      if (traced) {
        // Before the attempt's middleware chain is called, so this attempt gets its span.
        removeMiddleware ??= cue.use(middleware);
        attach();
      } else if (!metering) return;
      const at = work.startedAt ?? clock.now();
      const wait = waits.started(work, services, at);
      running.set(work, { startedAt: at, services, wait });
      meters.started(work.task, wait.totalMs);
    }),
  );
  if (tracing()) removeMiddleware = cue.use(middleware);
  if (tracing() || metering) attach();

  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const remove of removers) remove();
    removeMiddleware?.();
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
