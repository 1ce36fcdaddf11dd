// The core's limiter contract, run against RedisStore on a real Redis server (the scripts take
// the virtual clock of the tests: `time: "cue"`), one namespace per test.
import { afterAll, beforeAll } from "vitest";
import type { LimiterStore } from "runcue";
import { describeClaimsContract, describeJointContract, describeLimiterContract } from "../../runcue/test/limiter-contract.js";
import { RedisStore } from "../src/index.js";
import { REDIS_URL, connectOrExplain, dropNamespace, uniqueNamespace } from "./redis-helpers.js";

let admin: Awaited<ReturnType<typeof connectOrExplain>>;
const namespaces = new Map<LimiterStore, string>();

beforeAll(async () => {
  admin = await connectOrExplain();
});
afterAll(async () => {
  admin?.destroy();
});

function makeStore(): LimiterStore {
  const namespace = uniqueNamespace("contract");
  const store = new RedisStore({ url: REDIS_URL, namespace, time: "cue" });
  namespaces.set(store, namespace);
  return store;
}

async function dispose(store: LimiterStore): Promise<void> {
  await (store as RedisStore).close();
  await dropNamespace(admin, namespaces.get(store) as string);
}

describeLimiterContract("redis", makeStore, dispose);
describeClaimsContract("redis", makeStore, dispose);
describeJointContract("redis", makeStore, dispose);
