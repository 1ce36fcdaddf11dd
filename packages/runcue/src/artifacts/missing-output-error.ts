import { RuncueError } from "../errors.js";

/**
 * A handler returned without writing a declared output (code `ERR_MISSING_OUTPUT`). The attempt
 * counts as failed and is retried per the task's `retry` policy; dependants are not woken.
 */
export class MissingOutputError extends RuncueError {
  /** The declared output's name in the task's `outputs`. */
  readonly output: string;
  /** Its resolved path (or key, for `artifact()`). */
  readonly path: string;

  constructor(task: string, workId: string, output: string, path: string) {
    super("ERR_MISSING_OUTPUT", `Missing output: task "${task}" (work ${workId}) returned without writing its declared output "${output}" (${path})`);
    this.name = "MissingOutputError";
    this.output = output;
    this.path = path;
  }
}
