// A throw-away redis-server of a test's own, on a spare loopback port, that the test may kill,
// restart (empty: no persistence) or freeze. Never the shared server on 6379.
import { spawn, type ChildProcess } from "node:child_process";
import { createClient } from "redis";

export class OwnRedis {
  readonly port = 6390 + Math.floor(Math.random() * 2000);
  #process: ChildProcess | undefined;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (empty) and resolves once it answers PING. */
  async start(): Promise<void> {
    const proc = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", "/tmp", "--maxmemory-policy", "noeviction"], { stdio: "ignore" });
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

  /** SIGSTOP: the server keeps its state and its connections but answers nothing. */
  freeze(): void {
    this.#process?.kill("SIGSTOP");
  }

  /** SIGCONT after {@link freeze}. */
  thaw(): void {
    this.#process?.kill("SIGCONT");
  }
}
