import { RuncueError, type RuncueErrorOptions } from "../errors.js";

/**
 * A worker thread or process ended while it ran a work: the handler's module called
 * `process.exit`, threw outside the handler's promise (an uncaught exception), ran out of memory,
 * or the process was killed from outside. Only that work fails (and is retried if it has
 * attempts left); the pool starts a new worker for the next one. Its `cause` is the uncaught
 * error when one was reported.
 * @example
 * cue.on("fail", ({ work, error }) => {
 *   if (error instanceof WorkerError) console.error(`${work.task} crashed its worker (exit code ${error.exitCode})`);
 * });
 */
export class WorkerError extends RuncueError {
  /** The exit code of the thread or process, or null when it was ended by a signal. */
  readonly exitCode: number | null;
  /** The signal that ended the process (`"SIGKILL"`, ...), or null. Always null for threads. */
  readonly signal: string | null;

  constructor(message: string, exitCode: number | null, signal: string | null, options: RuncueErrorOptions = {}) {
    super("ERR_WORKER_EXITED", message, options);
    this.name = "WorkerError";
    this.exitCode = exitCode;
    this.signal = signal;
  }
}
