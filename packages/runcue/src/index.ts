/**
 * runcue: run interdependent background work against rate-limited services, in memory.
 * Dependencies are artifacts, not task completion: you answer `isReady` and `isStale`,
 * runcue decides when work runs.
 * @module
 */
export { Cue } from "./cue.js";
export type { ListOptions, StopOptions, TaskHandle, WaitOptions } from "./cue.js";
export type { BlockReason, BlockedInfo, CueStatus, PriorityContext, SubmitOptions } from "./types.js";
export type { CueOptions } from "./options.js";
export type { ServiceOptions, ServiceStatus } from "./service.js";
export type { Check, Handler, TaskOptions } from "./task.js";
export type { RetryOptions as TaskRetryOptions } from "./retry.js";
export type { Work, WorkState } from "./work.js";
export type { CueEventName, CueEvents } from "./events.js";
export type { Duration } from "./duration.js";
export type { Rate, RateSpec } from "./rate.js";
export { parseDuration } from "./duration.js";
export { parseRate } from "./rate.js";
export type { ParsedRate } from "./rate.js";
export { systemClock, sleep } from "./clock.js";
export type { Clock, TimerHandle } from "./clock.js";
export { VirtualClock } from "./virtual-clock.js";
export {
  CancelledError,
  ConfigurationError,
  Permanent,
  RateLimited,
  Retry,
  RuncueError,
  TimeoutError,
} from "./errors.js";
export type { RateLimitedOptions, RetryOptions, RuncueErrorCode, RuncueErrorOptions, TimeoutKind } from "./errors.js";
