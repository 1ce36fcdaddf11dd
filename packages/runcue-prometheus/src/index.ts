/**
 * Prometheus metrics for a runcue cue through prom-client: `register(cue)` publishes counters,
 * histograms and gauges in a registry, `metricsHandler()` serves them from a plain `node:http` server.
 * @module
 */
export { register } from "./register.js";
export type { RegisterOptions } from "./options.js";
export { metricsHandler } from "./handler.js";
export type { MetricsHandlerOptions } from "./handler.js";
export { DURATION_BUCKETS, METRIC_NAMES, WAIT_BUCKETS } from "./metric-set.js";
