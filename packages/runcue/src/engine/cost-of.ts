import { ConfigurationError, messageOf } from "../errors.js";
import { checkCosts, type Costs } from "../limits/costs.js";
import type { WorkRecord } from "../work/record.js";

/**
 * A work's cost: the submit's, else its task's `cost(work)`; checked, and checked to fit in
 * every window that counts it (a cost above a whole limit could never run).
 * @throws ConfigurationError naming the value.
 */
export function costOf(work: WorkRecord, given: Readonly<Record<string, number>> | undefined): Costs {
  const what = `cost of a "${work.task}" work`;
  let cost: unknown = given;
  if (cost === undefined) {
    try {
      cost = (work.def.cost as (w: WorkRecord) => unknown)(work);
    } catch (error) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `The cost function of task "${work.task}" threw: ${messageOf(error)}`, { cause: error });
    }
  }
  const costs = checkCosts(cost, what);
  for (const limiter of work.lane.services) {
    for (const [measure, n] of Object.entries(costs)) {
      const max = limiter.maxCost(measure);
      if (max !== undefined && (n as number) > max) {
        throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid ${what}: ${measure} = ${n} exceeds the whole limit ${max} ${measure} of service "${limiter.name}" (it could never run)`);
      }
    }
  }
  return costs;
}
