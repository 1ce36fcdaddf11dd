import { dynamic } from "./dynamic.js";
import { fanout } from "./fanout.js";
import { pipeline } from "./pipeline.js";
import type { Scenario } from "./scenario.js";
import { scheduled } from "./scheduled.js";
import { singleQueue } from "./single-queue.js";

/** The built-in scenarios, in the order `--list-scenarios` shows them. */
export const SCENARIOS: readonly Scenario[] = [singleQueue, pipeline, fanout, dynamic, scheduled];

/** The scenario called `name`, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
