/**
 * Where a work is in its life. Each phase has one meaning and one container:
 *
 * | phase | state | where it sits | what it holds |
 * | --- | --- | --- | --- |
 * | `New` | pending | nowhere yet (inside `submit`) | |
 * | `Delayed` | pending | the delay heap | `dueAt` (a retry wait when `error` is set) |
 * | `Intake` | pending | the intake FIFO, waiting for its arrival check | |
 * | `Screening` | pending | its arrival check (`isReady`, then `isStale`) is running | a check slot while async |
 * | `Blocked` | pending | the blocked list: `isReady` said no, a recheck will ask again | `blockCause` |
 * | `Queued` | pending | its lane, waiting for slots and rate starts | |
 * | `Checking` | pending | its dispatch check is running | slots and reserved starts; a check slot while async |
 * | `Running` | running | its handler runs | slots; the attempt timer |
 * | `Completed`, `Failed`, `Cancelled` | terminal | the registry's ring of finished works | |
 *
 * Legal moves (anything else is an internal error):
 * - `New` → `Delayed` | `Intake` | `Queued` (submit)
 * - `Delayed` → `Intake` | `Queued` (due)
 * - `Intake` → `Screening`
 * - `Screening` → `Blocked` | `Queued` | `Intake` (the cue stopped meanwhile) | `Completed` (skip)
 * - `Blocked` → `Intake` (a recheck found it ready)
 * - `Queued` → `Running` | `Checking`
 * - `Checking` → `Running` | `Blocked` | `Queued` (stopped) | `Completed` (skip)
 * - `Running` → `Completed` | `Failed` | `Delayed` | `Queued` (retry or pushback)
 * - every pending phase and `Running` → `Cancelled`; every pending phase → `Failed` (pending or stall timeout)
 * @module
 */

/** The phases, as small integers (they index the counters). */
export const Phase = {
  New: 0,
  Delayed: 1,
  Intake: 2,
  Screening: 3,
  Blocked: 4,
  Queued: 5,
  Checking: 6,
  Running: 7,
  Completed: 8,
  Failed: 9,
  Cancelled: 10,
} as const;

/** One of {@link Phase}. */
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Phase names, for messages. */
export const PHASE_NAMES = ["new", "delayed", "intake", "screening", "blocked", "queued", "checking", "running", "completed", "failed", "cancelled"] as const;

/** The public state of each phase. */
export const STATE_OF = ["pending", "pending", "pending", "pending", "pending", "pending", "pending", "running", "completed", "failed", "cancelled"] as const;

const bits = (...phases: Phase[]): number => phases.reduce<number>((m, p) => m | (1 << p), 0);
const P = Phase;
const END = bits(P.Cancelled, P.Failed);

/** `LEGAL[from]` has bit `to` set when `from → to` is a legal move. */
export const LEGAL: readonly number[] = [
  /* New */ bits(P.Delayed, P.Intake, P.Queued),
  /* Delayed */ bits(P.Intake, P.Queued) | END,
  /* Intake */ bits(P.Screening) | END,
  /* Screening */ bits(P.Blocked, P.Queued, P.Intake, P.Completed) | END,
  /* Blocked */ bits(P.Intake) | END,
  /* Queued */ bits(P.Running, P.Checking) | END,
  /* Checking */ bits(P.Running, P.Blocked, P.Queued, P.Completed) | END,
  /* Running */ bits(P.Completed, P.Failed, P.Delayed, P.Queued, P.Cancelled),
  0,
  0,
  0,
];

/** True for the phases whose public state is `pending`. */
export function isPendingPhase(phase: Phase): boolean {
  return phase <= P.Checking;
}

/** True for `Completed`, `Failed`, `Cancelled`. */
export function isTerminalPhase(phase: Phase): boolean {
  return phase >= P.Completed;
}
