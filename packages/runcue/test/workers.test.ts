// Worker tasks (issue 13): handlers in worker threads and child processes. Real time throughout:
// workers are threads and processes. The worker modules are in ./fixtures (plain .mjs: workers
// load JavaScript), and the worker entry is the compiled one in packages/runcue/dist.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  CancelledError,
  ConfigurationError,
  Cue,
  isPermanent,
  Permanent,
  TimeoutError,
  WorkerError,
  type TaskHandle,
  type TaskOptions,
  type Work,
} from "runcue";
import { WorkerPool, type ChannelEvents, type SpawnChannel } from "../src/run/worker-pool.js";

const behaviors = new URL("./fixtures/behaviors.mjs", import.meta.url);
const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

/** A module that does not parse, written at run time (the linter would reject it as a fixture). */
function syntaxError(): URL {
  const file = join(mkdtempSync(join(tmpdir(), "runcue-workers-")), "syntax-error.mjs");
  writeFileSync(file, "export default function (work) {\n  return work.params +;\n}\n");
  return pathToFileURL(file);
}

interface Echo {
  id: string;
  task: string;
  params: Record<string, unknown>;
  attempt: number;
  pid: number;
  threadId: number;
  isMainThread: boolean;
  calls: number;
  hasSignal: boolean;
}

