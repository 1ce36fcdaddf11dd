import { INVALID_TRACEID, ROOT_CONTEXT, SpanKind, SpanStatusCode, context, diag, trace, type Attributes, type Context, type Link, type Span, type Tracer } from "@opentelemetry/api";
import type { Work } from "runcue";
import { ATTR, SYSTEM, errorType, type Outcome } from "./attributes.js";
import { toHrTime } from "./time.js";
import type { WaitBreakdown } from "./waits.js";

/** How a process span relates to the context its work was submitted in. */
export type ParentMode = "submit" | "link";

/** What {@link Spans} needs from `instrument`'s options. */
export interface SpanSettings {
  tracer: Tracer;
  parent: ParentMode;
  submitSpans: boolean;
  skipSpans: boolean;
  attributes: ((work: Work) => Attributes) | undefined;
}

/** How an attempt ended, for its span. */
export interface AttemptEnd {
  outcome: Exclude<Outcome, "skipped">;
  at: number;
  error?: Error;
  /** For a retry: the wait before the next attempt, and whether it was a `RateLimited` pushback. */
  retry?: { delayMs: number; pushback: boolean };
}

/**
 * The spans of one instrumented cue, following the OpenTelemetry messaging conventions:
 * `send {task}` (PRODUCER) at submit, whose context is the work's creation context;
 * `process {task}` (CONSUMER) for each attempt, the handler running inside it; and, when asked
 * for, `skip {task}` (INTERNAL). Every time comes from the cue's clock.
 */
export class Spans {
  readonly #settings: SpanSettings;
  /**
   * The context each pending or running work was submitted in (with its send span), kept only
   * when it holds a valid span context (with no SDK, nothing is kept). A Map, not a WeakMap:
   * entries are deleted when the work ends, and a WeakMap of 100,000 works costs the GC dearly.
   */
  readonly #creation = new Map<Work, Context>();
  /** Open process spans, one per running attempt. */
  readonly #open = new Map<Work, Span>();

  constructor(settings: SpanSettings) {
    this.#settings = settings;
  }

  /** A work was submitted at `work.createdAt`, inside the caller's active context. */
  submitted(work: Work): void {
    const active = context.active();
    let creation = active;
    if (this.#settings.submitSpans) {
      const at = toHrTime(work.createdAt);
      const attributes: Attributes = {
        [ATTR.system]: SYSTEM,
        [ATTR.operationType]: "send",
        [ATTR.operationName]: "submit",
        [ATTR.destination]: work.task,
        [ATTR.messageId]: work.id,
        [ATTR.priority]: work.priority,
      };
      if (work.key !== undefined) attributes[ATTR.key] = work.key;
      const span = this.#settings.tracer.startSpan(`send ${work.task}`, { kind: SpanKind.PRODUCER, startTime: at, attributes: this.#withUser(work, attributes) }, active);
      span.end(at);
      if (valid(span)) creation = trace.setSpan(active, span);
    }
    // Without a valid span context there is nothing to be a child of or link to.
    const parent = trace.getSpan(creation);
    if (parent !== undefined && valid(parent)) this.#creation.set(work, creation);
  }

  /**
   * Opens the process span of an attempt that started at `startedAt` and returns the context
   * the handler runs in: a child of the creation context (`parent: "submit"`) or a new trace
   * linked to it (`parent: "link"`).
   */
  started(work: Work, attempt: number, services: readonly string[], startedAt: number, wait: WaitBreakdown): Context | undefined {
    const creation = this.#creation.get(work);
    const links: Link[] = creation === undefined ? [] : [{ context: trace.getSpan(creation)!.spanContext() }];
    const parent = this.#settings.parent === "submit" ? creation ?? ROOT_CONTEXT : ROOT_CONTEXT;
    const at = toHrTime(startedAt);
    const attributes: Attributes = {
      [ATTR.system]: SYSTEM,
      [ATTR.operationType]: "process",
      [ATTR.operationName]: "run",
      [ATTR.destination]: work.task,
      [ATTR.messageId]: work.id,
      [ATTR.attempt]: attempt,
      [ATTR.services]: services.slice(),
      [ATTR.waitMs]: wait.totalMs,
    };
    const span = this.#settings.tracer.startSpan(`process ${work.task}`, { kind: SpanKind.CONSUMER, startTime: at, links, attributes: this.#withUser(work, attributes) }, parent);
    // A no-op tracer (no SDK): nothing to record, and nothing for the handler's spans to join.
    if (!valid(span)) return undefined;
    if (span.isRecording()) {
      span.addEvent("runcue.wait", {
        [ATTR.waitReason]: wait.reason,
        [ATTR.waitNotReadyMs]: wait.notReadyMs,
        [ATTR.waitQueuedMs]: wait.queuedMs,
        [ATTR.waitRateLimitedMs]: wait.rateLimitedMs,
        [ATTR.waitPausedMs]: wait.pausedMs,
        [ATTR.waitServiceFullMs]: wait.serviceFullMs,
        [ATTR.waitDelayedMs]: wait.delayedMs,
        [ATTR.waitBlocks]: wait.blocks,
      }, at);
      this.#open.get(work)?.end(at); // never expected: an attempt that ended without an event
      this.#open.set(work, span);
    }
    return trace.setSpan(parent, span);
  }

