// An OpenTelemetry SDK kept in memory: spans in an InMemorySpanExporter, metrics collected on
// demand by a reader the test calls, and the AsyncLocalStorage context manager that Node
// programs use, so `context.with` reaches the handler through its awaits.
import { context, type HrTime } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";

/** A reader that collects only when asked (cumulative, as Prometheus-style backends read). */
export class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let manager: AsyncLocalStorageContextManager | undefined;

/** Installs the AsyncLocalStorage context manager once for the test file. */
export function useContextManager(): void {
  if (manager !== undefined) return;
  manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
}

/** A fresh tracer provider, meter provider and their in-memory sinks. */
export function sdk(): { exporter: InMemorySpanExporter; tracerProvider: BasicTracerProvider; reader: ManualReader; meterProvider: MeterProvider; spans: () => ReadableSpan[]; metrics: () => Promise<MetricData[]> } {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    exporter,
    tracerProvider,
    reader,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    metrics: async () => {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0] as Error;
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    },
  };
}

/** HrTime → milliseconds, exactly enough for comparing with the cue's clock. */
export const ms = (t: HrTime): number => t[0] * 1000 + t[1] / 1e6;

/** The points of one metric, as { attributes, value } (histograms give their count and sum). */
export function points(all: MetricData[], name: string): { attributes: Record<string, unknown>; value: number; sum?: number | undefined }[] {
  const metric = all.find((m) => m.descriptor.name === name);
  if (metric === undefined) return [];
  return (metric.dataPoints as DataPoint<number | Histogram>[]).map((p) =>
    typeof p.value === "number" ? { attributes: p.attributes, value: p.value } : { attributes: p.attributes, value: p.value.count, sum: p.value.sum },
  );
}

/** The value of the point whose attributes include `match`, or undefined. */
export function valueOf(all: MetricData[], name: string, match: Record<string, unknown>): number | undefined {
  return points(all, name).find((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))?.value;
}
