// A child of the redis bench case: one cue sharing "50/s" through RedisStore with its siblings.
// argv: url, namespace, start-at (epoch ms), duration ms. Prints one JSON line: handler start
// times (epoch ms) and the store's script calls.
import { Cue, sleep, systemClock } from "runcue";
import { RedisStore } from "runcue-redis";

const [url, namespace, startAtArg, durationArg] = process.argv.slice(2) as [string, string, string, string];
const startAt = Number(startAtArg);
const durationMs = Number(durationArg);
const store = new RedisStore({ url, namespace });
await store.ready();
const cue = new Cue({ store });
cue.service("api", { rate: "50/s" });
const starts: number[] = [];
cue.task("job", { uses: "api" }, async () => {
  starts.push(performance.timeOrigin + performance.now());
  await sleep(systemClock, 5);
});
await sleep(systemClock, Math.max(0, startAt - Date.now()));
cue.start();
// A saturated backlog: more than the shared rate could start in the run.
for (let i = 0; i < 50 * (durationMs / 1000) + 100; i++) void cue.submit("job");
await sleep(systemClock, durationMs);
await cue.stop();
await store.close();
process.stdout.write(`${JSON.stringify({ starts, scriptCalls: store.scriptCalls })}\n`);
process.exit(0);