  /** Ends the process span of the work's running attempt (if it has one open). */
  ended(work: Work, end: AttemptEnd): void {
    const span = this.#open.get(work);
    if (span === undefined) return;
    this.#open.delete(work);
    const at = toHrTime(end.at);
    span.setAttribute(ATTR.outcome, end.outcome);
    if (end.retry !== undefined) {
      span.addEvent(end.retry.pushback ? "rate_limited" : "retry", { [ATTR.retryDelayMs]: end.retry.delayMs }, at);
    }
    if (end.error !== undefined) span.setAttribute(ATTR.errorType, errorType(end.error));
    // A cancel is what someone asked for, not a failure: it keeps an unset status.
    if (end.error !== undefined && end.outcome !== "cancelled") {
      // Not recordException(): the SDK would name the type by the error's `code` (ERR_PERMANENT), not its class.
      span.addEvent("exception", exceptionAttributes(end.error), at);
      span.setStatus({ code: SpanStatusCode.ERROR, message: end.error.message });
    }
    span.end(at);
    if (end.outcome !== "retried") this.#creation.delete(work);
  }

  /** A work was skipped (ready and not stale): a zero-length `skip {task}` span when asked for. */
  skipped(work: Work, at: number): void {
    const creation = this.#creation.get(work);
    this.#creation.delete(work);
    if (!this.#settings.skipSpans) return;
    const time = toHrTime(at);
    const attributes: Attributes = {
      [ATTR.system]: SYSTEM,
      [ATTR.operationType]: "process",
      [ATTR.operationName]: "skip",
      [ATTR.destination]: work.task,
      [ATTR.messageId]: work.id,
      [ATTR.outcome]: "skipped",
    };
    this.#settings.tracer.startSpan(`skip ${work.task}`, { kind: SpanKind.INTERNAL, startTime: time, attributes: this.#withUser(work, attributes) }, creation ?? ROOT_CONTEXT).end(time);
  }

  /** A work ended without running again (cancelled or failed while pending): forget its creation context. */
  forget(work: Work): void {
    this.#creation.delete(work);
  }

  /** Ends every open span at `at` (the instrumentation is being removed). */
  close(at: number): void {
    const time = toHrTime(at);
    for (const span of this.#open.values()) span.end(time);
    this.#open.clear();
    this.#creation.clear();
  }

  /** Adds the user's attributes; a hook that throws or returns a non-object is reported through `diag` and ignored. */
  #withUser(work: Work, attributes: Attributes): Attributes {
    const hook = this.#settings.attributes;
    if (hook === undefined) return attributes;
    try {
      const extra = hook(work);
      if (extra === null || typeof extra !== "object") {
        diag.error(`runcue-otel: the attributes hook returned ${extra === null ? "null" : typeof extra} for work ${work.id} (expected an object)`);
        return attributes;
      }
      return { ...extra, ...attributes };
    } catch (error) {
      diag.error(`runcue-otel: the attributes hook threw for work ${work.id}`, error);
      return attributes;
    }
  }
}

/** False for the spans of a no-op tracer (no SDK registered), which carry the invalid span context. */
function valid(span: Span): boolean {
  return span.spanContext().traceId !== INVALID_TRACEID;
}

/** The semantic conventions' exception event attributes, with the type named as `error.type` names it. */
function exceptionAttributes(error: Error): Attributes {
  const attributes: Attributes = { "exception.type": errorType(error), "exception.message": String(error.message) };
  if (typeof error.stack === "string") attributes["exception.stacktrace"] = error.stack;
  return attributes;
}
