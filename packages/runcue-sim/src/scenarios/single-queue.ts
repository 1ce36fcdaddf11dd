import type { Work } from "runcue";
import { label, simulate, type Scenario } from "./scenario.js";

interface Item {
  item: string;
  index: number;
}

/** Independent items through one service: the baseline for rate and concurrency limits. */
export const singleQueue: Scenario = {
  name: "single_queue",
  description: "Independent items through one service, api",
  setup(ctx) {
    const { config } = ctx;
    ctx.service("api", { concurrent: config.concurrent, ...(config.rate === undefined ? {} : { rate: config.rate }) });
    const work = ctx.task("work", { uses: "api" }, (w: Work<Item>) => simulate(ctx, ctx.random(`work:${w.params.item}:${w.attempt}`), w.signal));
    ctx.plan(config.count, "work");
    return Array.from({ length: config.count }, (_, i) => {
      const item = label("item", i + 1);
      return () => ctx.submit(work, { item, index: i + 1 }, item);
    });
  },
};
