/**
 * Case 13 (issue 12): what watching a cue costs. The same works run uninstrumented, with
 * runcue-otel and no OpenTelemetry SDK registered (the API's no-op providers), with runcue-otel
 * and an SDK keeping spans in memory, and with runcue-prometheus; time and CPU per work, side by
 * side in one run.
 */
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Registry } from "prom-client";
import { Cue } from "runcue";
import { instrument } from "runcue-otel";
import { register } from "runcue-prometheus";
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { median } from "../lib/stats.js";
import { formatCount, formatRatio, type Table } from "../lib/table.js";
import { now } from "../lib/time.js";

const CONCURRENCY = 100;
/** The design note (part C.4): instrumentation with no SDK within 10 % of uninstrumented. */
const MAX_RATIO = 1.1;

/** How the works are watched. */
type Watch = "none" | "otel-nosdk" | "otel-sdk" | "prometheus";
const WATCHES: readonly { watch: Watch; label: string }[] = [
  { watch: "none", label: "uninstrumented" },
  { watch: "otel-nosdk", label: "runcue-otel, no SDK registered" },
  { watch: "otel-sdk", label: "runcue-otel, SDK with in-memory span exporter and a meter" },
  { watch: "prometheus", label: "runcue-prometheus register()" },
];

/** What each work does. */
type Kind = "noop" | "timer";
const KINDS: readonly { kind: Kind; label: string; handler: () => Promise<void> }[] = [
  { kind: "noop", label: "no-op handler (never yields)", handler: async () => undefined },
  { kind: "timer", label: "handler awaiting a 1 ms timer", handler: () => new Promise((resolve) => setTimeout(resolve, 1)) },
];

/** A metric reader that never exports: points are aggregated, as between two scrapes. */
class IdleReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One watch set up on a cue: removed (and its SDK shut down) after the timed part. */
async function watchCue(cue: Cue, watch: Watch): Promise<() => Promise<void>> {
  switch (watch) {
    case "none":
      return async () => undefined;
    case "otel-nosdk": {
      const uninstrument = instrument(cue); // the global providers: the API's no-ops
      return async () => uninstrument();
    }
    case "otel-sdk": {
      // A Node SDK setup: AsyncLocalStorage context, every span sampled and exported (here, to memory).
      const manager = new AsyncLocalStorageContextManager().enable();
      context.setGlobalContextManager(manager);
      const exporter = new InMemorySpanExporter();
      const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
      const uninstrument = instrument(cue, { tracerProvider, meterProvider });
      return async () => {
        uninstrument();
        context.disable(); // the other watches run without the async hooks of the context manager
        exporter.reset();
        await tracerProvider.shutdown();
        await meterProvider.shutdown();
      };
    }
    case "prometheus": {
      const unregister = register(cue, { registry: new Registry() });
      return async () => unregister();
    }
  }
}

interface Measured {
  wallMs: number;
  cpuMs: number;
}

