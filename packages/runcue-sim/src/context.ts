import { sleep, type Cue, type Handler, type ServiceOptions, type SubmitOptions, type TaskHandle, type TaskOptions } from "runcue";
import type { SimConfig } from "./config.js";
import { sampleLatency } from "./latency.js";
import { streamFor } from "./random.js";
import type { ScenarioContext, Submitted } from "./scenarios/scenario.js";
import type { SimState } from "./state.js";

/** The helpers a scenario builds itself with, bound to one run's cue, settings and state. */
export function createContext(cue: Cue, config: SimConfig, state: SimState): ScenarioContext {
  return {
    cue,
    config,
    random: (key) => streamFor(config.seed, key),
    latency: (rng, scale = 1, allowOutliers = true) => sampleLatency(config, rng, scale, allowOutliers),
    sleep: (ms, signal) => sleep(cue.clock, ms, signal),
    service(name: string, options: ServiceOptions) {
      cue.service(name, options);
    },
    task<P, R>(name: string, options: TaskOptions<P>, handler: Handler<P, R>): TaskHandle<P, Awaited<R>> {
      return cue.task(name, options, handler);
    },
    async submit<P>(task: TaskHandle<P, unknown>, params: P, label: string, options?: SubmitOptions): Promise<Submitted> {
      // The state saw the work through the cue's `submit` event; here it only gets its label.
      const id = await task.submit(params, options);
      if (state.hasLabel(id)) return { id, created: false };
      state.label(id, label);
      return { id, created: true };
    },
    plan: (delta, task) => state.plan(delta, task),
    invalidated: (by, artifact) => state.invalidated(by, artifact),
    explain: (fn) => state.explainWith(fn),
  };
}
