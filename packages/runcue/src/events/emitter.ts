import { ConfigurationError, describeValue } from "../errors.js";
import { EVENT_NAMES, type CueEventMap, type CueEventName, type CueListener } from "./event-map.js";

/** Receives what a listener threw or rejected with. */
export type ListenerErrorHandler = (error: unknown, event: CueEventName) => void;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
  } catch {
    return false;
  }
}

/**
 * The cue's listeners, one list per event. Every emit goes through {@link Emitter.emit}, which
 * calls each listener in registration order and isolates it: a throw, or the rejection of a
 * returned promise, goes to the error handler, and a handler that itself throws goes to
 * `console.error`. Nothing a listener does reaches the scheduler. A listener removed during an
 * emit still gets that emit. Build payloads behind {@link has} so no object is made for events
 * nobody listens to.
 */
export class Emitter {
  /**
   * The listener lists, by event: a plain object with a fixed shape, so `listeners.start.length`
   * at a hot call site is one monomorphic property read (cheaper than a call to {@link has}).
   * Read-only for callers; only {@link on} and its removers change the lists.
   */
  readonly listeners: Readonly<Record<CueEventName, readonly unknown[]>>;
  readonly #lists: Record<CueEventName, ((payload: never) => unknown)[]> = {
    submit: [], queue: [], block: [], start: [], complete: [], fail: [], skip: [], retry: [], cancel: [],
    pause: [], wait: [], pendingWarning: [], stall: [], idle: [], tick: [],
  };
  readonly #onError: ListenerErrorHandler;

  constructor(onError: ListenerErrorHandler) {
    this.#onError = onError;
    this.listeners = this.#lists;
  }

  /**
   * Adds a listener; returns a function that removes it.
   * @throws ConfigurationError for an unknown event name or a listener that is not a function.
   */
  on<E extends CueEventName>(event: E, listener: CueListener<E>): () => void {
    const list = Object.hasOwn(this.#lists, event) ? this.#lists[event] : undefined;
    if (list === undefined) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Unknown event: ${describeValue(event)} (expected one of ${EVENT_NAMES.join(", ")})`);
    }
    if (typeof listener !== "function") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid listener for "${event}": ${describeValue(listener)} (expected a function)`);
    }
    list.push(listener as (payload: never) => unknown);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const i = list.indexOf(listener as (payload: never) => unknown);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** True when someone listens to `event`. */
  has(event: CueEventName): boolean {
    return this.#lists[event].length > 0;
  }

  emit<E extends CueEventName>(event: E, payload: CueEventMap[E]): void {
    const list = this.#lists[event] as ((payload: CueEventMap[E]) => unknown)[];
    if (list.length === 0) return;
    const snapshot = list.length === 1 ? list : list.slice();
    for (let i = 0; i < snapshot.length; i++) {
      try {
        const r = (snapshot[i] as (payload: CueEventMap[E]) => unknown)(payload);
        if (r !== undefined && isThenable(r)) this.#watch(r, event);
      } catch (error) {
        this.#report(error, event);
      }
    }
  }

  #watch(result: PromiseLike<unknown>, event: CueEventName): void {
    try {
      result.then(undefined, (error: unknown) => this.#report(error, event));
    } catch (error) {
      this.#report(error, event);
    }
  }

  #report(error: unknown, event: CueEventName): void {
    try {
      const r: unknown = (this.#onError as (e: unknown, n: CueEventName) => unknown)(error, event);
      if (r !== undefined && isThenable(r)) {
        r.then(undefined, (e: unknown) => console.error(`runcue: onListenerError rejected while reporting a "${event}" listener error:`, e));
      }
    } catch (inner) {
      console.error(`runcue: onListenerError threw while reporting a "${event}" listener error:`, inner, "original error:", error);
    }
  }
}
