import type { SimEvent } from "./events.js";
import type { StallReport } from "./stall.js";

/** One service row of the live display. */
export interface ServiceView {
  name: string;
  /** Works running (or holding a slot while their checks run). */
  active: number;
  /** The concurrency cap; `Infinity` when unlimited. */
  concurrent: number;
  /** The first rate window: starts used in the window ending now. */
  rate: { used: number; limit: number; intervalMs: number } | undefined;
  completed: number;
  failed: number;
  /** Works ended per second since the run started. */
  throughput: number;
}

/** Where works are now. */
export interface QueueView {
  /** In a service queue, waiting for a slot or a rate start. */
  queued: number;
  /** Not ready (or being checked). */
  waiting: number;
  running: number;
  /** Waiting out a retry delay. */
  retrying: number;
  completed: number;
  skipped: number;
  failed: number;
  cancelled: number;
}

/** What the live displays draw, taken at one moment. Times are ms on the run's clock. */
export interface Snapshot {
  elapsedMs: number;
  queue: QueueView;
  submitted: number;
  /** Works the run expects in all (the scenario's plan). */
  expected: number;
  /** Works that ended. */
  done: number;
  /** done / expected, in [0, 1]. */
  progress: number;
  /** Completed works per second since the start. */
  throughput: number;
  /** Works ended per second over the last few seconds. */
  recentThroughput: number;
  /** Estimated time left, from the recent throughput; undefined when unknown. */
  etaMs: number | undefined;
  services: ServiceView[];
  recent: readonly SimEvent[];
  stall: StallReport | undefined;
  /** The run is stopping: no more starts; running work finishes (after --duration) or is abandoned. */
  stopping?: boolean;
}
