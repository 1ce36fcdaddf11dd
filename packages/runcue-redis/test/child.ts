// A child process of the multi-process tests: one cue sharing a service through RedisStore.
// Env: RCR_NS (namespace), RCR_MODE ("rate" | "two" | "hold" | "tokens" | "keyed" | "keyhold"; "two": the
// task uses "api" as in "rate" and "db" with concurrent: 3), RCR_COUNT (works;
// in "keyed" mode, rounds of one work per key k0..k3, each round after the last is idle),
// RCR_START_AT (epoch ms to start at, or "go": wait for it on stdin), RCR_LEASE_MS, RCR_URL,
// RCR_RATE (the "rate" mode's limit, default "20/s"; always concurrent: 5).
// Prints one JSON line per event (`first`: its first start); the last one has every start (`starts`, and `costs` in
// "tokens" mode, `spans` [start, end] of each work), the store's script calls and its reseeds.
import { createInterface } from "node:readline";
import { Cue, sleep, systemClock } from "runcue";
import { RedisStore } from "../src/index.js";

const env = process.env;
const mode = env.RCR_MODE ?? "rate";
const count = Number(env.RCR_COUNT ?? "10");
const say = (event: object): void => void process.stdout.write(`${JSON.stringify({ pid: process.pid, ...event })}\n`);
const now = (): number => performance.timeOrigin + performance.now();

const store = new RedisStore({ url: env.RCR_URL ?? "redis://127.0.0.1:6379", namespace: env.RCR_NS as string, leaseMs: Number(env.RCR_LEASE_MS ?? "10000"), audit: true });
await store.ready();
const cue = new Cue({ store });
if (mode === "rate" || mode === "two") cue.service("api", { rate: env.RCR_RATE ?? "20/s", concurrent: 5 });
else if (mode === "tokens") cue.service("api", { rate: "100 tokens/s" });
else if (mode === "keyed") cue.service("api", { concurrent: 10 });
else cue.service("api", { concurrent: 2 });
if (mode === "two") cue.service("db", { concurrent: 3 });
const keyed = mode === "keyed" || mode === "keyhold";
/** "keyed": the [start, end] of each work, by its submit key. */
const keySpans: Record<string, [number, number][]> = {};
const starts: number[] = [];
const costs: number[] = [];
const spans: [number, number][] = [];
cue.task("call", { uses: mode === "two" ? ["api", "db"] : "api", cost: (work: { params: { tokens?: number } }) => ({ tokens: work.params.tokens ?? 0 }) }, async (work) => {
  starts.push(now());
  if (starts.length === 1) say({ first: starts[0] });
  costs.push((work.params as { tokens?: number }).tokens ?? 0);
  if (mode === "hold" || mode === "keyhold") {
    if (starts.length === (mode === "hold" ? 2 : 1)) say({ held: starts.length });
    await sleep(systemClock, 60_000);
  } else if (keyed) {
    const at = starts[starts.length - 1] as number;
    await sleep(systemClock, 40);
    (keySpans[work.key as string] ??= []).push([at, now()]);
  } else {
    const at = starts[starts.length - 1] as number;
    await sleep(systemClock, mode === "two" ? 100 : 5);
    spans.push([at, now()]);
  }
});
// "go": say ready, then take the start time from the parent (stdin), so that every child starts
// together however long each took to boot.
let startAt = Number(env.RCR_START_AT ?? "0");
if (env.RCR_START_AT === "go") {
  say({ ready: true });
  const input = createInterface({ input: process.stdin });
  startAt = Number((await input[Symbol.asyncIterator]().next()).value);
  input.close();
}
if (startAt > Date.now()) await new Promise((r) => setTimeout(r, startAt - Date.now()));
cue.start();
// Costs 5..30 tokens, the same sequence in every child (no randomness in a test).
if (mode === "keyhold") await cue.submit("call", {}, { key: "k0" });
else if (keyed) {
  for (let round = 0; round < count; round++) {
    for (let k = 0; k < 4; k++) await cue.submit("call", {}, { key: `k${k}` });
    await cue.idle();
  }
} else for (let i = 0; i < count; i++) await cue.submit("call", mode === "tokens" ? { tokens: 5 + ((i * 7) % 26) } : {});
await cue.idle();
await cue.stop();
await store.close();
say({ starts, costs, spans, keySpans, scriptCalls: store.scriptCalls, reseeds: store.reseeds });
