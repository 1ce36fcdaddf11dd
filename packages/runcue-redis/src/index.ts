/**
 * runcue-redis: share a cue's service limits with every process that uses the same Redis
 * namespace. `new Cue({ store: new RedisStore({ url, namespace }) })`.
 * @module
 */
export { RedisStore } from "./store.js";
export type { RedisStoreOptions } from "./store.js";
export type { RedisScriptClient } from "./link.js";
