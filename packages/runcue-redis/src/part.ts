import type { Scope } from "./scope.js";

/** What a limiter is asked to admit (the core's `LimitRequest`). */
export interface LimitRequest {
  readonly cost: Readonly<Record<string, number>> | undefined;
  readonly reported?: Readonly<Record<string, number>> | undefined;
}

/** One limiter's part of an acquire: its scope, its lease, its keys and arguments in the script call. */
export interface AcquirePart {
  readonly limiter: PartLimiter;
  readonly scope: Scope;
  /** The first lease it asks for (`lease.2`, `lease.3`... for a batch). */
  readonly lease: string;
  /** The scope's prefix and its service's own. */
  readonly keys: [string, string];
  readonly args: string[];
  /** Leases the scope would take in one acquire. */
  readonly batch: number;
  /** The scope's frees sent before the call (a reply does not count later ones). */
  readonly frees: number;
  /** Its frees and commits sent before the call (a change since may make a refusal out of date). */
  readonly changes: number;
}

/**
 * What the acquirer asks of each limiter of a lane (`RedisLimiter`): build its part of the
 * script call, then take in the reply (the shared state, a grant, or why not).
 */
export interface PartLimiter {
  /** The cue's clock, now. */
  now(): number;
  /** Takes a spare lease of the request's cost (`check`: only says whether there is one). */
  spare(key: string | undefined, request: LimitRequest, check: boolean): boolean;
  /** Its part of the call: keys, arguments, and what the reply is compared with. */
  part(key: string | undefined, request: LimitRequest): AcquirePart;
  /** Redis lost its state: wait out the reseed period until `until`. */
  reseeding(part: AcquirePart, until: number, now: number): void;
  /** Another cue registered other limits (`registered`): returns when to ask again. */
  conflicted(part: AcquirePart, registered: string, now: number): number;
  /** The reply's shared state of the part: slots held and each window's use. */
  saw(part: AcquirePart, held: number, used: number[]): void;
  /** `count` leases granted: the first for this request, the others spare for this tick. */
  granted(part: AcquirePart, count: number, request: LimitRequest): void;
  /** A grant that came too late (self-fencing): give its `count` leases back. */
  givenBack(part: AcquirePart, count: number, request: LimitRequest): void;
  /** The part refused: record why and answer when to ask again. */
  refused(part: AcquirePart, reason: string, retryAt: number, asked: number, now: number, local: (t: number) => number): number;
  /** Redis did not answer: fail closed, answer when to ask again. */
  unavailable(part: AcquirePart, asked: number, error: unknown): number;
}
