/**
 * Attribute names and values: the OpenTelemetry messaging semantic conventions where they have
 * one (`messaging.*`, `error.type`), `runcue.*` for the rest.
 * @module
 */

/** `messaging.system` for every span and messaging metric. */
export const SYSTEM = "runcue";

/** Attribute keys. */
export const ATTR = {
  system: "messaging.system",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  destination: "messaging.destination.name",
  messageId: "messaging.message.id",
  errorType: "error.type",
  task: "runcue.task",
  attempt: "runcue.work.attempt",
  key: "runcue.work.key",
  priority: "runcue.work.priority",
  waitMs: "runcue.work.wait_ms",
  outcome: "runcue.outcome",
  waitReason: "runcue.wait.reason",
  waitNotReadyMs: "runcue.wait.not_ready_ms",
  waitQueuedMs: "runcue.wait.queued_ms",
  waitRateLimitedMs: "runcue.wait.rate_limited_ms",
  waitPausedMs: "runcue.wait.paused_ms",
  waitServiceFullMs: "runcue.wait.service_full_ms",
  services: "runcue.services",
  waitDelayedMs: "runcue.wait.delayed_ms",
  waitBlocks: "runcue.wait.blocks",
  retryDelayMs: "runcue.retry.delay_ms",
  state: "runcue.state",
  reason: "runcue.reason",
  service: "runcue.service",
  window: "runcue.rate.window",
} as const;

/** How an attempt, or a work, ended: the values of `runcue.outcome`. */
export type Outcome = "completed" | "failed" | "retried" | "cancelled" | "skipped";

/** The `error.type` of an error: its `name` (`TimeoutError`, `Permanent`, `RateLimited`, ...), or `Error`. */
export function errorType(error: Error): string {
  return typeof error.name === "string" && error.name !== "" ? error.name : "Error";
}
