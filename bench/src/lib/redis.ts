/** BullMQ needs Redis: connection options from `REDIS_URL`, unique queue names, cleanup. */
import { randomBytes } from "node:crypto";
import type { Queue, Worker } from "bullmq";

/** Connection options for BullMQ (ioredis options), or undefined when `REDIS_URL` is not set. */
export interface RedisConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  maxRetriesPerRequest: null;
}

/** Reads `REDIS_URL` (e.g. `redis://127.0.0.1:6379/0`). */
export function redisConnection(): RedisConnection | undefined {
  const raw = process.env.REDIS_URL;
  if (raw === undefined || raw === "") return undefined;
  const url = new URL(raw);
  const db = Number(url.pathname.replace(/^\//, "") || "0");
  return {
    host: url.hostname || "127.0.0.1",
    port: Number(url.port || "6379"),
    db: Number.isInteger(db) ? db : 0,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    maxRetriesPerRequest: null,
  };
}

/** A queue name no other run uses. */
export function uniqueQueueName(label: string): string {
  return `runcue-bench-${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Closes the worker, deletes every key of the queue, closes the queue. */
export async function dispose(queue: Queue, worker: Worker | undefined): Promise<void> {
  if (worker !== undefined) await worker.close(true);
  await queue.obliterate({ force: true });
  await queue.close();
}

/** The note printed when BullMQ is skipped. */
export const BULLMQ_SKIPPED = "BullMQ skipped: set REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379) to include it.";
