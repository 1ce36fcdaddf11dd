import { writeFile } from "node:fs/promises";
import { Cue, sleep, systemClock, VirtualClock, type Clock, type TimerHandle } from "runcue";
import type { SimConfig } from "./config.js";
import { ConditionRecorder } from "./conditions.js";
import { createContext } from "./context.js";
import { MultiDisplay, type Display, type Output } from "./display/display.js";
import { JsonDisplay } from "./display/json.js";
import { PlainDisplay } from "./display/plain.js";
import { TuiDisplay } from "./display/tui.js";
import { VerboseDisplay } from "./display/verbose.js";
import { RealDriver, VirtualDriver, type Driver } from "./driver.js";
import { EtaModel } from "./eta.js";
import type { SimEvent } from "./events.js";
import { streamFor } from "./random.js";
import { renderReport } from "./report/html.js";
import { findScenario } from "./scenarios/index.js";
import type { Scenario, Workload } from "./scenarios/scenario.js";
import type { Snapshot } from "./snapshot.js";
import { StallWatch, type StallReport } from "./stall.js";
import { SimState } from "./state.js";
import { EXIT_CODES, EXIT_REPORT_FAILED, ms, round, summariseConfig, summariseStall, SUMMARY_VERSION, type Outcome, type ReasonCounts, type Summary } from "./summary.js";

/** Where a run writes. */
export interface RunIO {
  stdout: Output;
  stderr: Output;
}

/** Extra hooks of {@link runSimulation}. */
export interface RunHooks {
  /** Aborting it stops the run as Ctrl+C does (outcome `interrupted`). */
  interrupt?: AbortSignal;
  /** Receives every event (tests compare runs with it). */
  onEvent?: (event: SimEvent) => void;
  /** Receives a snapshot every `everyMs` of the run's clock while it runs (what the live display would show then). */
  sample?: { everyMs: number; onSnapshot: (snapshot: Snapshot) => void };
}

/** How often a stall report repeats while the stall lasts (run-clock ms). */
const STALL_REPEAT_MS = 30_000;

function createDisplay(config: SimConfig, scenario: Scenario, io: RunIO): Display {
  const ctx = { config, scenario, out: io.stdout };
  switch (config.mode) {
    case "tui": return new TuiDisplay(ctx);
    case "verbose": return new VerboseDisplay(ctx);
    case "json": return config.verboseToStderr
      ? new MultiDisplay([new VerboseDisplay({ ...ctx, out: io.stderr }, false), new JsonDisplay(io.stdout)])
      : new JsonDisplay(io.stdout);
    default: return new PlainDisplay(ctx);
  }
}

/** Makes the initial submissions, one every `1000 / rate` ms of the run's clock if paced. */
async function submitWorkload(workload: Workload, clock: Clock, rate: number | undefined, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < workload.length; i++) {
    if (signal.aborted) return;
    if (rate !== undefined && i > 0) await sleep(clock, 1000 / rate, signal);
    await (workload[i] as () => Promise<unknown>)();
  }
}

/**
 * Runs one simulation: builds the scenario on a cue (real or virtual clock), shows it on the
 * display its mode asks for, watches for stalls, and resolves with the final summary once all
 * work ended, the run stalled past `--timeout`, `--duration` passed, or it was interrupted.
 * Writes the HTML report when asked. Never exits the process: the CLI does that.
 */
