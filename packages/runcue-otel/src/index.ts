/**
 * OpenTelemetry traces and metrics for a runcue cue: `instrument(cue)` makes a span per attempt
 * with the handler running inside it, spans at submit, and counters, histograms and gauges,
 * following the OpenTelemetry messaging semantic conventions.
 * @module
 */
export { instrument } from "./instrument.js";
export type { InstrumentOptions } from "./instrument.js";
export type { ParentMode } from "./spans.js";
export type { Outcome } from "./attributes.js";
export type { WaitBreakdown } from "./waits.js";
export { DURATION_BUCKETS, WAIT_BUCKETS } from "./metrics.js";
export { VERSION } from "./version.js";
