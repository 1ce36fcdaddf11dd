// A throw-away redis-server of a test's own, on a spare loopback port, that the test may kill,
// restart (empty without persistence; from its append-only file with `aof`) or freeze. Never
// the shared server on 6379.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";

export class OwnRedis {
  readonly port = 6390 + Math.floor(Math.random() * 2000);
  readonly #aof: boolean;
  readonly #dir = mkdtempSync(join(tmpdir(), "runcue-redis-test-"));
  #process: ChildProcess | undefined;

  /** `aof`: an append-only file (`appendfsync everysec`), so a restart keeps (nearly) everything. */
  constructor(options: { aof?: boolean } = {}) {
    this.#aof = options.aof ?? false;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (empty) and resolves once it answers PING. */
  async start(): Promise<void> {
    const persistence = this.#aof ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"];
    const proc = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", ...persistence, "--dir", this.#dir, "--maxmemory-policy", "noeviction"], { stdio: "ignore" });
    this.#process = proc;
    proc.on("error", () => undefined);
    const deadline = Date.now() + 5000;
    for (;;) {
      const client = createClient({ url: this.url, socket: { connectTimeout: 200, reconnectStrategy: false } });
      client.on("error", () => undefined);
      try {
        await client.connect();
        await client.ping();
        client.destroy();
        return;
      } catch (error) {
        client.destroy();
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`could not start redis-server on port ${this.port}: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** kill -9, and wait for the exit. */
  async kill(): Promise<void> {
    const proc = this.#process;
    this.#process = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill("SIGKILL");
    await exited;
  }

  /** Kills the server and deletes its directory. */
  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** SIGSTOP: the server keeps its state and its connections but answers nothing. */
  freeze(): void {
    this.#process?.kill("SIGSTOP");
  }

  /** SIGCONT after {@link freeze}. */
  thaw(): void {
    this.#process?.kill("SIGCONT");
  }
}
