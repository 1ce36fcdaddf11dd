import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FromWorker } from "./worker-protocol.js";
import type { SpawnChannel } from "./worker-pool.js";
import { WORKER_ENTRY } from "./worker-spec.js";

/** How long a child process asked to exit (by disconnecting it) may take before it is killed. */
const CLOSE_GRACE_MS = 2000;

/**
 * Runs a worker in a child process (`child_process.fork` of the worker entry): its own memory
 * and its own V8, so a crash, a leak or a native module's fault stays there. Messages use the
 * `advanced` serialization (structured clone, like threads). Standard output and error are the
 * parent's; standard input is not given. It exits when disconnected, and is killed with
 * `SIGKILL` when it must stop now.
 */
export const spawnProcess: SpawnChannel = (url, events) => {
  const child = fork(fileURLToPath(WORKER_ENTRY), [url.href], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let exited = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const finish = (code: number | null, signal: string | null, error: unknown): void => {
    if (exited) return;
    exited = true;
    if (killTimer !== undefined) clearTimeout(killTimer);
    events.exit(code, signal, error);
  };
  child.on("message", (message) => events.message(message as FromWorker));
  child.on("exit", (code, signal) => finish(code, signal, undefined));
  // `error`: the process could not be spawned (then no `exit` follows), or a signal could not be sent.
  child.on("error", (error) => {
    if (child.pid === undefined) finish(null, null, error);
  });
  const kill = (): void => {
    if (!exited) child.kill("SIGKILL");
  };
  return {
    send: (message) => {
      // A channel closed under us reports through the callback; the exit follows.
      child.send(message, undefined, {}, () => undefined);
    },
    ref: () => {
      child.ref();
      child.channel?.ref();
    },
    unref: () => {
      child.unref();
      child.channel?.unref();
    },
    close: () => {
      if (exited) return;
      if (child.connected) child.disconnect();
      killTimer = setTimeout(kill, CLOSE_GRACE_MS);
      killTimer.unref();
    },
    kill,
  };
};
