import { CancelledError, ConfigurationError, messageOf } from "../errors.js";
import { Permanent } from "../steering.js";
import type { Work } from "../work/work.js";
import { WorkerError } from "./worker-error.js";
import { reviveThrown, serializeThrown, type FromWorker, type ToWorker, type WorkCopy } from "./worker-protocol.js";
import type { WorkerSpec } from "./worker-spec.js";

/** What a pool is told about one of its workers. */
export interface ChannelEvents {
  message(message: FromWorker): void;
  /** A message from the worker could not be deserialized. */
  messageError(error: unknown): void;
  /** The worker ended; `error` is its uncaught exception, when one was reported. */
  exit(code: number | null, signal: string | null, error: unknown): void;
}

/** One worker thread or child process, as its pool drives it. */
export interface WorkerChannel {
  /** Posts a message; throws (synchronously) when it cannot be cloned. */
  send(message: ToWorker): void;
  /** Keeps the program alive while the worker has work. */
  ref(): void;
  /** Lets the program exit while the worker is idle. */
  unref(): void;
  /** Ends an idle worker politely. */
  close(): void;
  /** Ends a worker now, whatever it is doing. */
  kill(): void;
}

/** Starts a worker for a module; may throw when the thread or process cannot be created. */
export type SpawnChannel = (url: URL, events: ChannelEvents) => WorkerChannel;

/** A call: one attempt of one work, from `run` until it settles. */
interface Call {
  readonly id: number;
  readonly work: WorkCopy;
  readonly signal: AbortSignal;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
  worker: PoolWorker | undefined;
  settled: boolean;
}

/**
 * A worker's state: `starting` (loading the module), `idle`, `busy` (running a call),
 * `aborting` (its call's signal aborted; it has the grace period to return), `closing` (ended
 * by the pool: idle timeout, grace over, load failure, pool closed; its exit reports nothing).
 */
type WorkerState = "starting" | "idle" | "busy" | "aborting" | "closing";

interface PoolWorker {
  channel: WorkerChannel;
  state: WorkerState;
  call: Call | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The uncaught exception a child process reported before exiting. */
  crash: unknown;
  /** Its pool was closed: it ends as soon as it has no call. */
  retired: boolean;
  readonly exited: Promise<void>;
}

/**
 * The workers of one module: started on demand up to `max`, reused across works (one work per
 * worker at a time), ended after `idleTimeoutMs` idle, replaced when they crash or are
 * terminated. An aborted call's worker gets `abortGraceMs` to return before it is terminated;
 * until then it still counts against `max`, so the pool never runs more workers than its tasks
 * could run at once. A module that cannot be loaded (or whose default export is not a function)
 * fails every call with a `ConfigurationError` until the pool is closed.
 *
 * Timers here are real ones (a worker lives in real time, whatever the cue's clock), and are
 * unref'ed: only a worker with work keeps the program alive.
 */
export class WorkerPool {
  readonly #spec: WorkerSpec;
  readonly #spawnChannel: SpawnChannel;
  readonly #what: string;
  #max = 1;
  #workers = new Set<PoolWorker>();
  #idle: PoolWorker[] = [];
  #queue: Call[] = [];
  #loadError: ConfigurationError | undefined = undefined;
  #calls = 0;

  constructor(spec: WorkerSpec, spawn: SpawnChannel) {
    this.#spec = spec;
    this.#spawnChannel = spawn;
    this.#what = `worker ${spec.isolation}`;
  }

