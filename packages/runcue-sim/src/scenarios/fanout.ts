import type { Work } from "runcue";
import { label, simulate, type Scenario } from "./scenario.js";

/** How many `process` works each batch fans out to. */
export const FANOUT_WIDTH = 5;

interface Batch {
  batch: string;
}

interface Part {
  batch: string;
  part: number;
}

/**
 * Split → 5 parallel `process` → `aggregate` per batch. The aggregate is submitted with its
 * processes and waits (not ready) until all 5 artifacts exist, so a failed process leaves it
 * blocked for good: the stall report says which and why.
 */
export const fanout: Scenario = {
  name: "fanout",
  description: "Split → 5 parallel process works → aggregate, per batch (a failed process blocks its aggregate)",
  setup(ctx) {
    const { config } = ctx;
    const parts = new Map<string, Set<number>>();
    ctx.service("splitter", { concurrent: 1 });
    ctx.service("processor", { concurrent: config.concurrent, ...(config.rate === undefined ? {} : { rate: config.rate }) });
    ctx.service("aggregator", { concurrent: 2 });

    const aggregate = ctx.task("aggregate", { uses: "aggregator", ready: (w: Work<Batch>) => parts.get(w.params.batch)?.size === FANOUT_WIDTH }, (w: Work<Batch>) =>
      simulate(ctx, ctx.random(`aggregate:${w.params.batch}:${w.attempt}`), w.signal, { scale: 0.3, outliers: false, errorRate: 0 }));

    const processPart = ctx.task("process", { uses: "processor" }, async (w: Work<Part>) => {
      const { batch, part } = w.params;
      const result = await simulate(ctx, ctx.random(`process:${batch}:${part}:${w.attempt}`), w.signal);
      parts.get(batch)?.add(part);
      return result;
    });

    const split = ctx.task("split", { uses: "splitter" }, async (w: Work<Batch>) => {
      const { batch } = w.params;
      const result = await simulate(ctx, ctx.random(`split:${batch}:${w.attempt}`), w.signal, { scale: 0.5, outliers: false, errorRate: 0 });
      parts.set(batch, new Set());
      for (let part = 1; part <= FANOUT_WIDTH; part++) await ctx.submit(processPart, { batch, part }, `${batch}/${part}`);
      await ctx.submit(aggregate, { batch }, batch);
      return result;
    });

    const failures = new Map<string, string>();
    ctx.cue.onFailure((w, error) => {
      if (w.task === "process") failures.set(`${(w.params as Part).batch}/${(w.params as Part).part}`, error.message);
    });
    ctx.explain((w) => {
      if (w.task !== "aggregate") return undefined;
      const { batch } = w.params as Batch;
      const done = parts.get(batch) ?? new Set<number>();
      const missing = Array.from({ length: FANOUT_WIDTH }, (_, i) => i + 1).filter((p) => !done.has(p));
      const failed = missing.filter((p) => failures.has(`${batch}/${p}`)).map((p) => `part ${p} failed: ${failures.get(`${batch}/${p}`) ?? ""}`);
      return `waiting for part${missing.length === 1 ? "" : "s"} ${missing.join(", ")} of ${batch}${failed.length > 0 ? `; ${failed.join("; ")}` : ""}`;
    });
    ctx.plan(config.count, "split");
    ctx.plan(FANOUT_WIDTH * config.count, "process");
    ctx.plan(config.count, "aggregate");
    return Array.from({ length: config.count }, (_, i) => {
      const batch = label("batch", i + 1);
      return () => ctx.submit(split, { batch }, batch);
    });
  },
};