/** `n` works through one service with `concurrent: 100`, submitted in one loop, timed from the first submit to `idle()`. */
async function runOnce(n: number, kind: (typeof KINDS)[number], watch: Watch): Promise<Measured> {
  const cue = new Cue();
  cue.service("s", { concurrent: CONCURRENCY });
  cue.task("job", { uses: "s" }, kind.handler);
  const unwatch = await watchCue(cue, watch);
  const cpu0 = process.cpuUsage();
  const t0 = now();
  void cue.start();
  for (let i = 0; i < n; i++) void cue.submit("job", i);
  await cue.idle();
  const wallMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await cue.stop();
  await unwatch();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * A cue of each watch kept alive for the whole case, as an application keeps its cue: the hidden
 * classes of the add-ons' objects then survive the forced GC before each run (see the README).
 */
const sentinels: unknown[] = [];
async function keepWatchersAlive(): Promise<void> {
  if (sentinels.length > 0) return;
  for (const { watch } of WATCHES) {
    const cue = new Cue();
    cue.service("s", { concurrent: CONCURRENCY });
    cue.task("job", { uses: "s" }, async () => undefined);
    if (watch === "otel-sdk") {
      instrument(cue, { tracerProvider: new BasicTracerProvider(), meterProvider: new MeterProvider({ readers: [new IdleReader()] }) });
    } else if (watch !== "none") {
      await watchCue(cue, watch);
    }
    void cue.start();
    for (let i = 0; i < 200; i++) void cue.submit("job", i);
    await cue.idle();
    sentinels.push(cue);
  }
}

const us = (ms: number, n: number): string => {
  const v = (ms * 1000) / n;
  return v >= 100 ? `${v.toFixed(0)} µs` : v >= 10 ? `${v.toFixed(1)} µs` : `${v.toFixed(2)} µs`;
};

export const observeCase: BenchCase = {
  id: "observe",
  title: "13. The cost of watching a cue",
  async run(ctx): Promise<CaseResult> {
    const sizes: Record<Kind, number> = ctx.quick ? { noop: 5_000, timer: 2_000 } : { noop: 30_000, timer: 10_000 };
    const rounds = ctx.quick ? 2 : 7;
    await keepWatchersAlive();
    const cpu = new Map<string, number[]>();
    const contenders = KINDS.flatMap((kind) =>
      WATCHES.map(({ watch }) => {
        const name = `${kind.kind} ${watch}`;
        cpu.set(name, []);
        return {
          name,
          warmup: () => runOnce(Math.min(sizes[kind.kind], 2_000), kind, watch),
          run: async () => {
            const m = await runOnce(sizes[kind.kind], kind, watch);
            cpu.get(name)!.push(m.cpuMs);
            return m.wallMs;
          },
        };
      }),
    );
    const samples = await interleave(rounds, contenders, (name, round, ms) => ctx.log(`observe ${name} round ${round + 1}: ${ms.toFixed(1)} ms`));
    const wall = (kind: Kind, watch: Watch): number => median(samples.get(`${kind} ${watch}`)!);
    const cpuOf = (kind: Kind, watch: Watch): number => median(cpu.get(`${kind} ${watch}`)!);
    const ratio = (kind: Kind, watch: Watch): number => wall(kind, watch) / wall(kind, "none");
    const cpuRatio = (kind: Kind, watch: Watch): number => cpuOf(kind, watch) / cpuOf(kind, "none");

    const table: Table = {
      title: "Watching a cue: uninstrumented, runcue-otel without and with an SDK, runcue-prometheus",
      workload: `One service with concurrent ${CONCURRENCY}, one task; ${formatCount(sizes.noop)} works with a no-op handler and ${formatCount(sizes.timer)} works whose handler awaits setTimeout(1), all submitted in one loop after start(), timed from the first submit to idle() (after a full GC; the watch is set up before and removed after the timed part); time and process CPU (user + system) per work; median of ${rounds} interleaved rounds. runcue-otel without an SDK uses the global providers (the API's no-ops); with an SDK: BasicTracerProvider + SimpleSpanProcessor + InMemorySpanExporter, a MeterProvider whose reader is never collected, and the AsyncLocalStorage context manager.`,
      columns: ["handler", "watched by", "time per work", "CPU per work", "time vs uninstrumented", "CPU vs uninstrumented"],
      rows: KINDS.flatMap(({ kind, label }) =>
        WATCHES.map(({ watch, label: by }) => [label, by, us(wall(kind, watch), sizes[kind]), us(cpuOf(kind, watch), sizes[kind]), formatRatio(ratio(kind, watch)), formatRatio(cpuRatio(kind, watch))]),
      ),
    };
    const targets = [
      target(
        `runcue-otel with no SDK within ${MAX_RATIO}× of uninstrumented, handler awaiting a 1 ms timer`,
        `${us(wall("timer", "otel-nosdk"), sizes.timer)} vs ${us(wall("timer", "none"), sizes.timer)} per work (${formatRatio(ratio("timer", "otel-nosdk"))})`,
        ratio("timer", "otel-nosdk") <= MAX_RATIO,
      ),
      target(
        `runcue-otel with no SDK within ${MAX_RATIO}× of uninstrumented, no-op handler (the design note's throughput reading)`,
        `${us(wall("noop", "otel-nosdk"), sizes.noop)} vs ${us(wall("noop", "none"), sizes.noop)} per work (${formatRatio(ratio("noop", "otel-nosdk"))})`,
        ratio("noop", "otel-nosdk") <= MAX_RATIO,
      ),
    ];
    return {
      id: this.id,
      title: this.title,
      tables: [table],
      targets,
      notes: [
        "No-op handlers finish in a microtask, so the time per work is the scheduler's own cost and any per-work addition shows in full; with a handler that awaits a timer, 100 works run at once and the additions overlap the wait until the CPU per 100 works passes about 1 ms.",
        "With an SDK, the figures include making, sampling and exporting two spans per work (send and process) and recording the counters and histograms; a batch span processor and a real exporter cost differently.",
      ],
      data: {
        sizes,
        rounds,
        wallMs: Object.fromEntries(samples),
        cpuMs: Object.fromEntries(cpu),
        ratios: Object.fromEntries(KINDS.flatMap(({ kind }) => WATCHES.map(({ watch }) => [`${kind} ${watch}`, { time: ratio(kind, watch), cpu: cpuRatio(kind, watch) }]))),
      },
    };
  },
};