  /**
   * The most workers alive at once (at least 1). Raised, it starts workers for waiting calls at
   * once; lowered, it ends idle workers over it now and busy ones as they become idle.
   */
  set max(value: number) {
    this.#max = Math.max(1, value);
    while (this.size > this.#max && this.#idle.length > 0) this.#end(this.#idle[0] as PoolWorker, "close");
    this.#drain();
  }

  get max(): number {
    return this.#max;
  }

  /** Workers alive (starting, idle or busy), not counting those being ended. */
  get size(): number {
    let n = 0;
    for (const w of this.#workers) if (w.state !== "closing") n++;
    return n;
  }

  /** Runs one attempt of `work` in a worker; settles with the handler's result or error. */
  run(work: Work): Promise<unknown> {
    if (this.#loadError !== undefined) return Promise.reject(this.#loadError);
    const signal = work.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<unknown>((resolve, reject) => {
      const call: Call = {
        id: ++this.#calls,
        work: { id: work.id, task: work.task, params: work.params, attempt: work.attempt, paths: work.paths },
        signal,
        resolve,
        reject,
        onAbort: () => this.#aborted(call),
        worker: undefined,
        settled: false,
      };
      signal.addEventListener("abort", call.onAbort, { once: true });
      this.#queue.push(call);
      this.#drain();
    });
  }

  /**
   * Ends every worker and fails what still waits. `cue.stop()` calls this once no work runs, so
   * only aborted calls can be left: their workers keep their grace to return, then end. Resolves
   * once every thread or process has exited. The pool can be used again afterwards (by new
   * workers); it forgets a module load failure, so a fixed module is loaded anew.
   */
  async close(): Promise<void> {
    const workers = [...this.#workers];
    const queue = this.#queue;
    this.#workers = new Set();
    this.#idle = [];
    this.#queue = [];
    this.#loadError = undefined;
    for (const call of queue) this.#settle(call, false, new CancelledError(`Work ${call.work.id} (${call.work.task}) was waiting for a ${this.#what} when its pool closed`));
    for (const w of workers) {
      const { state, call } = w;
      w.retired = true;
      w.channel.ref(); // the program waits for the exits close() promises
      if (state === "aborting") continue;
      this.#end(w, state === "idle" ? "close" : "kill");
      if (call !== undefined) this.#settle(call, false, new CancelledError(`Work ${call.work.id} (${call.work.task}) was running in a ${this.#what} when its pool closed`));
    }
    await Promise.all(workers.map((w) => w.exited));
  }

  /** Hands queued calls to idle workers, and starts workers for the rest while under `max`. */
  #drain(): void {
    while (this.#queue.length > 0) {
      const idle = this.#idle.pop();
      if (idle !== undefined) {
        this.#dispatch(idle, this.#queue.shift() as Call);
        continue;
      }
      let starting = 0;
      for (const w of this.#workers) if (w.state === "starting") starting++;
      if (starting >= this.#queue.length || this.size >= this.#max) return;
      if (!this.#spawn()) return;
    }
  }

  #spawn(): boolean {
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    // The channel reports only asynchronously, so `worker` is set before any of these run.
    const events: ChannelEvents = {
      message: (message) => this.#message(worker, message),
      messageError: (error) => this.#messageError(worker, error),
      exit: (code, signal, error) => {
        this.#exit(worker, code, signal, error);
        markExited();
      },
    };
    let channel: WorkerChannel;
    try {
      channel = this.#spawnChannel(this.#spec.url, events);
    } catch (error) {
      // The thread or process could not be created (out of memory, too many processes): fail what waits.
      const queue = this.#queue;
      this.#queue = [];
      for (const call of queue) this.#settle(call, false, new WorkerError(`Could not start a ${this.#what} for work ${call.work.id} (task "${call.work.task}"): ${messageOf(error)}`, null, null, { cause: error }));
      return false;
    }
    const worker: PoolWorker = { channel, state: "starting", call: undefined, timer: undefined, crash: undefined, retired: false, exited };
    this.#workers.add(worker);
    return true;
  }

  #dispatch(worker: PoolWorker, call: Call): void {
    this.#clearTimer(worker);
    worker.state = "busy";
    worker.call = call;
    call.worker = worker;
    worker.channel.ref();
    try {
      worker.channel.send({ type: "run", call: call.id, work: call.work });
    } catch (error) {
      // Structured clone refused the params: nothing was sent, the worker is still free.
      this.#settle(call, false, new Permanent(`The params of work ${call.work.id} (task "${call.work.task}") cannot be sent to its ${this.#what}: ${messageOf(error)}`, { cause: error }));
      this.#free(worker);
    }
  }

  /** A worker finished (or never got) its call: give it the next one, or let it idle. */
  #free(worker: PoolWorker): void {
    this.#clearTimer(worker);
    worker.call = undefined;
    if (worker.retired) {
      this.#end(worker, "close");
      return;
    }
    const next = this.#queue.shift();
    if (next !== undefined) {
      this.#dispatch(worker, next);
      return;
    }
    if (this.size > this.#max) {
      this.#end(worker, "close"); // the pool was made smaller while this worker was busy
      return;
    }
    worker.state = "idle";
    worker.channel.unref();
    this.#idle.push(worker);
    worker.timer = setTimeout(() => this.#idleTimeout(worker), this.#spec.idleTimeoutMs);
    worker.timer.unref();
  }

  #idleTimeout(worker: PoolWorker): void {
    worker.timer = undefined;
    if (worker.state === "idle") this.#end(worker, "close");
  }

  #message(worker: PoolWorker, message: FromWorker): void {
    switch (message.type) {
      case "ready":
        if (worker.state === "starting") this.#free(worker);
        return;
      case "load-error":
        this.#loadFailed(worker, this.#loadErrorOf(message));
        return;
      case "done": {
        const call = worker.call;
        if (call === undefined || call.id !== message.call) return;
        this.#settle(call, message.ok, message.ok ? message.value : reviveThrown(message.thrown));
        if (worker.state === "busy" || worker.state === "aborting") this.#free(worker);
        return;
      }
      case "crash":
        // The exit follows; keep the error for it.
        worker.crash = reviveThrown(message.thrown);
        return;
    }
  }

  #messageError(worker: PoolWorker, error: unknown): void {
    const call = worker.call;
    if (call === undefined) return;
    this.#settle(call, false, new Permanent(`The result of work ${call.work.id} (task "${call.work.task}") could not be read from its ${this.#what}: ${messageOf(error)}`, { cause: error }));
    if (worker.state === "busy" || worker.state === "aborting") this.#free(worker);
  }

  #loadErrorOf(message: Extract<FromWorker, { type: "load-error" }>): ConfigurationError {
    const href = JSON.stringify(this.#spec.url.href);
    if (message.thrown === undefined) {
      return new ConfigurationError("ERR_INVALID_OPTION", `Worker module ${href} has ${message.found ?? "no default export"} (expected its default export to be the handler: a function of the work)`);
    }
    const cause = reviveThrown(message.thrown);
    const hint = (cause as { code?: unknown } | undefined)?.code === "ERR_UNKNOWN_FILE_EXTENSION" ? " (workers load JavaScript: point to the compiled .js or .mjs file)" : "";
    return new ConfigurationError("ERR_INVALID_OPTION", `Worker module ${href} failed to load: ${messageOf(cause)}${hint}`, { cause });
  }

  /**
   * The module cannot run: remember why (the first reason, when several workers were loading it),
   * end the worker and the others still loading it, fail every waiting call.
   */
  #loadFailed(worker: PoolWorker, error: ConfigurationError): void {
    const reason = (this.#loadError ??= error);
    this.#end(worker, "kill");
    for (const other of this.#workers) if (other.state === "starting") this.#end(other, "kill");
    const queue = this.#queue;
    this.#queue = [];
    for (const call of queue) this.#settle(call, false, reason);
  }

  #aborted(call: Call): void {
    const worker = call.worker;
    if (worker === undefined || worker.call !== call) {
      // Still waiting for a worker: it never runs.
      const i = this.#queue.indexOf(call);
      if (i >= 0) this.#queue.splice(i, 1);
      this.#settle(call, false, call.signal.reason);
      return;
    }
    worker.state = "aborting";
    try {
      worker.channel.send({ type: "abort", call: call.id, reason: serializeThrown(call.signal.reason) });
    } catch {
      // The channel is gone: the exit is on its way.
    }
    worker.timer = setTimeout(() => {
      worker.timer = undefined;
      if (worker.call !== call) return;
      // It did not return in time: end it (a handler in a synchronous loop never sees its signal).
      this.#settle(call, false, call.signal.reason);
      this.#end(worker, "kill");
      this.#drain();
    }, this.#spec.abortGraceMs);
    worker.timer.unref();
  }

  #exit(worker: PoolWorker, code: number | null, signal: string | null, error: unknown): void {
    const { state, call } = worker;
    this.#clearTimer(worker);
    worker.call = undefined;
    this.#workers.delete(worker);
    const idle = this.#idle.indexOf(worker);
    if (idle >= 0) this.#idle.splice(idle, 1);
    worker.state = "closing";
    const cause = error ?? worker.crash;
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`;
    const why = cause === undefined ? "" : `: ${messageOf(cause)}`;
    if (state === "starting") {
      this.#loadFailed(worker, new ConfigurationError("ERR_INVALID_OPTION", `Worker module ${JSON.stringify(this.#spec.url.href)} ${how} while loading${why}`, cause === undefined ? {} : { cause }));
    } else if (call !== undefined) {
      const message = `The ${this.#what} running work ${call.work.id} (task "${call.work.task}", attempt ${call.work.attempt}) ${how}${why}`;
      this.#settle(call, false, state === "aborting" ? call.signal.reason : new WorkerError(message, code, signal, cause === undefined ? {} : { cause }));
    } else if (state === "idle") {
      console.warn(`runcue: an idle ${this.#what} of module ${this.#spec.url.href} ${how}${why}`);
    }
    this.#drain();
  }

  /** Ends a worker: `close` politely (idle), `kill` now. Its exit then reports nothing. */
  #end(worker: PoolWorker, how: "close" | "kill"): void {
    this.#clearTimer(worker);
    worker.state = "closing";
    worker.call = undefined;
    const idle = this.#idle.indexOf(worker);
    if (idle >= 0) this.#idle.splice(idle, 1);
    if (how === "close") worker.channel.close();
    else worker.channel.kill();
  }

  #clearTimer(worker: PoolWorker): void {
    if (worker.timer === undefined) return;
    clearTimeout(worker.timer);
    worker.timer = undefined;
  }

  #settle(call: Call, ok: boolean, value: unknown): void {
    if (call.settled) return;
    call.settled = true;
    call.worker = undefined;
    call.signal.removeEventListener("abort", call.onAbort);
    if (ok) call.resolve(value);
    else call.reject(value);
  }
}
