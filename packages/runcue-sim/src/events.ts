/** What happened to a work, as the simulator logs it. */
export type SimEventKind = "queued" | "started" | "completed" | "skipped" | "failed" | "retried" | "invalidated" | "cancelled";

/** One line of the event log. */
export interface SimEvent {
  /** Milliseconds since the run started, on the run's clock. */
  at: number;
  kind: SimEventKind;
  task: string;
  /** The runcue work id. */
  id: string;
  details: string;
}

/** The symbol of each event kind in the log. */
export const SYMBOLS: Record<SimEventKind, string> = {
  queued: "+",
  started: "▶",
  completed: "✓",
  skipped: "↷",
  failed: "✗",
  retried: "⟳",
  invalidated: "⟳",
  cancelled: "∅",
};
