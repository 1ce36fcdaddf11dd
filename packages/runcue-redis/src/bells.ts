/** A connection that can block on lists: a node-redis client made by `duplicate()`. */
export interface BlockingClient {
  connect(): Promise<unknown>;
  blPop(keys: string[], timeout: number): Promise<{ key: string; element: string } | null>;
  destroy(): void;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * Wakes the lanes of this process that wait for a slot with no known end (a service full of
 * other processes' work). A script that frees a slot rings the scope's bell (`RPUSH p:bell`)
 * when some process waits there; this listener holds one extra connection that `BLPOP`s every
 * bell it waits on, so one freed slot wakes one waiting process at once (Redis serves blocked
 * clients first come, first served), and a token rung before the `BLPOP` stays in the list.
 * A new bell while blocked: the link pokes the listener's own list, and it blocks again on the
 * new set.
 */
export class Bells {
  readonly #make: () => BlockingClient;
  readonly #pokeKey: string;
  readonly #poke: () => void;
  readonly #retryMs: number;
  readonly #waiting = new Map<string, Set<() => void>>();
  /** The bells the current `BLPOP` covers. */
  #blockedOn = new Set<string>();
  #client: BlockingClient | undefined;
  #running = false;
  #closed = false;
  #idle: (() => void) | undefined;
  /** Bells heard so far (a measure, and a test hook). */
  rung = 0;

  constructor(make: () => BlockingClient, pokeKey: string, poke: () => void, retryMs: number) {
    this.#make = make;
    this.#pokeKey = pokeKey;
    this.#poke = poke;
    this.#retryMs = retryMs;
  }

  /** Calls `wake` once when the bell `key` rings (or the listener cannot listen). */
  wait(key: string, wake: () => void): void {
    if (this.#closed) return;
    let wakes = this.#waiting.get(key);
    if (wakes === undefined) {
      wakes = new Set();
      this.#waiting.set(key, wakes);
    }
    wakes.add(wake);
    if (!this.#running) void this.#listen();
    else if (this.#idle !== undefined) {
      this.#idle();
    } else if (!this.#blockedOn.has(key)) this.#poke();
  }

  /** `wake` no longer waits for bell `key` (its lane got a slot another way, e.g. its poll). */
  drop(key: string, wake: () => void): void {
    const wakes = this.#waiting.get(key);
    if (wakes === undefined) return;
    wakes.delete(wake);
    if (wakes.size === 0) this.#waiting.delete(key);
  }

  async #listen(): Promise<void> {
    this.#running = true;
    while (!this.#closed) {
      if (this.#waiting.size === 0) {
        await new Promise<void>((resolve) => (this.#idle = resolve));
        this.#idle = undefined;
        continue;
      }
      try {
        if (this.#client === undefined) {
          const client = this.#make();
          client.on("error", () => undefined); // reported through the command connection
          this.#client = client;
          await client.connect();
        }
        this.#blockedOn = new Set(this.#waiting.keys());
        const popped = await this.#client.blPop([this.#pokeKey, ...this.#blockedOn], 5);
        if (popped !== null && popped.key !== this.#pokeKey) this.#ring(popped.key);
      } catch {
        if (this.#closed) break;
        // Redis away: the lanes' own retries take over; listen again a little later.
        this.#client?.destroy();
        this.#client = undefined;
        await new Promise((resolve) => setTimeout(resolve, this.#retryMs).unref?.());
      }
    }
    this.#running = false;
  }

  #ring(key: string): void {
    const wakes = this.#waiting.get(key);
    this.#waiting.delete(key);
    this.rung++;
    for (const wake of wakes ?? []) wake();
  }

  close(): void {
    this.#closed = true;
    this.#idle?.();
    this.#client?.destroy();
    this.#client = undefined;
  }
}
