/**
 * Callers waiting for the cue to become idle (`cue.idle()`) or for running work to drain
 * (`cue.stop()`). Resolving is synchronous; the promises resolve on the next microtask.
 */
export class Waiters {
  #idle: (() => void)[] = [];
  #drain: (() => void)[] = [];

  /** Nothing is pending or running: resolve every `idle()`. */
  idleReached(): void {
    if (this.#idle.length === 0) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }

  /** No work runs any more (or the cue restarted): resolve every waiting `stop()`. */
  drained(): void {
    if (this.#drain.length === 0) return;
    const waiters = this.#drain;
    this.#drain = [];
    for (const resolve of waiters) resolve();
  }

  get draining(): boolean {
    return this.#drain.length > 0;
  }

  untilDrained(): Promise<void> {
    return new Promise<void>((resolve) => this.#drain.push(resolve));
  }

  /** Registers an idle waiter; returns its remover. */
  onIdle(resolve: () => void): () => void {
    this.#idle.push(resolve);
    return () => {
      const i = this.#idle.indexOf(resolve);
      if (i >= 0) this.#idle.splice(i, 1);
    };
  }
}
