// A child of the redis bench case: one of 3 processes sharing one limit through Redis.
// argv: lib ("runcue" | "bottleneck" | "bullmq"), mode ("rate": 50/s, 5 ms jobs; "unlimited":
// no-op jobs, 300 at once across the 3 processes for runcue, 100 per worker for BullMQ), Redis
// url, a name (namespace, limiter id or queue), duration ms. Prints `{"ready":true}` once set
// up, then reads the start time (epoch ms) from stdin, so that every process starts together
// however long each took to boot; at the end prints one JSON line: the starts' count, their
// times (epoch ms; "rate" only) and, for runcue, its script calls.
import { createInterface } from "node:readline";
import { Cue, sleep, systemClock } from "runcue";
import { RedisStore } from "runcue-redis";

const [lib, mode, url, name, durationArg] = process.argv.slice(2) as [string, string, string, string, string];
const durationMs = Number(durationArg);
let startAt = Infinity;
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const rate = mode === "rate";
const LIMIT = 50;
/** More than the shared limit could start in the run. */
const backlog = rate ? LIMIT * (durationMs / 1000) + 100 : 5 * durationMs;
const starts: number[] = [];
const clock = (): number => performance.timeOrigin + performance.now();
const job = async (): Promise<void> => {
  starts.push(clock());
  if (rate) await sleep(systemClock, 5);
};
/** Says it is ready, then waits for the parent's start time. */
async function untilStart(): Promise<void> {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  startAt = Number((await lines.next()).value);
  await sleep(systemClock, Math.max(0, startAt - Date.now()));
}
const { hostname, port } = new URL(url);
const connection = { host: hostname, port: Number(port || "6379"), maxRetriesPerRequest: null };
let scriptCalls: number | undefined;

if (lib === "runcue") {
  const store = new RedisStore({ url, namespace: name });
  await store.ready();
  const cue = new Cue({ store });
  cue.service("api", rate ? { rate: `${LIMIT}/s` } : { concurrent: 300 }); // no limit: 100 per process, as BullMQ's workers
  cue.task("job", { uses: "api" }, job);
  // The whole backlog waits in the cue before the start (submitting during the run would take CPU from it).
  for (let i = 0; i < backlog; i++) void cue.submit("job");
  await untilStart();
  cue.start();
  await sleep(systemClock, Math.max(0, startAt + durationMs - Date.now()));
  await cue.stop({ timeout: 1000 });
  await store.close();
  scriptCalls = store.scriptCalls;
} else if (lib === "bottleneck") {
  const { default: Bottleneck } = await import("bottleneck");
  // Its Redis clustering, with a reservoir refilled to 50 every second.
  const limiter = new Bottleneck({ id: name, datastore: "ioredis", clientOptions: connection, reservoir: LIMIT, reservoirRefreshAmount: LIMIT, reservoirRefreshInterval: 1000 });
  await limiter.ready();
  await untilStart();
  for (let i = 0; i < backlog; i++) limiter.schedule(job).catch(() => undefined);
  await sleep(systemClock, Math.max(0, startAt + durationMs - Date.now()));
  await limiter.stop({ dropWaitingJobs: true });
  await limiter.disconnect();
} else {
  // BullMQ: every process adds its backlog, then runs a worker on the shared queue.
  const { Queue, Worker } = await import("bullmq");
  const queue = new Queue(name, { connection });
  const jobs = backlog;
  for (let start = 0; start < jobs; start += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, jobs - start) }, (_, k) => ({ name: "job", data: { i: start + k }, opts: { removeOnComplete: true, removeOnFail: true } })));
  }
  const worker = new Worker(name, job, { connection, concurrency: rate ? 10 : 100, autorun: false, ...(rate ? { limiter: { max: LIMIT, duration: 1000 } } : {}) });
  await worker.waitUntilReady();
  await untilStart();
  void worker.run();
  await sleep(systemClock, Math.max(0, startAt + durationMs - Date.now()));
  await worker.close(true);
  await queue.close();
}
lines.return?.(undefined);
// Without a limit only the count matters (and the starts would make a large line); exit once written.
process.stdout.write(`${JSON.stringify({ starts: rate ? starts : [], count: starts.length, scriptCalls })}\n`, () => process.exit(0));
