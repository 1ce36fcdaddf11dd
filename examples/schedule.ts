import { Cue, VirtualClock, type Work } from "runcue";

// Virtual time: three hours of schedules run in milliseconds. It is midnight UTC, 1 June 2026.
const clock = new VirtualClock(Date.parse("2026-06-01T00:00:00Z"));
const cue = new Cue({ clock });
cue.service("prices-api", { rate: "10/min" });

// The artifacts: one price snapshot per hour (files or rows in real life). An earlier run wrote two.
const snapshots = new Map<string, string>([["2026-05-31T21", "…"], ["2026-05-31T23", "…"]]);
const hourOf = (at: number): string => new Date(at).toISOString().slice(0, 13);

const snapshot = cue.task("snapshot", {
  uses: "prices-api",
  stale: (work: Work<{ hour: string }>) => !snapshots.has(work.params.hour), // a written hour is skipped
}, (work: Work<{ hour: string }>) => {
  snapshots.set(work.params.hour, `prices at ${work.params.hour}:00`);
});
cue.task("report", () => `report of ${snapshots.size} snapshots`);

const hourly = cue.schedule("hourly-prices", {
  task: snapshot,
  every: "1h",
  params: (tick) => ({ hour: hourOf(tick.scheduledAt) }),
  catchUp: "4h", // on start, submit the hours missed in the last 4; staleness skips those written
});
// 02:30 in Berlin, whatever the season (needs the optional peer dependency croner).
cue.schedule("nightly-report", { task: "report", cron: "30 2 * * *", tz: "Europe/Berlin" });

cue.on("tick", ({ schedule, tick, outcome }) => {
  console.log(`${new Date(tick.scheduledAt).toISOString().slice(11, 16)} ${schedule}: ${outcome}${tick.catchUp ? " (catch-up)" : ""}`);
});
cue.onComplete((work, result) => console.log(`  ran ${work.task} ${JSON.stringify(work.params)}${result === undefined ? "" : `: ${String(result)}`}`));
cue.onSkip((work) => console.log(`  skipped ${work.task} ${JSON.stringify(work.params)}: already written`));

cue.start();
await clock.advanceTo(Date.parse("2026-06-01T03:00:00Z"));
console.log(`next snapshot at ${new Date(hourly.next()!).toISOString()}`);
await cue.stop();
