/** How an attempt ended. */
export type AttemptOutcome = "completed" | "failed" | "retried" | "cancelled" | "running";

/** One run of a handler, for the report's timeline. Times are ms since the run started. */
export interface Attempt {
  id: string;
  task: string;
  label: string;
  service: string;
  attempt: number;
  start: number;
  end: number;
  outcome: AttemptOutcome;
}

/** A work's life, for the queue-depth chart: when it was submitted and when it ended. */
export interface WorkSpan {
  id: string;
  task: string;
  submitted: number;
  /** When it ended (completed, skipped, failed), or undefined if it never did. */
  ended: number | undefined;
  skipped: boolean;
}
