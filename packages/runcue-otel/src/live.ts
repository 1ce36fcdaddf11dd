import { ProxyTracerProvider, createNoopMeter, type Meter, type TracerProvider } from "@opentelemetry/api";

/**
 * Whether anything records: with no SDK registered, the API's providers are no-ops, and the
 * instrumentation skips its bookkeeping (wait splits, spans, its middleware) rather than feed
 * them. Each check is a property read or two, cheap enough to ask at every attempt.
 * @module
 */

/** The API's no-op tracer provider: what a proxy hands spans to until an SDK is registered behind it. */
let noopTracerProvider: TracerProvider | undefined;
/** The class of the API's no-op meter. */
let noopMeterClass: unknown;

/**
 * A check of whether spans from `provider` can record (or carry a context), asked at every
 * attempt. The global provider is a proxy an SDK may be registered behind at any time, so for a
 * proxy the answer is read from it each time; the API's no-op provider never records; any other
 * provider (an SDK's, given as `tracerProvider`, or a proxy of another copy of the API) is
 * taken to record.
 */
export function tracingCheck(provider: TracerProvider): () => boolean {
  noopTracerProvider ??= new ProxyTracerProvider().getDelegate();
  const noop = noopTracerProvider;
  if (provider instanceof ProxyTracerProvider) return () => provider.getDelegate() !== noop;
  if (provider === noop || provider.constructor === noop.constructor) return () => false;
  return () => true;
}

/**
 * True when `meter` is the API's no-op meter (no meter provider registered when `instrument`
 * ran). The metrics API has no proxy: instruments made from a no-op meter stay no-ops even if
 * an SDK registers later, so this is decided once.
 */
export function isNoopMeter(meter: Meter): boolean {
  noopMeterClass ??= createNoopMeter().constructor;
  return meter.constructor === noopMeterClass;
}
