import { createHash, randomBytes } from "node:crypto";
import { createClient } from "redis";
import { Bells, type BlockingClient } from "./bells.js";
import { Journal } from "./journal.js";
import { ACQUIRE, COMMIT, FREE, OBSERVE, PAUSE, REPORT } from "./scripts.js";
import { HEARTBEAT, LEAVE, POKE, REGISTER, RESEED } from "./session-scripts.js";

/** What the store needs from a node-redis client (v5 or v6). */
export interface RedisScriptClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  info(section?: string): Promise<unknown>;
  scriptLoad(script: string): Promise<unknown>;
  /** A second connection for the blocking `BLPOP` of the bells; without it, waits poll. */
  duplicate?(): unknown;
}

/** The store's own client (with `url`): what it needs to open and close it. */
interface OwnClient {
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  readonly isOpen: boolean;
  readonly isReady: boolean;
}

/** One script call waiting in the outbox. */
interface Op {
  readonly script: string;
  readonly keys: string[];
  readonly args: string[];
  /** Receives the reply once it succeeded. */
  readonly done?: ((reply: unknown) => void) | undefined;
}

/** The connection of a store: its own client or the user's, scripts, outbox, heartbeat. */
export interface LinkOptions {
  url: string | undefined;
  client: RedisScriptClient | undefined;
  namespace: string;
  leaseMs: number;
  retryMs: number;
  serverTime: boolean;
  onError: (error: Error) => void;
}

const shas = new Map<string, string>();
function sha1(script: string): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash("sha1").update(script).digest("hex");
    shas.set(script, sha);
  }
  return sha;
}

/** Redis 6.2 brought the commands and script behaviour the store relies on. */
const MIN_VERSION = [6, 2];

/**
 * The connection a store shares among its limiters. Script calls of the synchronous contract
 * methods (commit, release, pause...) go to an ordered outbox, sent once per tick and always
 * before the next acquire; while Redis is away they stay there, in order, and go out on
 * reconnect (every script is idempotent, so one sent twice after a lost reply does no harm).
 */
export class Link {
  readonly ns: string;
  readonly clientId = randomBytes(8).toString("hex");
  readonly #options: LinkOptions;
  readonly #client: RedisScriptClient;
  readonly #own: OwnClient | undefined;
  readonly #outbox: Op[] = [];
  #scheduled = false;
  #retry: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #seq = 0;
  #ready: Promise<void>;
  /** Why the store cannot be used at all (refused at connect), or undefined. */
  fatal: Error | undefined;
  /** The last connection error while Redis is away, or undefined while it answers. */
  down: Error | undefined;
  #closed = false;
  #connected = false;
  /** Calls waiting for the first connection, woken by a connection error (to fail at once). */
  readonly #waiting: (() => void)[] = [];
  /** What this process contributed to the shared state, to push back after Redis lost it. */
  readonly journal = new Journal();
  /** The state epoch this process last saw in Redis (`""` before the first reply). */
  #epoch = "";
  /** A push of the journal in flight. */
  #reseeding: Promise<void> | undefined;
  /** Heartbeats answered so far. */
  #beats = 0;
  /** The last reply's Redis time, and this process's monotonic time when it came. */
  #serverAt = 0;
  #localAt = 0;
  /** Times this process pushed its state back (Redis lost it, or reaped this process while cut off). */
  reseeds = 0;
  /** The Redis server's run id last seen: a new one means a restart, which may have lost the last writes even with persistence. */
  #runId: string | undefined;
  /** A run-id check after a reconnect: acquires wait for it. */
  #recheck: Promise<void> | undefined;
  readonly #bells: Bells | undefined;

  constructor(options: LinkOptions) {
    this.#options = options;
    this.ns = `{runcue:${options.namespace}}`;
    if (options.client !== undefined) {
      this.#client = options.client;
      this.#own = undefined;
    } else {
      const own = createClient({
        url: options.url ?? "redis://127.0.0.1:6379",
        // Fail closed at once: a command queued while offline could run minutes later.
        disableOfflineQueue: true,
        socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
      });
      own.on("error", (error: Error) => {
        this.down = error;
        for (const wake of this.#waiting.splice(0)) wake();
      });
      own.on("ready", () => {
        this.down = undefined;
        // Reconnected: before any acquire, see whether this is the same Redis run.
        if (this.#runId !== undefined) this.#recheck ??= this.#checkRun().catch(() => undefined).finally(() => (this.#recheck = undefined));
      });
      this.#own = own;
      this.#client = own as unknown as RedisScriptClient;
    }
    const duplicate = this.#own !== undefined ? () => (this.#own as unknown as { duplicate(): unknown }).duplicate() : options.client?.duplicate?.bind(options.client);
    const poke = `${this.ns}:poke:${this.clientId}`;
    this.#bells = duplicate === undefined || !options.serverTime ? undefined : new Bells(() => duplicate() as BlockingClient, poke, () => this.send(POKE, [poke], []), options.retryMs);
    this.#ready = this.#connect();
    this.#ready.then(() => {
      this.#connected = true;
      this.#waiting.length = 0;
    }, () => undefined);
    this.#ready.catch(() => undefined); // reported through ready() and the blocks
  }

