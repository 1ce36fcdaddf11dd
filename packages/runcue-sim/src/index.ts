/**
 * runcue-sim as a library: run the built-in scenarios programmatically (the CLI is a thin
 * adapter over {@link runSimulation}).
 * @module
 */
export { runSimulation } from "./runner.js";
export type { RunHooks, RunIO } from "./runner.js";
export { resolveConfig, DEFAULTS } from "./config.js";
export type { OutputMode, SimConfig, SimOptions } from "./config.js";
export { SCENARIOS, findScenario } from "./scenarios/index.js";
export type { Scenario, ScenarioContext, SimResult, Submitted, Workload } from "./scenarios/scenario.js";
export { SUMMARY_VERSION, EXIT_CODES, EXIT_REPORT_FAILED } from "./summary.js";
export type { Summary, ServiceSummary, StallSummary, BlockedItemSummary, ReasonCounts, Outcome } from "./summary.js";
export type { Snapshot, ServiceView, QueueView } from "./snapshot.js";
export type { SimEvent, SimEventKind } from "./events.js";
export type { StallReport, BlockedItem } from "./stall.js";
export type { Output } from "./display/display.js";
export { parseCommand, parseRateFlag, helpText, UsageError } from "./args.js";
