import type { Cue, Handler, ServiceOptions, SubmitOptions, TaskHandle, TaskOptions, Work } from "runcue";
import type { SimConfig } from "../config.js";
import type { LatencySample } from "../latency.js";
import type { Random } from "../random.js";

/**
 * What a handler returns: the wait it simulated and, optionally, a note for the event log
 * (the `completed` line shows `{ms}ms [outlier] note`).
 */
export interface SimResult {
  latencyMs: number;
  outlier: boolean;
  note?: string;
}

/** What a scenario gets to build itself: the cue, the run's settings, and a few helpers. */
export interface ScenarioContext {
  /** The cue the scenario runs on (real or virtual clock). */
  readonly cue: Cue;
  /** The run's settings (count, latency model, error rate, main service limits). */
  readonly config: Readonly<SimConfig>;
  /** The random stream named `key`, derived from the run's seed. */
  random(key: string): Random;
  /** A simulated wait: `scale` × latency with jitter (and outliers, unless disabled). */
  latency(rng: Random, scale?: number, allowOutliers?: boolean): LatencySample;
  /** Waits on the run's clock: handlers wait only with this, so they run on both clocks. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** `cue.service`, also remembered for the per-service display. */
  service(name: string, options: ServiceOptions): void;
  /** `cue.task`, also remembering which service each task uses. */
  task<P, R>(name: string, options: TaskOptions<P>, handler: Handler<P, R>): TaskHandle<P, Awaited<R>>;
  /**
   * Submits a work and logs its `queued` event with `label` (what the work is about, such as
   * `item_0007`). `created` is false when a dedupe `key` matched a pending or running work.
   */
  submit<P>(task: TaskHandle<P, unknown>, params: P, label: string, options?: SubmitOptions): Promise<Submitted>;
  /**
   * Adjusts how many works the run expects in all, for progress and ETA; with `task`, of that
   * task (the ETA then knows which service the works will go through).
   */
  plan(delta: number, task?: string): void;
  /** Logs an `invalidated` event: work `by` marked `artifact` invalid. */
  invalidated(by: Work, artifact: string): void;
  /**
   * Says what a not-ready work is waiting for, in the scenario's terms (`waiting for part 3
   * of batch_0002, which failed: …`); stall reports add it to runcue's own reason.
   */
  explain(fn: (work: Work) => string | undefined): void;
}

/** The outcome of {@link ScenarioContext.submit}. */
export interface Submitted {
  id: string;
  /** False when the submission joined an existing work with the same key. */
  created: boolean;
}

/** The initial submissions, made in order (paced by `--submit-rate`). */
export type Workload = readonly (() => Promise<unknown>)[];

/** A built-in scenario: a dependency pattern over simulated services. */
export interface Scenario {
  readonly name: string;
  /** One line for `--list-scenarios`. */
  readonly description: string;
  /** Registers services and tasks and returns the initial workload. */
  setup(ctx: ScenarioContext): Workload;
}

/** Runs a simulated call: waits, then fails with `message` with probability `errorRate`. */
export async function simulate(ctx: ScenarioContext, rng: Random, signal: AbortSignal, options: { scale?: number; outliers?: boolean; errorRate?: number; error?: string } = {}): Promise<SimResult> {
  const wait = ctx.latency(rng, options.scale ?? 1, options.outliers ?? true);
  await ctx.sleep(wait.ms, signal);
  if (rng.chance(options.errorRate ?? ctx.config.errorRate)) throw new Error(options.error ?? "Simulated error");
  return { latencyMs: wait.ms, outlier: wait.outlier };
}

/** `item_0007`-style labels. */
export function label(prefix: string, index: number): string {
  return `${prefix}_${String(index).padStart(4, "0")}`;
}
