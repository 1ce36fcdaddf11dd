import { inspect } from "node:util";
import { ConfigurationError } from "../errors.js";
import { checkCosts, type Costs } from "../limits/costs.js";
import type { Lane } from "../queue/lane.js";
import type { TaskDef } from "../task.js";
import { Phase, STATE_OF } from "./phase.js";
import type { Check, Work, WorkPaths, WorkState } from "./work.js";
import type { WorkArtifacts } from "../artifacts/declaration.js";

const NO_PATHS: WorkPaths = Object.freeze({});
/** Works' declared artifacts and `force` flags, beside the records (see `WorkRecord.artifacts`). */
const ARTIFACTS = new WeakMap<WorkRecord, WorkArtifacts>();
const FORCED = new WeakSet<WorkRecord>();
/** No work was ever forced: the common case asks no set. */
let forcedAny = false;

/** `WorkRecord.hold`: nothing held; slots and reserved starts; the same with the handler called; slots with the starts recorded. */
export const Hold = { NONE: 0, RESERVED: 1, INVOKED: 2, COMMITTED: 3 } as const;

/** The cue-wide checks, shared by reference: the facade writes them, screening reads them (no call per look). */
export interface CueChecks {
  isReady: Check | undefined;
  isStale: Check | undefined;
}

/** The readiness check that applies to a work: its task's own (given the derived verdict when it declares artifacts), else its declared artifacts', else the cue's. */
export function readyCheckOf(work: WorkRecord, checks: CueChecks): Check | undefined {
  const derived = work.def.derived;
  return derived !== undefined ? derived.ready : work.def.ready ?? checks.isReady;
}

/** The staleness check that applies to a work: its task's own (given the derived verdict when it declares artifacts), else its declared artifacts', else the cue's. */
export function staleCheckOf(work: WorkRecord, checks: CueChecks): Check | undefined {
  const derived = work.def.derived;
  return derived !== undefined ? derived.stale : work.def.stale ?? checks.isStale;
}

/** Why a blocked work is blocked: its `isReady` said no, threw, or did not settle in time; or works in its `after` list have not completed. */
export type BlockCause = "not_ready" | "check_error" | "check_timeout" | "waiting_for" | "no_producer" | "cycle";

/** The flow links of a work submitted with `then`/`otherwise`/`after`, or named in another's `after` (see `flows/`). */
export interface WorkLinks {
  /** The id of the work its `then` or `otherwise` submitted. */
  next: string | undefined;
  /** The works of its `after` list not yet completed. */
  waitingOn: WorkRecord[];
  /** The works whose `after` names it and that still wait for it. */
  dependants: WorkRecord[];
}

/**
 * The engine's record of a work. It is the object users see as {@link Work}; the fields below
 * the public ones are the engine's bookkeeping and not part of the API. `phase` is written only
 * by `Lifecycle`; each container writes its own position field (`slot`, `fifoPos`,
 * `blockedPrev`/`blockedNext`, `deadlinePos`).
 */
export class WorkRecord implements Work<unknown, unknown> {
  readonly task: string;
  readonly params: unknown;
  attempt = 1;
  readonly createdAt: number;
  startedAt: number | undefined = undefined;
  completedAt: number | undefined = undefined;
  result: unknown = undefined;
  error: Error | undefined = undefined;
  skipped = false;
  readonly key: string | undefined;
  priority = 0.5;

  /** @internal submission order; ties in priority go to the lower seq. */
  readonly seq: number;
  /** @internal */
  readonly def: TaskDef;
  /** @internal where it is; see `phase.ts`. Written only by `Lifecycle`. */
  phase: Phase = Phase.New;
  /** @internal what it costs in measured windows (submit's `cost`, else the task's `cost(work)`). */
  cost: Costs | undefined = undefined;
  /** @internal a cost reported before the start was stamped (the stamp records it instead of the estimate). */
  reported: Costs | undefined = undefined;
  /** @internal the lane it queues and starts in (its task's, or its keys' with `per`). Set at submit. */
  lane!: Lane<WorkRecord>;
  /** @internal explicit priority from submit, if given. */
  readonly fixedPriority: number | undefined;
  /** @internal position in a heap (lane, delays). */
  slot = -1;
  /** @internal position in a FIFO (lane, intake). */
  fifoPos = -1;
  /** @internal position in the deadline queue of its pending spell. */
  deadlinePos = -1;
  /** @internal when it is due (phase `Delayed`). */
  dueAt = 0;
  /** @internal when it last became pending (submit or retry), for pending timeouts. */
  pendingSince: number;
  /** @internal neighbours in the blocked list (phase `Blocked`). */
  blockedPrev: WorkRecord | undefined = undefined;
  blockedNext: WorkRecord | undefined = undefined;
  /** @internal why it is `Blocked`. */
  blockCause: BlockCause = "not_ready";
  /** @internal its flow links; undefined for a work submitted without `then`/`otherwise`/`after` and named in no `after`. */
  links: WorkLinks | undefined = undefined;
  /** @internal per-attempt and per-check token: answers of a superseded attempt or check are ignored. */
  token = 0;
  /** @internal the attempt's timeout timer (`Running`), or the check's (`Screening`, `Checking`, `Blocked`). */
  timer: unknown = undefined;
  /** @internal an asynchronous check of this work is in flight and holds a `checkConcurrency` slot. */
  checkSlot = false;
  /** @internal a recheck found it ready: its arrival check asks only `isStale`. */
  readyKnown = false;
  /** @internal the engine generation at its last passed screening; -1 when never screened. */
  checkedGen = -1;
  /**
   * @internal what a running attempt holds: 0 nothing (it left `Running`'s resources, even if its
   * phase has not moved yet); 1 its slots and reserved starts; 2 the same, its handler called;
   * 3 its slots, its starts recorded.
   */
  hold = 0;
  #controller: AbortController | undefined = undefined;

