import type { Work } from "./work.js";

/**
 * Every event of a cue and its listener's arguments. The design's callbacks keep their
 * positional signatures (`complete: (work, result, durationMs)`).
 */
export interface CueEvents {
  /** A work is about to run its handler (after it took its service slots and rate starts). */
  start: (work: Work) => void;
  /** A handler returned. `durationMs` runs from just before `onStart` to the handler's return. */
  complete: (work: Work, result: unknown, durationMs: number) => void;
  /** A work failed for good: handler error with no retries left, `Permanent`, or a timeout. */
  failure: (work: Work, error: Error) => void;
  /** A work was cancelled (by `cancel`, or abandoned by `stop({ timeout })`). */
  cancel: (work: Work) => void;
  /** A work was ready and not stale: completed without running. */
  skip: (work: Work) => void;
  /** A failed attempt will be retried after `delayMs`. */
  retry: (work: Work, error: Error, delayMs: number) => void;
  /** A work has been pending longer than `pendingWarnAfter` (once per pending spell). */
  pendingWarning: (work: Work, pendingMs: number) => void;
  /** Work is pending and nothing has happened for `stallWarnAfter` (once per stall). */
  stallWarning: (msSinceProgress: number, pendingCount: number) => void;
}

/** The name of an event in {@link CueEvents}. */
export type CueEventName = keyof CueEvents;

/** Reports a listener's exception without letting it reach the scheduler. */
export type ListenerErrorHandler = (error: unknown, event: CueEventName) => void;

/**
 * Listener lists, one per event. `emit` calls each listener in registration order and isolates
 * their exceptions; a listener removed during an emit still gets that emit.
 */
export class Listeners {
  readonly #lists: { [E in CueEventName]: CueEvents[E][] } = {
    start: [], complete: [], failure: [], cancel: [], skip: [], retry: [], pendingWarning: [], stallWarning: [],
  };
  readonly #onError: ListenerErrorHandler;

  constructor(onError: ListenerErrorHandler) {
    this.#onError = onError;
  }

  /** Adds a listener; returns a function that removes it. */
  add<E extends CueEventName>(event: E, listener: CueEvents[E]): () => void {
    if (typeof listener !== "function") throw new TypeError(`Listener for "${event}" must be a function, got ${typeof listener}`);
    const list = this.#lists[event] as CueEvents[E][];
    list.push(listener);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  has(event: CueEventName): boolean {
    return this.#lists[event].length > 0;
  }

  emit<E extends CueEventName>(event: E, ...args: Parameters<CueEvents[E]>): void {
    const list = this.#lists[event];
    if (list.length === 0) return;
    const snapshot = list.length === 1 ? list : list.slice();
    for (let i = 0; i < snapshot.length; i++) {
      try {
        (snapshot[i] as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.#onError(error, event);
      }
    }
  }
}
