import type { Work } from "runcue";
import { label, simulate, type Scenario } from "./scenario.js";

interface Item {
  item: string;
}

/**
 * Extract → transform → load per item over three services. Each stage submits the next when
 * its artifact exists, and readiness gates each stage on the previous artifact (so the
 * pattern stays correct however the submissions are timed). A failed transform ends its
 * item's chain: its load is never submitted.
 */
export const pipeline: Scenario = {
  name: "pipeline",
  description: "Extract → transform → load chain over the services local, api and storage",
  setup(ctx) {
    const { config } = ctx;
    const extracted = new Set<string>();
    const transformed = new Set<string>();
    ctx.service("local", { concurrent: 2 * config.concurrent });
    ctx.service("api", { concurrent: config.concurrent, ...(config.rate === undefined ? {} : { rate: config.rate }) });
    ctx.service("storage", { concurrent: config.concurrent });

    const load = ctx.task("load", { uses: "storage", ready: (w: Work<Item>) => transformed.has(w.params.item) }, (w: Work<Item>) =>
      simulate(ctx, ctx.random(`load:${w.params.item}:${w.attempt}`), w.signal, { scale: 0.3, outliers: false, errorRate: 0 }));

    const transform = ctx.task("transform", { uses: "api", ready: (w: Work<Item>) => extracted.has(w.params.item) }, async (w: Work<Item>) => {
      const result = await simulate(ctx, ctx.random(`transform:${w.params.item}:${w.attempt}`), w.signal, { error: `Transform error on ${w.params.item}` });
      transformed.add(w.params.item);
      await ctx.submit(load, { item: w.params.item }, w.params.item);
      return result;
    });

    const extract = ctx.task("extract", { uses: "local" }, async (w: Work<Item>) => {
      const result = await simulate(ctx, ctx.random(`extract:${w.params.item}:${w.attempt}`), w.signal, { scale: 0.1, outliers: false, errorRate: 0 });
      extracted.add(w.params.item);
      await ctx.submit(transform, { item: w.params.item }, w.params.item);
      return result;
    });

    // A failed transform means its load will never come.
    ctx.cue.onFailure((w) => {
      if (w.task === "transform") ctx.plan(-1, "load");
    });
    for (const task of ["extract", "transform", "load"]) ctx.plan(config.count, task);
    return Array.from({ length: config.count }, (_, i) => {
      const item = label("item", i + 1);
      return () => ctx.submit(extract, { item }, item);
    });
  },
};
