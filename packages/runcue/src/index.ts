/**
 * runcue: run interdependent background work against rate-limited services, in memory.
 * Dependencies are artifacts, not task completion: you answer `isReady` and `isStale`,
 * runcue decides when work runs.
 * @module
 */
export { Cue } from "./cue.js";
export type { StopOptions } from "./cue.js";
export type { CueEvents, WaitOptions } from "./cue-events.js";
export type { RunOptions, TaskHandle } from "./task-handle.js";
export type { AnyTasks, NamedWork, ResultOf, TaskMap, TaskName, TaskType, TasksOf, WorkOf } from "./typing.js";
export type { CompletedWork, CueOptions, OtherwiseStep, PriorityContext, StepOptions, SubmitOptions, TaskRef, ThenStep } from "./options.js";
export { DependencyError, FlowError } from "./flows/flow-error.js";
export type { BlockedInfo } from "./engine/explain.js";
export type { CueStatus, ListOptions } from "./engine/queries.js";
export type { CueSummary, CueTotals, ServiceSummary } from "./engine/summary.js";
export type { ServiceOptions } from "./limits/service-options.js";
export type { JointAcquire, Limiter, LimitBlock, ServiceStatus } from "./limits/limiter.js";
export { memoryStore } from "./limits/store.js";
export { ServiceHandle } from "./service-handle.js";
export type { Observation } from "./service-handle.js";
export type { Costs } from "./limits/costs.js";
export type { KeyStatus, ObserveOptions, WindowStatus } from "./limits/limiter.js";
export type { LimiterStore, StoreContext } from "./limits/store.js";
export { MemoryLimiter } from "./limits/memory-limiter.js";
export type { TaskOptions } from "./task.js";
export type { RetryOptions as TaskRetryOptions } from "./engine/retry-policy.js";
export type { Check, Handler, Work, WorkState } from "./work/work.js";
export type { BlockReason, CueEventMap, CueEventName, CueListener, WorkEventName } from "./events/event-map.js";
export type { AttemptContext, Middleware } from "./run/middleware.js";
export type { ScheduleHandle, ScheduleInfo } from "./schedule/schedules.js";
export type { CatchUpOptions, OverlapMode, SchedulableTask, ScheduleOptions, ScheduleTime } from "./schedule/options.js";
export type { Tick, TickEvent, TickOutcome } from "./schedule/tick.js";
export type { Executor } from "./run/executor.js";
export type { Isolation, WorkerPoolOptions } from "./run/worker-spec.js";
export type { WorkerHandler, WorkerWork } from "./run/worker-work.js";
export { WorkerError } from "./run/worker-error.js";
export type { Duration } from "./time/duration.js";
export type { Rate, RateSpec, ParsedRate } from "./limits/rate.js";
export { parseDuration } from "./time/duration.js";
export { parseRate } from "./limits/rate.js";
export { systemClock, sleep } from "./time/clock.js";
export type { Clock, TimerHandle } from "./time/clock.js";
export { VirtualClock } from "./time/virtual-clock.js";
export { CancelledError, ConfigurationError, InternalError, RuncueError, TimeoutError } from "./errors.js";
export type { RuncueErrorCode, RuncueErrorOptions, TimeoutKind } from "./errors.js";
export { Permanent, RateLimited, Retry, isConfigurationError, isPermanent, isRateLimited, isRetry, isTimeoutError } from "./steering.js";
export type { RateLimitedOptions, ResponseLike, RetryErrorOptions } from "./steering.js";
/** @deprecated use {@link RetryErrorOptions}; kept so existing imports compile. */
export type { RetryErrorOptions as RetryOptions } from "./steering.js";
export { artifact, dir, file, glob, value } from "./artifacts/descriptors.js";
export type { Artifact, ArtifactDeclaration, ArtifactSet, CustomArtifact, CustomArtifactOptions, DirArtifact, FileArtifact, GlobArtifact, PathSpec, PathsOf, ValueArtifact } from "./artifacts/descriptors.js";
export type { ArtifactsOptions, Freshness } from "./artifacts/options.js";
export type { ArtifactReason, ArtifactReasonKind, ReadyVerdict, StaleVerdict } from "./artifacts/reasons.js";
export type { Explanation, PlanEntry, PlannedTask, Verdict } from "./artifacts/explain.js";
export type { AmbiguousOutput, CheckReport, OrphanInput } from "./artifacts/static-checks.js";
export { MissingOutputError } from "./artifacts/missing-output-error.js";
export type { WorkPaths } from "./work/work.js";