export async function runSimulation(config: SimConfig, io: RunIO, hooks: RunHooks = {}): Promise<Summary> {
  const scenario = findScenario(config.scenario);
  if (scenario === undefined) throw new Error(`Unknown scenario: ${config.scenario}`);
  const virtual = config.virtual ? new VirtualClock(0) : undefined;
  const clock: Clock = virtual ?? systemClock;
  const retryRandom = streamFor(config.seed, "retry-jitter");
  const cue = new Cue({
    clock,
    random: () => retryRandom.next(),
    onListenerError: (error, event) => io.stderr.write(`runcue-sim: internal error in a "${event}" listener: ${String(error)}\n`),
  });
  const realStart = performance.now();
  const startAt = clock.now();
  const elapsed = (): number => clock.now() - startAt;
  const state = new SimState(elapsed, config.reportPath !== undefined);
  const display = createDisplay(config, scenario, io);
  state.onEvent((e) => display.event?.(e));
  if (hooks.onEvent) state.onEvent(hooks.onEvent);
  const detach = state.attach(cue);
  const workload = scenario.setup(createContext(cue, config, state));
  state.addServices(cue.status().services);
  const eta = new EtaModel(state, config.latencyMs);
  eta.setLimits(cue.status());
  if (config.submitRate !== undefined) eta.setLastSubmission(((workload.length - 1) * 1000) / config.submitRate);
  const conditions = config.reportPath === undefined ? undefined : new ConditionRecorder(state, () => cue.status(), () => clock.now(), elapsed);

  let finish!: (outcome: Outcome) => void;
  const stopped = new Promise<Outcome>((resolve) => { finish = resolve; });
  let stallAtEnd: StallReport | undefined;
  const stopStalled = (report: StallReport, why: "timeout" | "deadlock"): void => {
    if (stallAtEnd !== undefined) return;
    stallAtEnd = report;
    display.stopStalled?.(report, why);
    finish("stalled");
  };
  const watch = new StallWatch(cue, state, startAt, {
    afterMs: config.stallAfterMs,
    timeoutMs: config.timeoutS === undefined ? undefined : config.timeoutS * 1000,
    repeatMs: STALL_REPEAT_MS,
    onStall: (stall, repeat) => {
      if (!repeat && conditions !== undefined) {
        const report = stall.report();
        conditions.stallStarted(report.since, report.kind, stallReason(report));
      }
      display.stall?.(stall, repeat);
      // On virtual time a stall that nothing can end would spin forever: stop it.
      if (virtual !== undefined && config.timeoutS === undefined && stall.deadlocked) stopStalled(stall.report(), "deadlock");
    },
    onResume: (kind) => {
      conditions?.stallEnded(elapsed());
      display.resume?.(kind);
    },
    onTimeout: (report) => stopStalled(report, "timeout"),
  });

  // Once the run is stopping (running work finishing after --duration), there is no ETA to give.
  let stopping = false;
  const snapshot = (): Snapshot => {
    const s = takeSnapshot(cue, state, watch, eta, elapsed());
    return stopping ? { ...s, etaMs: undefined, stopping: true } : s;
  };
  const driver: Driver = virtual ? new VirtualDriver(virtual, () => display.tick?.(snapshot)) : new RealDriver(() => display.tick?.(snapshot));
  const onInterrupt = (): void => finish("interrupted");
  hooks.interrupt?.addEventListener("abort", onInterrupt, { once: true });
  if (hooks.interrupt?.aborted) finish("interrupted");
  let durationTimer: TimerHandle = undefined;
  if (config.durationS !== undefined) durationTimer = clock.setTimeout(() => finish("duration"), config.durationS * 1000);
  let sampleTimer: TimerHandle = undefined;
  const sample = hooks.sample;
  if (sample !== undefined) {
    const every = Math.max(1, sample.everyMs);
    const next = (): void => {
      sampleTimer = clock.setTimeout(() => {
        sample.onSnapshot(snapshot());
        next();
      }, every);
    };
    next();
  }

  display.begin?.();
  cue.start();
  watch.start();
  const done = new AbortController();
  const allEnded = submitWorkload(workload, clock, config.submitRate, done.signal)
    .then(() => cue.idle({ signal: done.signal }))
    .then((): Outcome => "completed");
  allEnded.catch(() => undefined); // rejects when the run stops first: nothing to report
  let outcome: Outcome;
  // Why work is pending, taken before the cue stops (after it, every pending work's reason is
  // "the cue is not started").
  let pendingByReason: ReasonCounts = {};
  try {
    outcome = await driver.run(Promise.race([allEnded, stopped]));
    if (outcome !== "completed") {
      const status = cue.status();
      if (status.pending > 0) {
        const report = stallAtEnd ?? watch.report();
        pendingByReason = { ...report.byReason };
        // Work pending and none running: the run ended stalled or waiting; say for what.
        if (status.running === 0) stallAtEnd ??= report;
      }
    }
  } finally {
    done.abort();
    watch.stop();
    if (durationTimer !== undefined) clock.clearTimeout(durationTimer);
    if (sampleTimer !== undefined) clock.clearTimeout(sampleTimer);
    hooks.interrupt?.removeEventListener("abort", onInterrupt);
  }

  // --duration lets running work finish; a stall or Ctrl+C abandons it at once.
  const graceful = outcome === "completed" || outcome === "duration";
  stopping = true;
  await driver.run(cue.stop(graceful ? {} : { timeout: 0 }));
  detach();
  conditions?.finish(elapsed());

  // The last frame shows the final counts, and the stall as it was before the cue stopped.
  const last: Snapshot = { ...snapshot(), stall: stallAtEnd, etaMs: undefined, stopping: false };
  const summary = summarise(config, cue, state, outcome, elapsed(), performance.now() - realStart, stallAtEnd, pendingByReason);
  if (config.reportPath !== undefined) {
    try {
      await writeFile(config.reportPath, renderReport({ summary, config, scenario, attempts: state.attempts, spans: state.spans(), conditions: conditions?.conditions ?? [], endMs: elapsed(), rateIntervalsMs: cue.status().services.flatMap((x) => x.rates.map((r) => r.intervalMs)) }));
    } catch (error) {
      summary.report = null;
      summary.reportError = error instanceof Error ? error.message : String(error);
      if (summary.exitCode === 0) summary.exitCode = EXIT_REPORT_FAILED;
      io.stderr.write(`runcue-sim: could not write --report ${config.reportPath}: ${summary.reportError}\n`);
    }
  }
  display.end(summary, last);
  return summary;
}