  async #connect(): Promise<void> {
    if (this.#own !== undefined) await this.#own.connect();
    const server = String(await this.#client.info("server"));
    this.#runId = runIdOf(server);
    const version = /redis_version:(\d+)\.(\d+)/.exec(server);
    const [major, minor] = [Number(version?.[1] ?? 0), Number(version?.[2] ?? 0)];
    if (major < (MIN_VERSION[0] as number) || (major === MIN_VERSION[0] && minor < (MIN_VERSION[1] as number))) {
      throw this.#refuse(`Redis ${major}.${minor} is too old (runcue-redis needs 6.2 or newer)`);
    }
    const memory = String(await this.#client.info("memory"));
    const policy = /maxmemory_policy:(\S+)/.exec(memory)?.[1];
    if (policy !== undefined && policy !== "noeviction") {
      throw this.#refuse(`Redis maxmemory-policy is ${policy} (runcue-redis needs noeviction: an evicted rate window would let starts overshoot)`);
    }
    await this.#load();
    if (this.#options.serverTime) {
      await this.#beat();
      this.#heartbeat = setInterval(() => void this.#beat().catch(() => undefined), Math.max(50, this.#options.leaseMs / 3));
      this.#heartbeat.unref();
    }
  }

  /**
   * Loads every script, so that calls sent together never fall back to EVAL one by one (a
   * fallback would run after the calls behind it, out of order).
   */
  async #load(): Promise<void> {
    await Promise.all([ACQUIRE, COMMIT, FREE, REPORT, PAUSE, OBSERVE, HEARTBEAT, LEAVE, RESEED, REGISTER, POKE].map((script) => this.#client.scriptLoad(script)));
  }

  #refuse(message: string): Error {
    this.fatal = new Error(`runcue-redis: ${message}`);
    return this.fatal;
  }

  /** Resolves once connected and checked; rejects when the server was refused. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** A new lease id, unique across processes (`client:seq`). */
  nextLease(): string {
    return `${this.clientId}:${(this.#seq++).toString(36)}`;
  }

  /** The caller's time for a script (empty: the script reads Redis `TIME`). */
  time(now: number): string {
    return this.#options.serverTime ? "" : String(now);
  }

  /** True when the scripts read Redis `TIME` (the default); false when they take the cue's clock. */
  get serverTime(): boolean {
    return this.#options.serverTime;
  }

  get leaseMs(): number {
    return this.#options.leaseMs;
  }

  /**
   * A restarted Redis (a new run id) kept its state only as far as its persistence went (AOF
   * `everysec` may lose the last second; a failover, whatever the replica had not received):
   * push this process's state back and open a reseed period, as after a loss.
   */
  async #checkRun(): Promise<void> {
    const runId = runIdOf(String(await this.#client.info("server")));
    if (runId === undefined || runId === this.#runId) return;
    const before = this.#runId;
    this.#runId = runId;
    if (before !== undefined) await (this.#reseeding ??= this.#reseed(this.#epoch, `run:${runId}`).finally(() => (this.#reseeding = undefined)));
  }

  async #beat(): Promise<void> {
    await this.#checkRun();
    // A beat that was on its way when the store closed: its LEAVE already took this process out
    // (a heartbeat after it would read as "reaped" and push state back on a closed client).
    if (this.#closed) return;
    const reply = (await this.#run({ script: HEARTBEAT, keys: [this.ns], args: ["", this.clientId, String(this.#options.leaseMs), this.#epoch, fresh()] })) as string[];
    if (this.#closed) return;
    const [now, epoch, state, , alive] = reply;
    this.#beats++;
    this.sawTime(Number(now));
    // Reaped while cut off (its running works still hold their slots): push them back too.
    const reaped = Number(alive) === 0 && this.#beats > 1 && epoch === this.#epoch;
    // A push that fails (Redis gone again) is retried by the next acquire, which finds the same state.
    await this.sawEpoch(epoch as string, reaped ? "stale" : (state as string))?.catch(() => undefined);
  }

  /** A reply carried Redis time `at`: remembered to estimate Redis time between replies. */
  sawTime(at: number): void {
    this.#serverAt = at;
    this.#localAt = performance.now();
  }

  /** Redis time now, as estimated from the last reply. */
  serverNow(): number {
    return this.#serverAt + (performance.now() - this.#localAt);
  }

  /** The epoch this process last saw (sent with every acquire). */
  get epoch(): string {
    return this.#epoch;
  }

  /** A fresh epoch to write when Redis has none. */
  fresh(): string {
    return fresh();
  }

  /**
   * A reply showed Redis's state epoch and the caller's state there: `stale` when Redis lost
   * its state since this process last saw it (or reaped it): push what it knows back.
   */
  sawEpoch(epoch: string, state: string): Promise<void> | undefined {
    if (this.#closed) return undefined;
    if (this.#epoch === "") this.#epoch = epoch;
    if (state !== "stale") return undefined;
    this.#reseeding ??= this.#reseed(epoch).finally(() => (this.#reseeding = undefined));
    return this.#reseeding;
  }

  /** Pushes the journal back; `open` (a restart's run id) also opens a reseed period once for it. */
  async #reseed(epoch: string, open?: string): Promise<void> {
    const payload = { ...this.journal.payload(this.serverNow()), fresh: fresh(), ...(open === undefined ? {} : { open }) };
    this.flush();
    const current = await this.#run({ script: RESEED, keys: [this.ns], args: [this.time(this.serverNow()), this.clientId, String(this.#options.leaseMs), JSON.stringify(payload)] });
    this.#epoch = typeof current === "string" && current !== "" ? current : epoch;
    this.reseeds++;
  }

  /** Calls `wake` when a slot of the scope with bell `key` frees in any process; false when bells are off (poll). */
  bell(key: string, wake: () => void): boolean {
    if (this.#bells === undefined || this.#closed) return false;
    this.#bells.wait(key, wake);
    return true;
  }

  /** Stops waiting for bell `key` with `wake`. */
  unbell(key: string, wake: () => void): void {
    this.#bells?.drop(key, wake);
  }

  /** Bells this process heard. */
  get bellsRung(): number {
    return this.#bells?.rung ?? 0;
  }

  /** Registers a service's limits: resolves `""`, or the limits another cue registered. */
  async register(prefix: string, limits: string, mode: "set" | "check"): Promise<string> {
    return String(await this.call(REGISTER, [prefix], [limits, mode, String(this.#options.leaseMs)]));
  }

  /** Runs a script now (after everything already in the outbox). */
  async call(script: string, keys: string[], args: string[]): Promise<unknown> {
    if (this.fatal !== undefined) throw this.fatal;
    if (!this.#connected && this.down !== undefined) throw this.down;
    if (!this.#connected) {
      // Fail closed, but say so: a lane waiting on a connection that never comes shows why.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        const fail = (): void => reject(this.down ?? new Error("not connected to Redis yet"));
        this.#waiting.push(fail);
        timer = setTimeout(fail, 1000);
      });
      try {
        await Promise.race([this.#ready, late]);
      } finally {
        clearTimeout(timer);
      }
    }
    if (this.#recheck !== undefined) await this.#recheck;
    this.flush();
    return await this.#run({ script, keys, args });
  }

  /** Queues a script call; the outbox goes out at the end of this tick, or before the next call. */
  send(script: string, keys: string[], args: string[], done?: (reply: unknown) => void): void {
    this.#outbox.push({ script, keys, args, done });
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Sends the outbox (in order, pipelined in one write); failed calls go back to its front. */
  flush(): void {
    if (this.#outbox.length === 0 || this.fatal !== undefined) return;
    const ops = this.#outbox.splice(0);
    const failed: Op[] = [];
    let pending = ops.length;
    const settle = (op: Op, error?: unknown): void => {
      if (error !== undefined) {
        if (isServerError(error)) this.#options.onError(error as Error); // a script error: sending again would fail again
        else failed.push(op);
      }
      if (--pending > 0 || failed.length === 0) return;
      failed.sort((a, b) => ops.indexOf(a) - ops.indexOf(b));
      this.#outbox.unshift(...failed);
      this.#retry ??= setTimeout(() => {
        this.#retry = undefined;
        this.flush();
      }, 200);
      this.#retry.unref?.();
    };
    for (const op of ops) this.#run(op).then((reply) => {
      op.done?.(reply);
      settle(op);
    }, (error: unknown) => settle(op, error ?? new Error("failed")));
  }

  /** Script calls sent so far (acquire, commit, release, heartbeat...), for measurements. */
  calls = 0;

  async #run(op: Op): Promise<unknown> {
    this.calls++;
    const options = { keys: op.keys, arguments: op.args };
    try {
      return await this.#client.evalSha(sha1(op.script), options);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      // Redis lost its script cache (a restart): load them all again for the calls behind this one.
      void this.#load().catch(() => undefined);
      return await this.#client.eval(op.script, options);
    }
  }

  /** Stops the heartbeat, sends what is left, gives back this client's leases and disconnects its own client. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#bells?.close();
    try {
      if (this.fatal === undefined && this.down === undefined) {
        await Promise.race([this.#ready, new Promise((r) => setTimeout(r, 1000))]);
        this.flush();
        await this.#run({ script: LEAVE, keys: [this.ns], args: [this.clientId, this.time(this.serverNow())] });
      }
    } catch {
      // Redis is away: the leases free themselves after the lease time.
    }
    if (this.#own !== undefined) {
      if (this.#own.isOpen && this.#own.isReady) await this.#own.close();
      else this.#own.destroy();
    }
  }
}

function runIdOf(info: string): string | undefined {
  return /run_id:(\w+)/.exec(info)?.[1];
}

function fresh(): string {
  return randomBytes(6).toString("hex");
}

/** True for an error the server answered (a script error), as opposed to a connection failure. */
function isServerError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /^(ERR|WRONGTYPE|BUSY|OOM|NOPERM)\b/.test(error.message) && !error.message.startsWith("NOSCRIPT");
}
