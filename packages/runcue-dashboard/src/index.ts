/**
 * A live web dashboard for a runcue cue, with no dependencies beyond Node: `serveDashboard(cue)`
 * serves one page that updates over server-sent events, showing each service's slots and rate
 * windows, why pending work waits, recent failures, throughput and stalls.
 * @module
 */
export { serveDashboard } from "./server.js";
export type { Dashboard } from "./server.js";
export type { DashboardOptions } from "./options.js";
export { REASON_TEXT } from "./snapshot.js";
export type { DashboardSnapshot, ExampleWork, FailureView, KeyView, RateView, ReasonView, ServiceView, ThroughputBucket } from "./snapshot.js";
