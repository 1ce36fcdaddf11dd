// Shared by the runcue-redis tests: a check that Redis answers (fail fast, with a clear message),
// unique namespaces, and cleanup of a namespace's keys.
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { sleep, systemClock } from "runcue";

export const REDIS_URL = process.env.RUNCUE_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A namespace no other test (or run) uses. */
export function uniqueNamespace(label: string): string {
  return `test-${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

function makeClient() {
  return createClient({ url: REDIS_URL, disableOfflineQueue: true, socket: { connectTimeout: 1000, reconnectStrategy: false } });
}
export type Client = ReturnType<typeof makeClient>;

/** A connected client, or a clear error within a second when Redis does not answer. */
export async function connectOrExplain(): Promise<Client> {
  const client = makeClient();
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (error) {
    client.destroy();
    throw new Error(`runcue-redis tests need a Redis server at ${REDIS_URL} (start redis-server, or set RUNCUE_REDIS_URL; .ci/run starts one): ${(error as Error).message}`);
  }
}

/** Deletes every key of a namespace (prefix `{runcue:<ns>}`). */
export async function dropNamespace(client: Client, namespace: string): Promise<number> {
  let n = 0;
  for await (const keys of client.scanIterator({ MATCH: `{runcue:${namespace}}*`, COUNT: 500 })) {
    if (keys.length > 0) n += await client.del(keys);
  }
  return n;
}

/**
 * Registers this file's Redis hooks: connect (or explain) before its tests, drop every namespace
 * handed out and disconnect after. Returns the function that hands out namespaces.
 */
export function useNamespaces(hooks: { beforeAll: (fn: () => Promise<void>) => void; afterAll: (fn: () => Promise<void>) => void }): (label: string) => string {
  let admin: Client | undefined;
  const used: string[] = [];
  hooks.beforeAll(async () => {
    admin = await connectOrExplain();
  });
  hooks.afterAll(async () => {
    if (admin !== undefined) for (const ns of used) await dropNamespace(admin, ns);
    admin?.destroy();
  });
  return (label) => {
    const ns = uniqueNamespace(label);
    used.push(ns);
    return ns;
  };
}

/** The most works running at once, from [start, end] intervals (an end before a start at the same instant). */
export function maxOverlap(intervals: [number, number][]): number {
  const events = intervals.flatMap(([s, e]) => [[s, 1], [e, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (running += d));
  return most;
}

/** The start times Redis itself stamped for a service (the `audit` list of a store made with `audit: true`). */
export async function auditedStarts(namespace: string, service: string): Promise<number[]> {
  const client = await connectOrExplain();
  try {
    return (await client.lRange(`{runcue:${namespace}}:s:${encodeURIComponent(service)}:starts`, 0, -1)).map(Number);
  } finally {
    client.destroy();
  }
}

/** The [time, weight of `measure`] of each audited start, on Redis's clock (the `audit` lists of starts and costs). */
export async function auditedWeights(namespace: string, service: string, measure: string): Promise<[number, number][]> {
  const client = await connectOrExplain();
  try {
    const prefix = `{runcue:${namespace}}:s:${encodeURIComponent(service)}`;
    const [starts, costs] = await Promise.all([client.lRange(`${prefix}:starts`, 0, -1), client.lRange(`${prefix}:costs`, 0, -1)]);
    return starts.map((at, i) => [Number(at), Number(new RegExp(`(?:^|,)${measure}=([^,]+)`).exec(costs[i] ?? "")?.[1] ?? 0)]);
  } finally {
    client.destroy();
  }
}

/** The [start, end] of each audited start, on Redis's clock (the `audit` list of spans). */
export async function auditedSpans(namespace: string, service: string): Promise<[number, number][]> {
  const client = await connectOrExplain();
  try {
    const rows = await client.lRange(`{runcue:${namespace}}:s:${encodeURIComponent(service)}:spans`, 0, -1);
    return rows.map((row) => row.split(" ").map(Number) as [number, number]);
  } finally {
    client.destroy();
  }
}

/** Resolves once `check` holds (checked every 10 ms). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(systemClock, 10);
}

/**
 * Each child's clock is `performance.timeOrigin + performance.now()`, fixed at its own start:
 * the processes' clocks may differ by a little (a few hundred µs here, up to 1–2 ms under heavy
 * load). Redis's own record (the `audit` option: one clock for every start and end) is checked
 * exactly; the handlers' records within this skew: windows this much shorter on each side, and
 * each [start, end] this much shorter at both ends ({@link withinSkew}).
 */
export const SKEW_MS = 2;

/** Each [start, end] from the children's own clocks, shortened by {@link SKEW_MS} at both ends. */
export function withinSkew(spans: [number, number][]): [number, number][] {
  return spans.map(([a, b]) => [a + SKEW_MS, Math.max(a + SKEW_MS, b - SKEW_MS)]);
}
