/**
 * The program every worker runs, in a worker thread or in a child process: it imports the task's
 * module, says `ready` (or why it cannot run it), then runs one work at a time with the module's
 * default export. Each work gets an `AbortController` of its own; the pool's `abort` message
 * aborts it. Results and errors go back through `worker-protocol.ts`.
 *
 * The module URL comes as `workerData.module` in a thread and as the first argument in a
 * process. A child process also exits when its parent disconnects (the pool closing it, or the
 * parent dying), and reports an uncaught exception before it exits (a thread's uncaught
 * exception reaches the pool through the `Worker`'s own `error` event).
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { describeValue, messageOf } from "../errors.js";
import { Permanent } from "../steering.js";
import { reviveThrown, serializeThrown, type FromWorker, type ToWorker } from "./worker-protocol.js";

/** How this worker talks to its pool. */
interface Port {
  /** Posts a message; throws when it cannot be cloned. `then` runs once it is sent. */
  post(message: FromWorker, then?: () => void): void;
  listen(onMessage: (message: ToWorker) => void): void;
  /** Ends this worker once pending messages are out. */
  end(): void;
  readonly kind: "thread" | "process";
}

function threadPort(port: NonNullable<typeof parentPort>): Port {
  return {
    kind: "thread",
    post: (message, then) => {
      port.postMessage(message);
      then?.();
    },
    listen: (onMessage) => port.on("message", onMessage),
    // A thread that listens to nothing ends by itself once its messages are out.
    end: () => undefined,
  };
}

function processPort(): Port {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error("runcue worker entry: started without a parent (it is run by a worker pool)");
  // The pool closed this worker, or the parent is gone: nothing can reach us any more.
  process.on("disconnect", () => process.exit(0));
  process.on("uncaughtException", (error) => {
    try {
      send({ type: "crash", thrown: serializeThrown(error) } satisfies FromWorker, undefined, {}, () => process.exit(1));
    } catch {
      process.exit(1);
    }
  });
  return {
    kind: "process",
    post: (message, then) => {
      send(message, undefined, {}, (error) => {
        if (error === null) then?.();
      });
    },
    listen: (onMessage) => process.on("message", (message) => onMessage(message as ToWorker)),
    end: () => process.disconnect(),
  };
}

/** Runs one work and posts its result or error; a result that cannot be cloned fails it instead. */
async function runOne(handler: (work: unknown) => unknown, port: Port, call: number, work: object, controllers: Map<number, AbortController>): Promise<void> {
  const controller = new AbortController();
  controllers.set(call, controller);
  let message: FromWorker;
  try {
    const value = await handler({ ...work, signal: controller.signal });
    message = { type: "done", call, ok: true, value };
  } catch (error) {
    message = { type: "done", call, ok: false, thrown: serializeThrown(error) };
  } finally {
    controllers.delete(call);
  }
  try {
    port.post(message);
  } catch (cloneError) {
    const { id, task } = work as { id: string; task: string };
    const error = new Permanent(`The result of work ${id} (task "${task}") cannot be sent back from its worker ${port.kind}: ${messageOf(cloneError)}`, { cause: cloneError });
    port.post({ type: "done", call, ok: false, thrown: serializeThrown(error) });
  }
}

async function main(): Promise<void> {
  const port = parentPort ? threadPort(parentPort) : processPort();
  const href = parentPort ? (workerData as { module: string }).module : process.argv[2];
  let handler: unknown;
  try {
    handler = ((await import(String(href))) as { default?: unknown }).default;
  } catch (error) {
    port.post({ type: "load-error", thrown: serializeThrown(error) }, () => port.end());
    return;
  }
  if (typeof handler !== "function") {
    port.post({ type: "load-error", found: handler === undefined ? "no default export" : `a default export that is ${describeValue(handler)}, not a function` }, () => port.end());
    return;
  }
  const run = handler as (work: unknown) => unknown;
  const controllers = new Map<number, AbortController>();
  port.listen((message) => {
    if (message.type === "abort") controllers.get(message.call)?.abort(reviveThrown(message.reason));
    else void runOne(run, port, message.call, message.work, controllers);
  });
  port.post({ type: "ready" });
}

await main();
