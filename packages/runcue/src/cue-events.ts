import { awaitWith } from "./engine/notices.js";
import type { Emitter } from "./events/emitter.js";
import type { CueEventName, CueListener } from "./events/event-map.js";
import type { ResultOf, TaskMap, WorkOf } from "./typing.js";
import { checkFunction, checkOptions, checkSignal } from "./validate.js";

/** Options of {@link CueEvents.once} (and of `cue.wait`, `cue.idle`). */
export interface WaitOptions {
  /** Stop waiting (reject with the signal's reason) when this aborts. Work is not affected. */
  signal?: AbortSignal;
}

/**
 * The listening half of a {@link Cue}: `on`, `once`, and the positional `on…` listeners. Typed by
 * the cue's tasks (`cue.typed()`), so listeners narrow `work.params` and `work.result` by
 * `work.task`.
 */
export class CueEvents<T extends TaskMap> {
  readonly #events: Emitter;

  /** @internal */
  constructor(events: Emitter) {
    this.#events = events;
  }

  /**
   * Listens for an event (see {@link CueEventMap}); returns a function that removes the listener.
   * Listeners may call back into the cue; what they throw or reject with goes to `onListenerError`.
   * @throws ConfigurationError for an unknown event or a listener that is not a function.
   * @example
   * const off = cue.on("fail", ({ work, error }) => log.error(`${work.task} ${work.id}: ${error.message}`));
   */
  on<E extends CueEventName>(event: E, listener: CueListener<E, WorkOf<T>>): () => void {
    return this.#events.on(event, listener as CueListener<E>);
  }

  /**
   * Resolves with the payload of the next `event`; rejects with the signal's reason if it aborts first.
   * @example
   * const { work, error } = await cue.once("fail");
   */
  once<E extends CueEventName>(event: E, options: WaitOptions = {}): Promise<Parameters<CueListener<E, WorkOf<T>>>[0]> {
    checkOptions(options, ["signal"], "once options");
    checkSignal(options.signal, "once options");
    return awaitWith(options.signal, (resolve) => {
      const off = this.on(event, (payload) => {
        off();
        resolve(payload);
      });
      return off;
    });
  }

  /** Listens for work starting (before its handler). Returns a remover. Same as `on("start")`. */
  onStart(listener: (work: WorkOf<T>) => void): () => void {
    checkFunction(listener, "onStart listener");
    return this.on("start", ({ work }) => listener(work));
  }

  /** Listens for handlers returning: `(work, result, durationMs)`. Returns a remover. Same as `on("complete")`. */
  onComplete(listener: (work: WorkOf<T>, result: ResultOf<WorkOf<T>>, durationMs: number) => void): () => void {
    checkFunction(listener, "onComplete listener");
    return this.on("complete", ({ work, result, durationMs }) => listener(work, result, durationMs));
  }

  /** Listens for final failures (no retries left, `Permanent`, timeouts): `(work, error)`. Returns a remover. Same as `on("fail")`. */
  onFailure(listener: (work: WorkOf<T>, error: Error) => void): () => void {
    checkFunction(listener, "onFailure listener");
    return this.on("fail", ({ work, error }) => listener(work, error));
  }

  /** Listens for cancels: `cancel(id)`, or running work abandoned by `stop({ timeout })`. Returns a remover. Same as `on("cancel")`. */
  onCancel(listener: (work: WorkOf<T>) => void): () => void {
    checkFunction(listener, "onCancel listener");
    return this.on("cancel", ({ work }) => listener(work));
  }

  /** Listens for skips (ready and not stale; no handler ran). Returns a remover. Same as `on("skip")`. */
  onSkip(listener: (work: WorkOf<T>) => void): () => void {
    checkFunction(listener, "onSkip listener");
    return this.on("skip", ({ work }) => listener(work));
  }

  /** Listens for retries: `(work, error, delayMs)`; also fired when `RateLimited` requeues a work. Returns a remover. Same as `on("retry")`. */
  onRetry(listener: (work: WorkOf<T>, error: Error, delayMs: number) => void): () => void {
    checkFunction(listener, "onRetry listener");
    return this.on("retry", ({ work, error, delayMs }) => listener(work, error, delayMs));
  }

  /**
   * Listens for works pending longer than `pendingWarnAfter`: `(work, pendingMs)`, once per
   * pending spell. Without any listener the warning is printed with console.warn.
   */
  onPendingWarning(listener: (work: WorkOf<T>, pendingMs: number) => void): () => void {
    checkFunction(listener, "onPendingWarning listener");
    return this.on("pendingWarning", ({ work, pendingMs }) => listener(work, pendingMs));
  }

  /**
   * Listens for stalls longer than `stallWarnAfter`: `(msSinceProgress, pendingCount)`, once per
   * stall. Without any listener the warning is printed with console.warn. Same as `on("stall")`.
   */
  onStallWarning(listener: (msSinceProgress: number, pendingCount: number) => void): () => void {
    checkFunction(listener, "onStallWarning listener");
    return this.on("stall", ({ sinceProgressMs, pending }) => listener(sinceProgressMs, pending));
  }
}