beforeAll(() => {
  const entry = new URL("../dist/run/worker-entry.js", import.meta.url);
  const built = statSync(entry, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  for (const source of ["worker-entry.ts", "worker-protocol.ts"]) {
    const changed = statSync(new URL(`../src/run/${source}`, import.meta.url)).mtimeMs;
    if (changed > built) throw new Error(`packages/runcue/dist/run/worker-entry.js is missing or older than src/run/${source}: run \`npm run build\` first (workers run the compiled entry)`);
  }
});

const cues: Cue[] = [];
afterEach(async () => {
  await Promise.all(cues.splice(0).map((cue) => cue.stop({ timeout: 0 })));
});

/** A started cue with a "cpu" service of 2 slots, stopped after the test; failures are expected, so they are not printed. */
function workerCue(): Cue {
  const cue = new Cue();
  cue.service("cpu", { concurrent: 2 });
  cue.on("fail", () => undefined);
  cues.push(cue);
  void cue.start();
  return cue;
}

/**
 * A started cue with one slot, and two tasks on the same module, isolation and pool options (so
 * one pool of one worker): `warm` without a timeout, `timed` with the options given.
 */
function oneSlot(options: TaskOptions): { cue: Cue; warm: TaskHandle<unknown, unknown>; timed: TaskHandle<unknown, unknown> } {
  const cue = new Cue();
  cue.service("one", { concurrent: 1 });
  cue.on("fail", () => undefined);
  void cue.start();
  cues.push(cue);
  const { workerPool, isolation } = options;
  const warm = cue.task("warm", { uses: "one", worker: behaviors, ...(workerPool ? { workerPool } : {}), ...(isolation ? { isolation } : {}) });
  const timed = cue.task("timed", { ...options, uses: "one", worker: behaviors });
  return { cue, warm, timed };
}

/** Submits and waits for the work to end. */
async function run<P>(task: TaskHandle<P, unknown>, cue: Cue, params: P): Promise<Work> {
  return cue.wait(await task.submit(params));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function eventually(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`not within ${ms}ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("a worker task runs its module's default export off the event loop", () => {
  it("gets a plain copy of the work and a working signal, and its result comes back as from an in-process handler", async () => {
    const cue = workerCue();
    const echo = cue.task<{ mode: string; n: number }, Echo>("echo", { uses: "cpu", worker: behaviors });
    const completed = cue.once("complete");
    const work = await run(echo, cue, { mode: "echo", n: 1 });
    expect(work.state).toBe("completed");
    const result = work.result as Echo;
    expect(result).toMatchObject({ id: work.id, task: "echo", params: { mode: "echo", n: 1 }, attempt: 1, pid: process.pid, isMainThread: false, hasSignal: true });
    expect((await completed).result).toEqual(result);
  });

  it("middleware wraps a worker task's call like any handler's", async () => {
    const cue = workerCue();
    const echo = cue.task("echo", { worker: behaviors });
    const seen: string[] = [];
    cue.use(async ({ work, attempt }, next) => {
      seen.push(`before ${work.task} ${attempt}`);
      const result = (await next()) as Echo;
      seen.push(`after ${result.task} ${String(result.isMainThread)}`);
      return { ...result, wrapped: true };
    });
    expect((await run(echo, cue, { mode: "echo" })).result).toMatchObject({ task: "echo", wrapped: true });
    expect(seen).toEqual(["before echo 1", "after echo false"]);
  });

  it("accepts an absolute path as well as a file: URL", async () => {
    const cue = workerCue();
    const echo = cue.task("echo", { worker: new URL(behaviors).pathname });
    expect((await run(echo, cue, { mode: "echo" })).state).toBe("completed");
  });

  it("reuses its workers, and never starts more than the task can run at once (the services' concurrent)", async () => {
    const cue = workerCue();
    const echo = cue.task("echo", { uses: "cpu", worker: behaviors });
    const ids = await Promise.all(Array.from({ length: 8 }, () => echo.submit({ mode: "echo", delay: 30 })));
    const results = await Promise.all(ids.map(async (id) => (await cue.wait(id)).result as Echo));
    expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
    expect(Math.max(...results.map((r) => r.calls))).toBeGreaterThanOrEqual(3);
  });

  it("a service with per caps each key, not the pool: works of two keys run in two workers at once", async () => {
    const cue = new Cue();
    cue.service("api", { concurrent: 1, per: (work) => String((work.params as { user: string }).user) });
    void cue.start();
  cues.push(cue);
    const echo = cue.task("echo", { uses: "api", worker: behaviors });
    // Each work outlasts a thread's start on a loaded machine, so the pool cannot hand the second
    // work to the first thread once it is free: only a pool of two runs them.
    const ids = await Promise.all(["ann", "bob"].map((user) => echo.submit({ mode: "echo", user, delay: 1500 })));
    const results = await Promise.all(ids.map(async (id) => (await cue.wait(id)).result as Echo));
    expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
  });

  it("with isolation \"process\" runs the same module in a child process", async () => {
    const cue = workerCue();
    const echo = cue.task("echo", { uses: "cpu", worker: behaviors, isolation: "process" });
    const result = (await run(echo, cue, { mode: "echo", n: 2 })).result as Echo;
    expect(result.pid).not.toBe(process.pid);
    expect(result).toMatchObject({ params: { mode: "echo", n: 2 }, attempt: 1, isMainThread: true, hasSignal: true });
  });

  it("a service's update() resizes the pools of its tasks: concurrent raised from 1 to 2 runs two works in two threads at once", async () => {
    const cue = new Cue();
    const cpu = cue.service("cpu", { concurrent: 1 });
    void cue.start();
    cues.push(cue);
    const echo = cue.task("echo", { uses: "cpu", worker: behaviors });
    expect((await run(echo, cue, { mode: "echo" })).state).toBe("completed"); // one thread, warm
    cpu.update({ concurrent: 2 });
    // Each work outlasts a thread's start: only a pool of two runs them in two threads.
    const ids = await Promise.all([1, 2].map((n) => echo.submit({ mode: "echo", n, delay: 1500 })));
    const results = await Promise.all(ids.map(async (id) => (await cue.wait(id)).result as Echo));
    expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
  });

  it("a pool made smaller ends its idle workers over the new size at once, and its busy ones as they become idle", async () => {
    const channels: { events: ChannelEvents; closed: boolean }[] = [];
    const spawn: SpawnChannel = (_url, events) => {
      const channel = { events, closed: false };
      channels.push(channel);
      const exit = (): void => { channel.closed = true; queueMicrotask(() => events.exit(0, null, undefined)); };
      return { send: () => undefined, ref: () => undefined, unref: () => undefined, close: exit, kill: exit };
    };
    const pool = new WorkerPool({ url: behaviors, isolation: "thread", abortGraceMs: 1000, idleTimeoutMs: 60_000, key: "k" }, spawn);
    const work = (id: string) => ({ id, task: "t", params: {}, attempt: 1, signal: new AbortController().signal }) as unknown as Work;
    pool.max = 3;
    const calls = ["1", "2", "3"].map((id) => pool.run(work(id)));
    for (const c of channels) c.events.message({ type: "ready" }); // worker i takes call i + 1
    expect([pool.size, channels.length]).toEqual([3, 3]);
    channels[2]!.events.message({ type: "done", call: 3, ok: true, value: "c" });
    pool.max = 1;
    expect(channels.map((c) => c.closed)).toEqual([false, false, true]); // the idle one ends at once
    channels[0]!.events.message({ type: "done", call: 1, ok: true, value: "a" });
    expect(channels.map((c) => c.closed)).toEqual([true, false, true]); // then each busy one as it finishes
    channels[1]!.events.message({ type: "done", call: 2, ok: true, value: "b" });
    expect(channels.map((c) => c.closed)).toEqual([true, false, true]); // down to the new size: it stays
    expect(await Promise.all(calls)).toEqual(["a", "b", "c"]);
    expect(pool.size).toBe(1);
  });
});

describe("errors come back with their name, message, code, stack, cause and fields, and steer as in process", () => {
  it.each(["thread", "process"] as const)("%s: keeps the class, code, stack, cause and cloneable fields of a thrown error", async (isolation) => {
    const cue = workerCue();
    const task = cue.task("bad", { worker: behaviors, isolation });
    const error = (await run(task, cue, { mode: "type-error", value: 7 })).error as TypeError & { code: string; details: unknown; cause: Error };
    expect(error).toBeInstanceOf(TypeError);
    expect(error.name).toBe("TypeError");
    expect(error.message).toBe("bad input 7");
    expect(error.code).toBe("E_BAD_INPUT");
    expect(error.details).toEqual({ value: 7 });
    expect(error.stack).toContain("behaviors.mjs");
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause.message).toBe("the root cause");
    expect("unclonable" in error).toBe(false);
  });

  it("a thrown non-Error value becomes an Error with the value as its cause", async () => {
    const cue = workerCue();
    const task = cue.task("bad", { worker: behaviors });
    const error = (await run(task, cue, { mode: "throw-string" })).error!;
    expect(error.message).toBe('Handler threw a non-Error value: "just a string"');
    expect(error.cause).toBe("just a string");
  });

  it("a failure is retried in a worker while attempts remain", async () => {
    const cue = workerCue();
    const task = cue.task("flaky", { worker: behaviors, retry: { attempts: 3, delay: 10 } });
    const retries: number[] = [];
    cue.on("retry", ({ work }) => {
      retries.push(work.attempt);
    });
    const work = await run(task, cue, { mode: "fail-until", attempt: 3 });
    expect(work.result).toBe("ok on attempt 3");
    expect(retries).toEqual([2, 3]);
  });

  it("Permanent fails at once, whatever the attempts left", async () => {
    const cue = workerCue();
    const task = cue.task("hopeless", { worker: behaviors, retry: { attempts: 5, delay: 10 } });
    const work = await run(task, cue, { mode: "permanent" });
    expect(work.state).toBe("failed");
    expect(work.attempt).toBe(1);
    expect(work.error).toBeInstanceOf(Permanent);
    expect(isPermanent(work.error)).toBe(true);
  });

  it.each(["thread", "process"] as const)("%s: Retry's delay replaces the backoff", async (isolation) => {
    const cue = workerCue();
    const task = cue.task("again", { worker: behaviors, isolation, retry: { attempts: 2, delay: "1h" } });
    const retry = cue.once("retry");
    const id = await task.submit({ mode: "retry", delay: 20 });
    expect((await retry).delayMs).toBe(20);
    expect((await cue.wait(id)).error?.name).toBe("Retry");
  });

  it.each(["thread", "process"] as const)("%s: RateLimited pauses the task's services and sends the work back without using an attempt; a plain error with its code does too", async (isolation) => {
    for (const mode of ["rate-limited", "plain-rate-limited"]) {
      const cue = workerCue();
      const task = cue.task("limited", { uses: "cpu", worker: behaviors, isolation });
      const pause = cue.once("pause");
      const t0 = Date.now();
      const work = await run(task, cue, { mode, retryAfter: 150 });
      const { service, until } = await pause;
      expect(service).toBe("cpu");
      expect(until - t0).toBeGreaterThanOrEqual(150);
      expect(work.state).toBe("completed");
      expect(work.attempt).toBe(1);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    }
  });
});

describe("timeouts and cancels abort the worker's signal; a worker that does not return in its grace is terminated and replaced", () => {
  // A handler timeout counts from the hand-over to the pool, so a worker's start counts too: each
  // test warms the pool through a task without a timeout that shares it ("one" slot, one worker).
  it.each(["thread", "process"] as const)("%s: a handler that honours its signal fails with the TimeoutError, and its worker is kept", async (isolation) => {
    const { cue, warm, timed } = oneSlot({ timeout: 200, isolation });
    const before = (await run(warm, cue, { mode: "echo" })).result as Echo;
    const work = await run(timed, cue, { mode: "sleep", ms: 10_000 });
    expect(work.error).toBeInstanceOf(TimeoutError);
    expect((work.error as TimeoutError).kind).toBe("handler");
    const after = (await run(warm, cue, { mode: "echo" })).result as Echo;
    expect({ pid: after.pid, threadId: after.threadId }).toEqual({ pid: before.pid, threadId: before.threadId });
    expect(after.calls).toBe(before.calls + 2);
  });

  it("a worker winding down after an abort still counts: the next work on the one slot waits for it instead of starting a second worker", async () => {
    const { cue, warm, timed } = oneSlot({ timeout: 200 });
    const before = (await run(warm, cue, { mode: "echo" })).result as Echo;
    expect((await run(timed, cue, { mode: "slow-abort", cleanupMs: 300 })).error).toBeInstanceOf(TimeoutError);
    const after = (await run(warm, cue, { mode: "echo" })).result as Echo;
    expect(after.threadId).toBe(before.threadId); // a second worker would be another thread
    expect(after.calls).toBe(before.calls + 2);
  });

  it("the worker's signal aborts with the same reason the work ends with", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runcue-workers-"));
    const { cue, warm, timed } = oneSlot({ timeout: 200 });
    await run(warm, cue, { mode: "echo" });
    const timedOut = join(dir, "timeout.json");
    expect((await run(timed, cue, { mode: "abort-reason", file: timedOut })).error).toBeInstanceOf(TimeoutError);
    const cancelled = join(dir, "cancel.json");
    const id = await warm.submit({ mode: "abort-reason", file: cancelled });
    await cue.once("start");
    await new Promise((resolve) => setTimeout(resolve, 50)); // the call reached the worker
    await cue.cancel(id);
    const written = (file: string): boolean => statSync(file, { throwIfNoEntry: false })?.size !== undefined && statSync(file).size > 0;
    await eventually(() => written(timedOut) && written(cancelled), "both reasons written");
    expect(JSON.parse(readFileSync(timedOut, "utf8"))).toMatchObject({ name: "TimeoutError", code: "ERR_TIMEOUT", kind: "handler" });
    expect(JSON.parse(readFileSync(cancelled, "utf8"))).toMatchObject({ name: "CancelledError", code: "ERR_CANCELLED", message: `Work ${id} (warm) was cancelled` });
  });

  it("a thread stuck in a synchronous loop is terminated after the grace, and the next work gets a new thread at once", async () => {
    const { cue, warm, timed } = oneSlot({ timeout: 200, workerPool: { abortGrace: 100 } });
    const before = (await run(warm, cue, { mode: "echo" })).result as Echo;
    const t0 = Date.now();
    const stuck = await timed.submit({ mode: "spin", ms: 20_000 });
    const next = await warm.submit({ mode: "echo" });
    expect((await cue.wait(stuck)).error).toBeInstanceOf(TimeoutError);
    const after = await cue.wait(next);
    expect(after.state).toBe("completed");
    expect((after.result as Echo).threadId).not.toBe(before.threadId);
    expect((after.result as Echo).calls).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("a cancelled work's child process that does not return is killed after the grace", async () => {
    const cue = workerCue();
    const task = cue.task("stuck", { worker: behaviors, isolation: "process", workerPool: { abortGrace: 100 } });
    const { pid } = (await run(task, cue, { mode: "echo" })).result as Echo;
    const id = await task.submit({ mode: "spin", ms: 20_000 });
    await cue.once("start");
    await new Promise((resolve) => setTimeout(resolve, 100)); // it is spinning in the child now
    await cue.cancel(id);
    const work = await cue.wait(id);
    expect(work.state).toBe("cancelled");
    expect(work.error).toBeInstanceOf(CancelledError);
    await eventually(() => !alive(pid), `process ${pid} killed`);
    expect(((await run(task, cue, { mode: "echo" })).result as Echo).pid).not.toBe(pid);
  });
});

describe("a worker that crashes fails only its work; the pool replaces it and the cue keeps running", () => {
  it.each(["thread", "process"] as const)("%s: process.exit and an uncaught exception fail the work with a WorkerError", async (isolation) => {
    const cue = workerCue();
    const task = cue.task("crashy", { uses: "cpu", worker: behaviors, isolation });
    const exited = (await run(task, cue, { mode: "exit", code: 7 })).error as WorkerError;
    expect(exited).toBeInstanceOf(WorkerError);
    expect(exited.code).toBe("ERR_WORKER_EXITED");
    expect(exited.exitCode).toBe(7);
    expect(exited.message).toMatch(new RegExp(`^The worker ${isolation} running work \\d+ \\(task "crashy", attempt 1\\) exited with code 7$`));
    const uncaught = (await run(task, cue, { mode: "uncaught" })).error as WorkerError;
    expect(uncaught).toBeInstanceOf(WorkerError);
    expect(uncaught.message).toContain("thrown outside the handler");
    expect(uncaught.cause).toBeInstanceOf(Error);
    expect((uncaught.cause as Error).name).toBe("RangeError");
    expect((await run(task, cue, { mode: "echo" })).state).toBe("completed");
  });

  it("a thread that runs out of memory fails its work; the program carries on", () => {
    const script = new URL("./fixtures/out-of-memory.mjs", import.meta.url).pathname;
    const r = spawnSync(process.execPath, ["--max-old-space-size=64", script], { encoding: "utf8", timeout: 15_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name: "WorkerError", exitCode: 1, cause: "ERR_WORKER_OUT_OF_MEMORY", after: 1 });
  });

  it("a worker process killed from outside (kill -9) fails its work with a WorkerError naming the signal; the next work runs in a new process", async () => {
    const { cue, warm } = oneSlot({ isolation: "process" });
    const before = (await run(warm, cue, { mode: "echo" })).result as Echo;
    const id = await warm.submit({ mode: "sleep", ms: 10_000 });
    await cue.once("start");
    await new Promise((resolve) => setTimeout(resolve, 100)); // the call reached the child
    process.kill(before.pid, "SIGKILL");
    const work = await cue.wait(id);
    expect(work.state).toBe("failed");
    const error = work.error as WorkerError;
    expect(error).toBeInstanceOf(WorkerError);
    expect(error.code).toBe("ERR_WORKER_EXITED");
    expect({ exitCode: error.exitCode, signal: error.signal }).toEqual({ exitCode: null, signal: "SIGKILL" });
    expect(error.message).toBe(`The worker process running work ${id} (task "warm", attempt 1) was killed by SIGKILL`);
    const after = (await run(warm, cue, { mode: "echo" })).result as Echo;
    expect(after.pid).not.toBe(before.pid);
    expect(after.calls).toBe(1);
  });

  it("a worker process that runs out of memory fails its work with a WorkerError naming the signal; the program carries on", () => {
    const script = new URL("./fixtures/out-of-memory-process.mjs", import.meta.url).pathname;
    // The child inherits the small heap (fork passes execArgv on). V8 aborts a process out of
    // memory: no core file from that, whatever the machine's default.
    const r = spawnSync("/bin/sh", ["-c", 'ulimit -c 0; exec "$0" --max-old-space-size=64 "$1"', process.execPath, script], { encoding: "utf8", timeout: 15_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name: "WorkerError", exitCode: null, signal: "SIGABRT", message: 'The worker process running work 2 (task "hog", attempt 1) was killed by SIGABRT', newProcess: true, after: 1 });
  });

  it("a crashed attempt is retried in a new worker", async () => {
    const cue = workerCue();
    const task = cue.task("crashy", { worker: behaviors, retry: { attempts: 2, delay: 10 } });
    const work = await run(task, cue, { mode: "exit-until", attempt: 2 });
    expect(work.result).toBe("survived on attempt 2");
  });
});

describe("bad input", () => {
  it("task() rejects a worker that is not an existing file, an unknown isolation, or a handler given as well", () => {
    const cue = new Cue();
    const bad: [TaskOptions & { worker: URL | string }, RegExp][] = [
      [{ worker: "./fixtures/behaviors.mjs" }, /^Invalid worker for task "t": "\.\/fixtures\/behaviors\.mjs" \(expected a file: URL or an absolute path/],
      [{ worker: new URL("https://example.com/w.js") }, /^Invalid worker for task "t": "https:\/\/example\.com\/w\.js"/],
      [{ worker: fixture("missing.mjs") }, /^Worker module not found for task "t": ".*missing\.mjs" \(no such file\)$/],
      [{ worker: fixture("") }, /^Worker module not found for task "t": ".*fixtures\/" \(not a file\)$/],
      [{ worker: behaviors, isolation: "fork" as "process" }, /^Invalid isolation for task "t": "fork" \(expected "thread" or "process"\)$/],
      [{ worker: behaviors, workerPool: { idle: 5 } as object }, /^Unknown option "idle" \(given 5\) in workerPool of task "t"/],
      [{ worker: behaviors, workerPool: { abortGrace: -1 } }, /^Invalid duration for workerPool\.abortGrace of task "t": -1/],
    ];
    for (const [options, message] of bad) {
      expect(() => cue.task("t", options), JSON.stringify(options)).toThrow(ConfigurationError);
      expect(() => cue.task("t", options)).toThrow(message);
    }
    expect(() => cue.task("t", { worker: behaviors }, () => 1)).toThrow(/^Task "t" has both a handler and a worker module/);
    expect(() => cue.task("t", { isolation: "process" }, () => 1)).toThrow(/^Option isolation of task "t" \(given "process"\) needs a worker module/);
    // @ts-expect-error neither a handler nor a worker
    expect(() => cue.task("t", { uses: [] })).toThrow(/^Invalid handler for task "t": undefined \(expected a function\)$/);
  });

  it.each([
    ["no-default.mjs", /^Worker module ".*no-default\.mjs\?log=.*" has no default export \(expected its default export to be the handler/],
    ["not-a-function.mjs", /^Worker module ".*not-a-function\.mjs\?log=.*" has a default export that is \{"handler":"not callable"\}, not a function/],
    ["syntax-error.mjs (written at run time)", /^Worker module ".*syntax-error\.mjs" failed to load: Unexpected token/],
    ["exits-on-load.mjs", /^Worker module ".*exits-on-load\.mjs\?log=.*" exited with code 3 while loading$/],
  ])("a module that cannot run (%s) fails the first work with a ConfigurationError, and the next ones at once, whatever attempts are left", async (name, message) => {
    const cue = workerCue();
    // Each load of the module appends a line to this file (the fixtures read ?log= from their URL).
    const log = join(mkdtempSync(join(tmpdir(), "runcue-workers-")), "loads.txt");
    const url = name.startsWith("syntax-error") ? syntaxError() : new URL(`?log=${encodeURIComponent(log)}`, fixture(name));
    const loads = (): number => readFileSync(log, { encoding: "utf8", flag: "a+" }).split("\n").filter(Boolean).length;
    const task = cue.task("t", { uses: "cpu", worker: url, retry: { attempts: 3, delay: 10 } });
    const [first, second] = await Promise.all([run(task, cue, {}), run(task, cue, {})]);
    for (const work of [first, second]) {
      expect(work.state).toBe("failed");
      expect(work.attempt).toBe(1);
      expect(work.error).toBeInstanceOf(ConfigurationError);
      expect(work.error?.message).toMatch(message);
    }
    const loaded = loads();
    if (!name.startsWith("syntax-error")) expect(loaded).toBeGreaterThanOrEqual(1);
    expect((await run(task, cue, {})).error).toBe(first.error);
    expect(loads()).toBe(loaded); // remembered: no worker loaded the module again
  });

  it.each(["thread", "process"] as const)("%s: params that cannot be cloned fail that work at once with a clear error; the worker stays usable", async (isolation) => {
    const cue = workerCue();
    const task = cue.task("t", { worker: behaviors, isolation, retry: { attempts: 3, delay: 10 } });
    const { pid, threadId } = (await run(task, cue, { mode: "echo" })).result as Echo;
    const work = await run(task, cue, { mode: "echo", callback: () => 1 });
    expect(work.state).toBe("failed");
    expect(work.attempt).toBe(1);
    expect(work.error).toBeInstanceOf(Permanent);
    expect(work.error?.message).toMatch(new RegExp(`^The params of work \\d+ \\(task "t"\\) cannot be sent to its worker ${isolation}: .*could not be cloned`));
    expect((await run(task, cue, { mode: "echo" })).result).toMatchObject({ pid, threadId, calls: 2 });
  });

  it("a result that cannot be cloned fails its work with a clear error", async () => {
    const cue = workerCue();
    const task = cue.task("t", { worker: behaviors, isolation: "process" });
    const work = await run(task, cue, { mode: "unclonable-result" });
    expect(work.error).toBeInstanceOf(Permanent);
    expect(work.error?.message).toMatch(/^The result of work \d+ \(task "t"\) cannot be sent back from its worker process: /);
  });
});

describe("stop() closes the pools; idle workers exit; nothing is left behind", () => {
  it("stop() waits for running worker work, then ends every worker before it resolves; start() starts new ones", async () => {
    const cue = workerCue();
    const task = cue.task("t", { uses: "cpu", worker: behaviors, isolation: "process" });
    const first = (await run(task, cue, { mode: "echo" })).result as Echo;
    const id = await task.submit({ mode: "echo", delay: 100 });
    await cue.once("start");
    await cue.stop();
    expect((await cue.get(id))?.state).toBe("completed");
    expect(alive(first.pid)).toBe(false);
    cue.start();
    const again = (await run(task, cue, { mode: "echo" })).result as Echo;
    expect(again.pid).not.toBe(first.pid);
    expect(again.calls).toBe(1);
  });

  it("idle workers exit after the pool's idleTimeout", async () => {
    const cue = workerCue();
    const task = cue.task("t", { worker: behaviors, isolation: "process", workerPool: { idleTimeout: 100 } });
    const { pid } = (await run(task, cue, { mode: "echo" })).result as Echo;
    await eventually(() => !alive(pid), `idle process ${pid} exited`);
  });

  it.each(["stop", "no-stop"])("a program using thread and process workers exits by itself, and leaves no process behind (%s)", async (mode) => {
    const r = spawnSync(process.execPath, [new URL("./fixtures/exits-by-itself.mjs", import.meta.url).pathname, mode], { encoding: "utf8", timeout: 15_000 });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [line, pid] = r.stdout.trim().split("\n");
    expect(line).toBe(mode === "stop" ? "stop: process, process cancelled, thread, thread cancelled" : "no-stop: process, thread");
    // Without stop(), the idle child process notices its parent is gone (its IPC channel closes).
    await eventually(() => !alive(Number(pid)), `worker process ${pid} exited`);
  });
});

describe("types", () => {
  it("a worker task takes its params and result types explicitly and has no handler argument", () => {
    const cue = new Cue();
    const resize = cue.task<{ path: string }, { bytes: number }>("resize", { worker: behaviors });
    expectTypeOf(resize).toEqualTypeOf<TaskHandle<{ path: string }, { bytes: number }>>();
    expectTypeOf(resize.submit).parameter(0).toEqualTypeOf<{ path: string }>();
  });
});
