import { RuncueError } from "../errors.js";

/**
 * A work submitted with `after: [ids]` cannot run because one of those works failed or was
 * cancelled (`code: "ERR_DEPENDENCY_FAILED"`). `dependency` is that work's id; `cause` its error.
 */
export class DependencyError extends RuncueError {
  /** The id of the work this one depended on that did not complete. */
  readonly dependency: string;

  constructor(message: string, dependency: string, cause: unknown) {
    super("ERR_DEPENDENCY_FAILED", message, { cause });
    this.name = "DependencyError";
    this.dependency = dependency;
  }
}

/**
 * The mapping function of a `then` or `otherwise` step threw (`code: "ERR_FLOW_MAPPING"`), or the
 * chained submit it made was refused: the chained work fails with this error, `cause` being what
 * was thrown, and `from` the id of the work whose end triggered the step.
 */
export class FlowError extends RuncueError {
  /** The id of the work whose completion (`then`) or failure (`otherwise`) triggered the step. */
  readonly from: string;

  constructor(message: string, from: string, cause: unknown) {
    super("ERR_FLOW_MAPPING", message, { cause });
    this.name = "FlowError";
    this.from = from;
  }
}