  constructor(seq: number, def: TaskDef, params: unknown, now: number, key: string | undefined, fixedPriority: number | undefined) {
    this.seq = seq;
    this.task = def.name;
    this.def = def;
    this.params = params;
    this.createdAt = now;
    this.pendingSince = now;
    this.key = key;
    this.fixedPriority = fixedPriority;
  }

  /** The decimal form of `seq`, made on demand (a string per pending work would cost memory). */
  get id(): string {
    return String(this.seq);
  }

  /** The id of the work its `then` (on completion) or `otherwise` (on failure) submitted, once submitted. */
  get next(): string | undefined {
    return this.links?.next;
  }

  /**
   * @internal its declared artifacts, resolved at submit; undefined when its task declares none.
   * Kept beside the record, not in it, so works of tasks that declare nothing carry no extra field.
   */
  get artifacts(): WorkArtifacts | undefined {
    return this.def.derived === undefined ? undefined : ARTIFACTS.get(this);
  }

  set artifacts(value: WorkArtifacts | undefined) {
    if (value === undefined) ARTIFACTS.delete(this);
    else ARTIFACTS.set(this, value);
  }

  /** @internal submitted with `force`: its staleness check is not asked (kept beside the record, as `artifacts`). */
  get force(): boolean {
    return forcedAny && FORCED.has(this);
  }

  set force(value: boolean) {
    if (!value) FORCED.delete(this);
    else {
      forcedAny = true;
      FORCED.add(this);
    }
  }

  /** The resolved paths of its task's declared `inputs` and `outputs`, by name (`{}` when it declares none). */
  get paths(): WorkPaths {
    return this.artifacts?.paths ?? NO_PATHS;
  }

  get state(): WorkState {
    return STATE_OF[this.phase];
  }

  /** Created on first use, so works whose handlers never look cost no AbortController. */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /**
   * Settles this work's estimated cost with what it really used, e.g. `{ tokens: 1530 }`: the
   * windows' record of its start moves to the reported figure (the start time stays), so an
   * over-estimate frees budget at once and an under-estimate uses budget the next starts wait
   * for. Only while its handler runs.
   * @throws ConfigurationError for a negative or non-finite figure, or a measure none of its services count.
   */
  report(actual: Costs): void {
    if (this.phase !== Phase.Running) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `work.report() is for a running work; work ${this.id} (${this.task}) is ${this.state}`);
    }
    checkCosts(actual, `report of work ${this.id} (${this.task})`);
    const known = new Set(this.lane.services.flatMap((l) => [...l.measures()]));
    for (const measure of Object.keys(actual)) {
      if (!known.has(measure)) {
        throw new ConfigurationError("ERR_INVALID_OPTION", `Unknown measure "${measure}" in the report of work ${this.id} (${this.task}) (its services count: ${known.size === 0 ? "no measure" : [...known].join(", ")})`);
      }
    }
    // Reported in the handler's synchronous part, before its start is stamped: the stamp records it.
    if (this.hold === Hold.COMMITTED) this.lane.report(this, actual);
    else this.reported = { ...this.reported, ...actual };
  }

  /** @internal aborts the signal (creating it aborted if nobody asked for it yet). */
  abort(reason: unknown): void {
    this.#controller ??= new AbortController();
    this.#controller.abort(reason);
  }

  /** @internal a fresh signal for a new attempt. */
  resetSignal(): void {
    if (this.#controller?.signal.aborted) this.#controller = undefined;
  }

  /** The public fields only. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id, task: this.task, params: this.params, attempt: this.attempt, state: this.state,
      createdAt: this.createdAt, startedAt: this.startedAt, completedAt: this.completedAt,
      result: this.result, error: this.error === undefined ? undefined : { name: this.error.name, message: this.error.message },
      skipped: this.skipped, key: this.key, priority: this.priority, ...(this.links?.next === undefined ? {} : { next: this.links.next }),
    };
  }

  [inspect.custom](depth: number, options: object): string {
    return `Work ${inspect(this.toJSON(), { ...options, depth: depth < 0 ? 0 : depth })}`;
  }
}
