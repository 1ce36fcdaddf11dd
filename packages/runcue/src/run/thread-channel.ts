import { Worker } from "node:worker_threads";
import type { FromWorker } from "./worker-protocol.js";
import type { SpawnChannel } from "./worker-pool.js";
import { WORKER_ENTRY } from "./worker-spec.js";

/**
 * Runs a worker in a `node:worker_threads` thread of this process: cheap to start (tens of
 * milliseconds), params and results copied by structured clone. `terminate()` stops it even in
 * the middle of a synchronous loop. An uncaught exception in it ends only that thread.
 */
export const spawnThread: SpawnChannel = (url, events) => {
  const worker = new Worker(WORKER_ENTRY, { workerData: { module: url.href } });
  let uncaught: unknown;
  worker.on("message", (message: FromWorker) => events.message(message));
  worker.on("messageerror", (error) => events.messageError(error));
  worker.on("error", (error) => {
    uncaught = error;
  });
  worker.on("exit", (code) => events.exit(code, null, uncaught));
  return {
    send: (message) => worker.postMessage(message),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    close: () => void worker.terminate(),
    kill: () => void worker.terminate(),
  };
};
