import type { Limiter } from "../limits/limiter.js";
import type { ServiceOptions } from "../limits/service-options.js";
import type { Clock } from "../time/clock.js";
import type { Lifecycle } from "../work/lifecycle.js";
import { Phase } from "../work/phase.js";
import type { WorkRecord } from "../work/record.js";
import type { Catalog } from "./catalog.js";
import { costOf } from "./cost-of.js";

/** What following a service's new limits needs from the engine. */
export interface LimitUpdatesHost {
  readonly clock: Clock;
  readonly lifecycle: Lifecycle;
  readonly catalog: Catalog;
  pendingWorks(): Iterable<WorkRecord>;
  /** Runs a dispatch pass soon. */
  kick(): void;
}

/**
 * What a `service.update()` changes beyond the limiter: the service's options are kept (later
 * updates merge with them), worker pools follow, and a pending work whose cost no longer fits a
 * whole window fails now, as a submit would have been refused (waiting could never start it).
 */
export class LimitUpdates {
  readonly #host: LimitUpdatesHost;
  /** Set by the first update: from then on a work entering its queue has its cost checked again. */
  #updated = false;

  constructor(host: LimitUpdatesHost) {
    this.#host = host;
  }

  /** The service of `limiter` took `options` (merged, `per` included). A work being checked holds its reservation and starts. */
  serviceUpdated(limiter: Limiter, options: ServiceOptions): void {
    const host = this.#host;
    host.catalog.serviceUpdated(limiter.name, options);
    this.#updated = true;
    for (const work of [...host.pendingWorks()]) {
      if (work.phase !== Phase.New && work.phase !== Phase.Checking && work.lane.services.includes(limiter)) this.#refuseOverLimit(work);
    }
    host.kick();
  }

  /**
   * A work entered its queue. One that ran (or was screened) across an update may come back to a
   * lower limit: it fails rather than waits forever, once the queueing in progress is over.
   */
  queued(work: WorkRecord): void {
    if (this.#updated && work.cost !== undefined) queueMicrotask(() => { if (work.phase === Phase.Queued) this.#refuseOverLimit(work); });
  }

  /** Fails a pending work whose cost exceeds a whole window of the limits now in force (lowered since its submit). */
  #refuseOverLimit(work: WorkRecord): void {
    try {
      if (work.cost !== undefined) costOf(work, work.cost);
    } catch (error) {
      this.#host.lifecycle.fail(work, error as Error, this.#host.clock.now());
      this.#host.kick();
    }
  }
}
