import type { Work } from "runcue";
import { label, simulate, type Scenario } from "./scenario.js";

interface Snapshot {
  snap: string;
}

/** Ticks this many handler latencies apart. */
export const TICK_LATENCIES = 2;

/**
 * A schedule feeding a pipeline: `cue.schedule` ticks every 2 × latency on the run's clock
 * (virtual or real) and each tick submits a `poll` through `api`; a poll's snapshot is then
 * transformed (`local`) and stored (`storage`), readiness gating each stage on the previous
 * artifact. The schedule submits n polls (its `limit`); a tick that comes while the previous poll
 * is still pending or running submits nothing (overlap `skip`), so a slow or rate-limited `api`
 * stretches the run instead of piling up polls. A failed poll or transform ends its snapshot's
 * chain.
 */
export const scheduled: Scenario = {
  name: "scheduled",
  description: "A schedule (every 2 × latency, overlap skip) polls api and feeds transform → store",
  setup(ctx) {
    const { config, cue } = ctx;
    const polled = new Set<string>();
    const transformed = new Set<string>();
    ctx.service("api", { concurrent: config.concurrent, ...(config.rate === undefined ? {} : { rate: config.rate }) });
    ctx.service("local", { concurrent: 2 * config.concurrent });
    ctx.service("storage", { concurrent: config.concurrent });

    const store = ctx.task("store", { uses: "storage", ready: (w: Work<Snapshot>) => transformed.has(w.params.snap) }, (w: Work<Snapshot>) =>
      simulate(ctx, ctx.random(`store:${w.params.snap}:${w.attempt}`), w.signal, { scale: 0.3, outliers: false, errorRate: 0 }));

    const transform = ctx.task("transform", { uses: "local", ready: (w: Work<Snapshot>) => polled.has(w.params.snap) }, async (w: Work<Snapshot>) => {
      const result = await simulate(ctx, ctx.random(`transform:${w.params.snap}:${w.attempt}`), w.signal, { scale: 0.2, outliers: false, errorRate: 0 });
      transformed.add(w.params.snap);
      await ctx.submit(store, { snap: w.params.snap }, w.params.snap);
      return result;
    });

    const poll = ctx.task("poll", { uses: "api" }, async (w: Work<Snapshot>) => {
      const result = await simulate(ctx, ctx.random(`poll:${w.params.snap}:${w.attempt}`), w.signal, { error: `Poll error on ${w.params.snap}` });
      polled.add(w.params.snap);
      await ctx.submit(transform, { snap: w.params.snap }, w.params.snap);
      // The schedule submitted this work, so the log names its snapshot here.
      return { ...result, note: w.params.snap };
    });

    // A failed poll means its transform and store never come.
    cue.onFailure((w) => {
      if (w.task === "poll") {
        ctx.plan(-1, "transform");
        ctx.plan(-1, "store");
      }
    });
    for (const task of ["poll", "transform", "store"]) ctx.plan(config.count, task);

    const schedule = cue.schedule("poll", {
      task: poll,
      every: Math.max(1, TICK_LATENCIES * config.latencyMs),
      limit: config.count,
      // Named by tick, so a gap in the numbers is a tick that coalesced into a running poll.
      params: (tick) => ({ snap: label("tick", tick.index + 1) }),
    });
    // The workload is the schedule itself: it is done once its last poll is submitted.
    const finished = new Promise<void>((resolve) => {
      const off = cue.on("tick", () => {
        if (schedule.next() !== undefined) return;
        off();
        resolve();
      });
    });
    return [() => finished];
  },
};
