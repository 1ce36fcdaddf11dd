// Shared by the runcue-redis tests: a check that Redis answers (fail fast, with a clear message),
// unique namespaces, and cleanup of a namespace's keys.
import { randomBytes } from "node:crypto";
import { createClient } from "redis";

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