/** A stall in one line, for the report's timeline. */
function stallReason(report: StallReport): string {
  const reasons = Object.entries(report.byReason).map(([r, n]) => `${r} ${n}`).join(", ");
  const first = report.items[0];
  const what = report.kind === "waiting" ? "waiting for a known moment" : "stalled: only work that is not ready";
  return `${what}; ${report.total} pending (${reasons})${first === undefined ? "" : `; e.g. ${first.task} ${first.label}: ${first.details}`}`;
}

function takeSnapshot(cue: Cue, state: SimState, watch: StallWatch, eta: EtaModel, elapsedMs: number): Snapshot {
  const status = cue.status();
  const seconds = elapsedMs / 1000;
  const totals = new Map(state.services.map((s) => [s.name, s]));
  const recent = state.recentThroughput();
  const c = state.counts;
  const stall = watch.current();
  const now = cue.clock.now();
  const paused = new Map(status.services.map((s) => [s.name, s.pausedUntil > 0 ? s.pausedUntil - now : 0]));
  return {
    elapsedMs,
    queue: {
      queued: status.queued,
      waiting: status.blocked + status.checking,
      running: status.running,
      retrying: status.delayed,
      completed: c.completed,
      skipped: c.skipped,
      failed: c.failed,
      cancelled: c.cancelled,
    },
    submitted: c.submitted,
    expected: state.expected,
    done: state.done,
    progress: state.expected === 0 ? 1 : state.done / state.expected,
    throughput: seconds > 0 ? c.completed / seconds : 0,
    recentThroughput: recent,
    // Blocked work gives no ETA: it may never end.
    etaMs: stall?.kind === "blocked" ? undefined : eta.estimate(elapsedMs, status, (service) => paused.get(service) ?? 0),
    services: status.services.map((s) => {
      const t = totals.get(s.name);
      const window = s.rates[0];
      return {
        name: s.name,
        active: s.active,
        concurrent: s.concurrent,
        rate: window === undefined ? undefined : { used: window.used, limit: window.limit, intervalMs: window.intervalMs },
        completed: t?.completed ?? 0,
        failed: t?.failed ?? 0,
        throughput: seconds > 0 && t ? (t.completed + t.failed) / seconds : 0,
      };
    }),
    recent: state.recent,
    stall,
  };
}

function summarise(config: SimConfig, cue: Cue, state: SimState, outcome: Outcome, durationMs: number, realMs: number, stall: StallReport | undefined, pendingByReason: ReasonCounts): Summary {
  const seconds = durationMs / 1000;
  const status = cue.status();
  const c = state.counts;
  const limits = new Map(status.services.map((s) => [s.name, s]));
  return {
    version: SUMMARY_VERSION,
    scenario: config.scenario,
    seed: config.seed,
    clock: config.virtual ? "virtual" : "real",
    outcome,
    exitCode: EXIT_CODES[outcome],
    submitted: c.submitted,
    completed: c.completed,
    skipped: c.skipped,
    failed: c.failed,
    cancelled: c.cancelled,
    retries: c.retries,
    invalidations: c.invalidations,
    pending: status.pending,
    pendingByReason: status.pending > 0 ? pendingByReason : {},
    durationMs: ms(durationMs),
    realMs: ms(realMs),
    completedPerSecond: round(seconds > 0 ? c.completed / seconds : 0, 3),
    services: state.services.map((t) => {
      const s = limits.get(t.name);
      const concurrent = s !== undefined && Number.isFinite(s.concurrent) ? s.concurrent : null;
      return {
        name: t.name,
        concurrent,
        rate: t.rate,
        started: t.started,
        completed: t.completed,
        failed: t.failed,
        retried: t.retried,
        busyMs: ms(t.busyMs),
        utilisation: concurrent === null || durationMs <= 0 ? null : round(t.busyMs / (concurrent * durationMs), 4),
        endedPerSecond: round(seconds > 0 ? (t.completed + t.failed) / seconds : 0, 3),
      };
    }),
    config: summariseConfig(config),
    stall: stall === undefined ? null : summariseStall(stall),
    report: config.reportPath ?? null,
    reportError: null,
  };
}
