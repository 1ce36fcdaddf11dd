/**
 * A local HTTP API (node:http on 127.0.0.1, a free port) that enforces sliding-window limits on
 * request ARRIVALS, as rate-limited services do: at most N requests accepted in any sliding
 * window, and optionally at most M tokens (from the `x-tokens` request header) in another. A
 * request over a limit is answered 429 with `Retry-After` in whole seconds (the HTTP format),
 * rounded up from the time until it would fit. Every arrival is recorded for the analysis, with
 * its delay from the client's fetch call when the client sends `x-sent` (client and server
 * share one process, so one clock).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { now } from "./time.js";

/** At most `limit` (requests, or tokens) accepted in any sliding `windowMs`. */
export interface SlidingLimit {
  readonly limit: number;
  readonly windowMs: number;
}

export interface ServerLimits {
  readonly requests: SlidingLimit;
  /** Tokens read from the `x-tokens` header; unset: tokens are not limited. */
  readonly tokens?: SlidingLimit;
  /** How long an accepted request takes to answer (a 429 is answered at once). */
  readonly serviceMs: number;
}

/** One request as the server saw it, `at` in `performance.now()` milliseconds. */
export interface Arrival {
  readonly at: number;
  readonly tokens: number;
  readonly accepted: boolean;
  /** `at` minus the client's `x-sent` header (its `performance.now()` when it called fetch; same process), when sent. */
  readonly delay: number | undefined;
}

interface Accepted {
  readonly at: number;
  readonly tokens: number;
}

export class LimitedServer {
  /** Every request that arrived, in arrival order. */
  readonly arrivals: Arrival[] = [];
  /** 429 answers because of the request window, and because of the tokens window. */
  rejectedForRequests = 0;
  rejectedForTokens = 0;
  readonly #limits: ServerLimits;
  readonly #server: Server;
  /** Accepted arrivals still inside the widest window, oldest first from `#head`. */
  #log: Accepted[] = [];
  #head = 0;
  #url = "";

  constructor(limits: ServerLimits) {
    this.#limits = limits;
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  /** The URL to call, once listening. */
  get url(): string {
    return this.#url;
  }

  get rejected(): number {
    return this.rejectedForRequests + this.rejectedForTokens;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${port}/v1/call`;
    return this.#url;
  }

  /** Forgets every arrival and the windows' contents (after a warm-up); open connections stay. */
  reset(): void {
    this.arrivals.length = 0;
    this.rejectedForRequests = 0;
    this.rejectedForTokens = 0;
    this.#log = [];
    this.#head = 0;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const at = now();
    const header = req.headers["x-tokens"];
    const tokens = typeof header === "string" && header !== "" ? Number(header) : 0;
    const { requestWait, tokenWait } = this.#waits(at, tokens);
    const wait = Math.max(requestWait, tokenWait);
    const sent = req.headers["x-sent"];
    this.arrivals.push({ at, tokens, accepted: wait === 0, delay: typeof sent === "string" && sent !== "" ? at - Number(sent) : undefined });
    req.resume();
    if (!Number.isFinite(wait)) {
      res.writeHead(413, { "content-type": "application/json" });
      res.end(`{"error":"more tokens than the whole limit"}`);
      return;
    }
    if (wait > 0) {
      if (requestWait > 0) this.rejectedForRequests++;
      else this.rejectedForTokens++;
      res.writeHead(429, { "content-type": "application/json", "retry-after": String(Math.max(1, Math.ceil(wait / 1000))) });
      res.end(`{"error":"rate_limited","limit":"${requestWait > 0 ? "requests" : "tokens"}"}`);
      return;
    }
    this.#log.push({ at, tokens });
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`{"ok":true,"tokens":${tokens}}`);
    }, this.#limits.serviceMs);
  }

  /** How long until a request of `tokens` arriving at `at` fits each window (0: it fits now). */
  #waits(at: number, tokens: number): { requestWait: number; tokenWait: number } {
    const { requests, tokens: tokenLimit } = this.#limits;
    const widest = Math.max(requests.windowMs, tokenLimit?.windowMs ?? 0);
    const log = this.#log;
    while (this.#head < log.length && at - (log[this.#head] as Accepted).at >= widest) this.#head++;
    if (this.#head > 1024) {
      log.splice(0, this.#head);
      this.#head = 0;
    }
    // An accepted arrival counts while less than its window has passed: windows are [at - W, at) open at the old end.
    let first = this.#head;
    while (first < log.length && at - (log[first] as Accepted).at >= requests.windowMs) first++;
    const count = log.length - first;
    const requestWait = count < requests.limit ? 0 : (log[first + count - requests.limit] as Accepted).at + requests.windowMs - at;
    if (tokenLimit === undefined) return { requestWait, tokenWait: 0 };
    let start = this.#head;
    while (start < log.length && at - (log[start] as Accepted).at >= tokenLimit.windowMs) start++;
    let used = 0;
    for (let i = start; i < log.length; i++) used += (log[i] as Accepted).tokens;
    if (used + tokens <= tokenLimit.limit) return { requestWait, tokenWait: 0 };
    let tokenWait = Infinity;
    for (let i = start; i < log.length; i++) {
      used -= (log[i] as Accepted).tokens;
      if (used + tokens <= tokenLimit.limit) {
        tokenWait = (log[i] as Accepted).at + tokenLimit.windowMs - at;
        break;
      }
    }
    return { requestWait, tokenWait };
  }
}

/** The most weight (e.g. tokens) falling into any half-open window `[t, t + width)` of the given times. */
export function maxWeightInSlidingWindow(items: readonly { at: number; weight: number }[], width: number): number {
  const sorted = [...items].sort((a, b) => a.at - b.at);
  let best = 0;
  let sum = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    const end = (sorted[i] as { at: number }).at + width;
    while (j < sorted.length && (sorted[j] as { at: number }).at < end) sum += (sorted[j++] as { weight: number }).weight;
    if (sum > best) best = sum;
    sum -= (sorted[i] as { weight: number }).weight;
  }
  return best;
}
