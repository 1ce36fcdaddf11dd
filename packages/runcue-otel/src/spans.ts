import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, diag, trace, type Attributes, type Context, type Link, type Span, type Tracer } from "@opentelemetry/api";
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
  /** The context each work was submitted in (with its send span, when there is one). */
  readonly #creation = new WeakMap<Work, Context>();
  /** Open process spans, one per running attempt. */
  readonly #open = new Map<Work, Span>();

  constructor(settings: SpanSettings) {
    this.#settings = settings;
  }

  /** A work was submitted at `work.createdAt`, inside the caller's active context. */
  submitted(work: Work): void {
    const active = context.active();
    if (!this.#settings.submitSpans) {
      this.#creation.set(work, active);
      return;
    }
    const at = toHrTime(work.createdAt);
    const attributes: Attributes = {
      ...this.#common(work, "send", "submit"),
      ...(work.key === undefined ? {} : { [ATTR.key]: work.key }),
      [ATTR.priority]: work.priority,
    };
    const span = this.#settings.tracer.startSpan(`send ${work.task}`, { kind: SpanKind.PRODUCER, startTime: at, attributes: this.#withUser(work, attributes) }, active);
    span.end(at);
    this.#creation.set(work, trace.setSpan(active, span));
  }

  /**
   * Opens the process span of an attempt that started at `startedAt` and returns the context
   * the handler runs in: a child of the creation context (`parent: "submit"`) or a new trace
   * linked to it (`parent: "link"`).
   */
  started(work: Work, attempt: number, services: readonly string[], startedAt: number, wait: WaitBreakdown): Context {
    const creation = this.#creation.get(work);
    const creationSpan = creation === undefined ? undefined : trace.getSpanContext(creation);
    const links: Link[] = creationSpan !== undefined && trace.isSpanContextValid(creationSpan) ? [{ context: creationSpan }] : [];
    const parent = this.#settings.parent === "submit" ? creation ?? ROOT_CONTEXT : ROOT_CONTEXT;
    const at = toHrTime(startedAt);
    const attributes: Attributes = { ...this.#common(work, "process", "run"), [ATTR.attempt]: attempt, [ATTR.services]: [...services], [ATTR.waitMs]: wait.totalMs };
    const span = this.#settings.tracer.startSpan(`process ${work.task}`, { kind: SpanKind.CONSUMER, startTime: at, links, attributes: this.#withUser(work, attributes) }, parent);
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
    const attributes: Attributes = { ...this.#common(work, "process", "skip"), [ATTR.outcome]: "skipped" };
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
  }

  #common(work: Work, type: string, name: string): Attributes {
    return {
      [ATTR.system]: SYSTEM,
      [ATTR.operationType]: type,
      [ATTR.operationName]: name,
      [ATTR.destination]: work.task,
      [ATTR.messageId]: work.id,
    };
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

/** The semantic conventions' exception event attributes, with the type named as `error.type` names it. */
function exceptionAttributes(error: Error): Attributes {
  const attributes: Attributes = { "exception.type": errorType(error), "exception.message": String(error.message) };
  if (typeof error.stack === "string") attributes["exception.stacktrace"] = error.stack;
  return attributes;
}
