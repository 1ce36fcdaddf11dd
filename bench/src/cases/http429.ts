/**
 * Case 9 (issue 8): clients against a real local HTTP server that counts request ARRIVALS in a
 * sliding window and answers 429 with Retry-After: how many 429s each client draws, how long
 * 300 requests take, and the most arrivals the server saw in any window. Twice: a request
 * window alone, and requests plus tokens per window (the cost of a request in a header).
 */
import os from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import Bottleneck from "bottleneck";
import PQueue from "p-queue";
import { Cue, RateLimited, type ServiceOptions, type Work } from "runcue";
import { target, type BenchCase, type CaseResult, type Target } from "../lib/case.js";
import { LimitedServer, maxWeightInSlidingWindow, type ServerLimits } from "../lib/limited-server.js";
import { randomInt, seededRandom } from "../lib/rng.js";
import { maxInSlidingWindow, median } from "../lib/stats.js";
import { formatMs, type Table } from "../lib/table.js";
import { delay, now } from "../lib/time.js";

/** The server's request limit: 20 arrivals in any sliding second. */
const REQUESTS = 20;
const REQUEST_WINDOW_MS = 1000;
/** An accepted request is answered after this long (a 429 at once). */
const SERVICE_MS = 10;
/** Request costs in the tokens variant: uniform in [100, 900] from a seeded generator (mean 500). */
const MIN_TOKENS = 100;
const MAX_TOKENS = 900;
const MEAN_TOKENS = (MIN_TOKENS + MAX_TOKENS) / 2;
const SEED = 8;
/** Keep-alive connections each client opens to its server before the run (a whole window of requests at once). */
const WARM_CONNECTIONS = REQUESTS;
/** The target: runcue with `burst` draws no 429 and achieves at least this share of the allowed rate. */
const MIN_ACHIEVED = 0.95;

/** One request of the workload: its index and what it costs in tokens (0 in the count variant). */
interface Call {
  readonly i: number;
  readonly tokens: number;
}

/** Sends every call to `url` until each one succeeded; resolves with the time from the first send to the last success. */
type Client = (url: string, calls: readonly Call[]) => Promise<number>;

interface ClientSpec {
  readonly name: string;
  /** runcue's `burst`, if set: the target applies. */
  readonly burst?: number;
  readonly client: Client;
}

const send = (url: string, call: Call, signal?: AbortSignal): Promise<Response> =>
  fetch(url, { headers: { "x-tokens": String(call.tokens), "x-sent": String(now()) }, ...(signal === undefined ? {} : { signal }) });

/** `Retry-After` in milliseconds (this server sends whole seconds). */
function retryAfterMs(res: Response): number {
  const seconds = Number(res.headers.get("retry-after"));
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000;
}

/** runcue: the handler throws `RateLimited.fromResponse(res)` on a 429, which pauses the service for Retry-After and requeues the work. */
function runcueClient(options: ServiceOptions, costs: boolean): Client {
  return async (url, calls) => {
    const cue = new Cue();
    cue.service("api", options);
    let failure: Error | undefined;
    cue.on("fail", ({ error }) => {
      failure ??= error;
    });
    cue.task("call", { uses: "api", ...(costs ? { cost: (work: Work<Call>) => ({ tokens: work.params.tokens }) } : {}) }, async (work: Work<Call>) => {
      const res = await send(url, work.params, work.signal);
      await res.arrayBuffer();
      if (res.status === 429) throw RateLimited.fromResponse(res);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    });
    cue.start();
    const t0 = now();
    for (const call of calls) void cue.submit("call", call);
    await cue.idle();
    const ms = now() - t0;
    await cue.stop();
    if (failure !== undefined) throw failure;
    return ms;
  };
}

/** p-queue has no retry of its own: on a 429 the request waits Retry-After, then goes through the queue again (and its interval cap). */
function pQueueClient(options: { intervalCap: number; interval: number; strict?: boolean }): Client {
  return async (url, calls) => {
    const queue = new PQueue(options);
    const t0 = now();
    await Promise.all(
      calls.map(async (call) => {
        for (;;) {
          const res = await queue.add(async () => {
            const r = await send(url, call);
            await r.arrayBuffer();
            return r;
          });
          if (res.status !== 429) {
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            return;
          }
          await delay(retryAfterMs(res));
        }
      }),
    );
    return now() - t0;
  };
}

class TooManyRequests extends Error {
  readonly retryAfterMs: number;
  constructor(retryAfter: number) {
    super("HTTP 429");
    this.retryAfterMs = retryAfter;
  }
}

/**
 * bottleneck's documented retry: the job throws, the `failed` listener returns Retry-After in ms
 * and bottleneck runs the job again after it (the retry keeps its place: no new reservoir charge, no minTime).
 */
function bottleneckClient(options: Bottleneck.ConstructorOptions, weighted: boolean): Client {
  return async (url, calls) => {
    const limiter = new Bottleneck(options);
    limiter.on("failed", (error: unknown) => (error instanceof TooManyRequests ? error.retryAfterMs : undefined));
    const t0 = now();
    await Promise.all(
      calls.map((call) =>
        limiter.schedule(weighted ? { weight: call.tokens } : {}, async () => {
          const res = await send(url, call);
          await res.arrayBuffer();
          if (res.status === 429) throw new TooManyRequests(retryAfterMs(res));
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
        }),
      ),
    );
    const ms = now() - t0;
    await limiter.stop({ dropWaitingJobs: true });
    await limiter.disconnect();
    return ms;
  };
}

interface ClientFigures {
  requests: number;
  totalMs: number;
  rejected: number;
  rejectedForRequests: number;
  rejectedForTokens: number;
  /** Every arrival (429s included) in any sliding request window. */
  maxArrivals: number;
  /** Accepted arrivals only (the server's own bound: never above its limit). */
  maxAccepted: number;
  tokens: number;
  /** Tokens of every arrival (429s included) in any sliding tokens window. */
  maxTokensArriving: number;
  requestsPerSecond: number;
  tokensPerSecond: number;
  /** From the client's fetch call to the server's request callback, over every arrival. */
  delayP50: number;
  delayMax: number;
}

/** The event loop's delay while a variant ran (monitorEventLoopDelay, 1 ms resolution), in ms. */
interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

interface Variant {
  readonly title: string;
  readonly limits: ServerLimits;
  readonly calls: readonly Call[];
  readonly clients: readonly ClientSpec[];
}

/**
 * Sends `connections` requests at once to a server and forgets them there: fetch is loaded
 * (undici loads on first use and blocks the event loop meanwhile), the JIT has seen client and
 * server, and the client holds that many keep-alive connections to this server, as a program
 * that has been calling the API for a while does. Without it the first second of a run
 * measures TCP connection set-up on a busy machine (arrivals up to a second late).
 */
async function warmUp(url: string, server: LimitedServer, connections: number): Promise<void> {
  for (let round = 0; round < 2; round++) {
    await Promise.all(
      Array.from({ length: connections }, async (_, i) => {
        const res = await send(url, { i, tokens: 0 });
        await res.arrayBuffer();
      }),
    );
  }
  server.reset();
}

/** Runs every client of a variant side by side, each against its own server with the same limits. */
async function runVariant(variant: Variant, log: (message: string) => void): Promise<{ figures: Map<string, ClientFigures>; loopDelay: LoopDelay }> {
  const servers = variant.clients.map(() => new LimitedServer(variant.limits));
  const urls = await Promise.all(servers.map((s) => s.listen()));
  try {
    // One client after the other, so the connections open on an otherwise idle event loop.
    for (let k = 0; k < servers.length; k++) await warmUp(urls[k] as string, servers[k] as LimitedServer, WARM_CONNECTIONS);
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const times = await Promise.all(
      variant.clients.map(async (spec, k) => {
        const ms = await spec.client(urls[k] as string, variant.calls);
        log(`http429 ${variant.title}: ${spec.name} done in ${formatMs(ms)}, ${(servers[k] as LimitedServer).rejected} × 429`);
        return ms;
      }),
    );
    histogram.disable();
    const loopDelay = { p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
    const tokenWindow = variant.limits.tokens?.windowMs ?? REQUEST_WINDOW_MS;
    const tokens = variant.calls.reduce((sum, c) => sum + c.tokens, 0);
    const figures = new Map(
      variant.clients.map((spec, k) => {
        const server = servers[k] as LimitedServer;
        const totalMs = times[k] as number;
        const accepted = server.arrivals.filter((a) => a.accepted);
        const delays = server.arrivals.map((a) => a.delay ?? Number.NaN);
        if (accepted.length !== variant.calls.length) throw new Error(`${spec.name}: ${accepted.length} requests accepted, expected ${variant.calls.length}`);
        const maxAccepted = maxInSlidingWindow(accepted.map((a) => a.at), variant.limits.requests.windowMs);
        if (maxAccepted > variant.limits.requests.limit) throw new Error(`The server of ${spec.name} accepted ${maxAccepted} requests in one window (its limit is ${variant.limits.requests.limit})`);
        return [
          spec.name,
          {
            requests: variant.calls.length,
            totalMs,
            rejected: server.rejected,
            rejectedForRequests: server.rejectedForRequests,
            rejectedForTokens: server.rejectedForTokens,
            maxArrivals: maxInSlidingWindow(server.arrivals.map((a) => a.at), variant.limits.requests.windowMs),
            maxAccepted,
            tokens,
            maxTokensArriving: maxWeightInSlidingWindow(server.arrivals.map((a) => ({ at: a.at, weight: a.tokens })), tokenWindow),
            requestsPerSecond: variant.calls.length / (totalMs / 1000),
            tokensPerSecond: tokens / (totalMs / 1000),
            delayP50: median(delays),
            delayMax: Math.max(...delays),
          },
        ];
      }),
    );
    return { figures, loopDelay };
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;
const loop = (d: LoopDelay): string => `${formatMs(d.p50)} / ${formatMs(d.p99)} / ${formatMs(d.max)}`;
const delays = (f: ClientFigures): string => `${formatMs(f.delayP50)} / ${formatMs(f.delayMax)}`;

export const http429Case: BenchCase = {
  id: "http429",
  title: "9. HTTP 429s from a sliding-window server",
  async run(ctx): Promise<CaseResult> {
    const n = ctx.quick ? 60 : 300;
    // Tokens: 6000 per second on average in both sizes; the full run's window is 10 s, the quick run's 2 s.
    const tokenWindowMs = ctx.quick ? 2000 : 10_000;
    const tokenLimit = (6000 * tokenWindowMs) / 1000;
    const tokenRate = `${tokenLimit} tokens/${tokenWindowMs / 1000}s`;
    const loadBefore = os.loadavg()[0] as number;
    const rate = `${REQUESTS}/s`;

    const countVariant: Variant = {
      title: "requests",
      limits: { requests: { limit: REQUESTS, windowMs: REQUEST_WINDOW_MS }, serviceMs: SERVICE_MS },
      calls: Array.from({ length: n }, (_, i) => ({ i, tokens: 0 })),
      clients: [
        { name: `runcue rate "${rate}"`, client: runcueClient({ rate }, false) },
        { name: `runcue rate "${rate}", burst 1`, burst: 1, client: runcueClient({ rate, burst: 1 }, false) },
        { name: `runcue rate "${rate}", burst 5`, burst: 5, client: runcueClient({ rate, burst: 5 }, false) },
        { name: `p-queue intervalCap ${REQUESTS} / interval ${REQUEST_WINDOW_MS}`, client: pQueueClient({ intervalCap: REQUESTS, interval: REQUEST_WINDOW_MS }) },
        { name: `p-queue intervalCap ${REQUESTS} / interval ${REQUEST_WINDOW_MS}, strict`, client: pQueueClient({ intervalCap: REQUESTS, interval: REQUEST_WINDOW_MS, strict: true }) },
        { name: `bottleneck reservoir ${REQUESTS}, refresh every ${REQUEST_WINDOW_MS} ms`, client: bottleneckClient({ reservoir: REQUESTS, reservoirRefreshAmount: REQUESTS, reservoirRefreshInterval: REQUEST_WINDOW_MS }, false) },
        { name: `bottleneck minTime ${REQUEST_WINDOW_MS / REQUESTS} ms`, client: bottleneckClient({ minTime: REQUEST_WINDOW_MS / REQUESTS }, false) },
      ],
    };

    const random = seededRandom(SEED);
    const perSecondByMean = Math.floor(tokenLimit / MEAN_TOKENS / (tokenWindowMs / 1000));
    const perSecondByWorst = Math.floor(tokenLimit / MAX_TOKENS / (tokenWindowMs / 1000));
    const rates = [rate, tokenRate];
    const tokenVariant: Variant = {
      title: "requests and tokens",
      limits: { requests: { limit: REQUESTS, windowMs: REQUEST_WINDOW_MS }, tokens: { limit: tokenLimit, windowMs: tokenWindowMs }, serviceMs: SERVICE_MS },
      calls: Array.from({ length: n }, (_, i) => ({ i, tokens: randomInt(random, MIN_TOKENS, MAX_TOKENS) })),
      clients: [
        { name: `runcue rate ["${rate}", "${tokenRate}"], cost`, client: runcueClient({ rate: rates }, true) },
        { name: `runcue rate ["${rate}", "${tokenRate}"], cost, burst 1`, burst: 1, client: runcueClient({ rate: rates, burst: 1 }, true) },
        { name: `runcue rate ["${rate}", "${tokenRate}"], cost, burst 5`, burst: 5, client: runcueClient({ rate: rates, burst: 5 }, true) },
        { name: `p-queue intervalCap ${perSecondByMean} / interval 1000, strict (mean cost)`, client: pQueueClient({ intervalCap: perSecondByMean, interval: 1000, strict: true }) },
        {
          name: `bottleneck reservoir ${tokenLimit} every ${tokenWindowMs} ms, weight = tokens, minTime ${REQUEST_WINDOW_MS / REQUESTS} ms`,
          client: bottleneckClient({ reservoir: tokenLimit, reservoirRefreshAmount: tokenLimit, reservoirRefreshInterval: tokenWindowMs, minTime: REQUEST_WINDOW_MS / REQUESTS }, true),
        },
      ],
    };

    ctx.log(`http429: ${countVariant.clients.length} clients side by side, ${n} requests each, ${REQUESTS} per sliding ${REQUEST_WINDOW_MS} ms`);
    const { figures: counted, loopDelay: countLoop } = await runVariant(countVariant, ctx.log);
    ctx.log(`http429: ${tokenVariant.clients.length} clients side by side, ${n} requests each, ${REQUESTS} per sliding ${REQUEST_WINDOW_MS} ms and ${tokenLimit} tokens per sliding ${tokenWindowMs} ms`);
    const { figures: weighted, loopDelay: tokenLoop } = await runVariant(tokenVariant, ctx.log);

    const idleStartSeconds = Math.floor((n - 1) / REQUESTS) * (REQUEST_WINDOW_MS / 1000);
    const countTable: Table = {
      title: `429s against a server allowing ${REQUESTS} requests in any sliding second`,
      workload: `A node:http server on 127.0.0.1 per client (same process) accepts at most ${REQUESTS} request arrivals in any sliding ${REQUEST_WINDOW_MS} ms, answers the others 429 with Retry-After in whole seconds (rounded up, so 1), and an accepted request after ${SERVICE_MS} ms; each client sends ${n} GET requests with fetch, all submitted at once, retrying every 429 as its library suggests until all succeed; the clients run side by side in one round; total time from the first submit to the last success; achieved = requests / total time (a client starting idle may send a whole window at once, so up to ${n} / ${idleStartSeconds} s = ${percent(n / idleStartSeconds / REQUESTS)} is possible); fetch → arrival: from the client's fetch call to the server's request callback.`,
      columns: ["client", "requests", "429 answers", "total time", "achieved/s", `% of ${REQUESTS}/s`, "most arrivals in any 1 s", "fetch → arrival p50 / max"],
      rows: countVariant.clients.map(({ name }) => {
        const f = counted.get(name)!;
        return [name, String(f.requests), String(f.rejected), formatMs(f.totalMs), f.requestsPerSecond.toFixed(1), percent(f.requestsPerSecond / REQUESTS), String(f.maxArrivals), delays(f)];
      }),
    };
    const tokensPerSecond = tokenLimit / (tokenWindowMs / 1000);
    const tokenTable: Table = {
      title: `429s against a server allowing ${REQUESTS} requests per sliding second and ${tokenLimit} tokens per sliding ${tokenWindowMs / 1000} s`,
      workload: `The same server also sums the x-tokens header of accepted requests and refuses (429, Retry-After rounded up to whole seconds) a request that would take the last ${tokenWindowMs / 1000} s over ${tokenLimit} tokens; ${n} requests costing ${MIN_TOKENS}–${MAX_TOKENS} tokens (seeded, the same list for every client, ${tokenVariant.calls.reduce((s, c) => s + c.tokens, 0)} in all), side by side in one round; achieved = tokens / total time, against ${tokensPerSecond} tokens/s allowed on average (a client starting idle may use a whole window at once, so above 100 % is possible).`,
      columns: ["client", "requests", "429 answers (requests / tokens)", "total time", "tokens/s", `% of ${tokensPerSecond}/s`, `most tokens arriving in any ${tokenWindowMs / 1000} s`, "most arrivals in any 1 s", "fetch → arrival p50 / max"],
      rows: tokenVariant.clients.map(({ name }) => {
        const f = weighted.get(name)!;
        return [name, String(f.requests), `${f.rejected} (${f.rejectedForRequests} / ${f.rejectedForTokens})`, formatMs(f.totalMs), f.tokensPerSecond.toFixed(0), percent(f.tokensPerSecond / tokensPerSecond), String(f.maxTokensArriving), String(f.maxArrivals), delays(f)];
      }),
    };

    // The target of issue 8 on burst 1 (even spacing, what the issue found to work); burst 5 is a stricter reading of "with burst".
    const targets: Target[] = [];
    for (const { name, burst } of countVariant.clients.filter((c) => c.burst !== undefined)) {
      const f = counted.get(name)!;
      const stricter = burst === 1 ? "" : " (stricter reading)";
      targets.push(target(`${name}: zero 429s at ≥ ${MIN_ACHIEVED * 100} % of ${REQUESTS}/s${stricter}`, `${f.rejected} × 429, ${f.requestsPerSecond.toFixed(1)}/s = ${percent(f.requestsPerSecond / REQUESTS)}`, f.rejected === 0 && f.requestsPerSecond >= MIN_ACHIEVED * REQUESTS));
    }
    for (const { name, burst } of tokenVariant.clients.filter((c) => c.burst !== undefined)) {
      const f = weighted.get(name)!;
      const stricter = burst === 1 ? "" : " (stricter reading)";
      targets.push(target(`${name}: zero 429s at ≥ ${MIN_ACHIEVED * 100} % of ${tokensPerSecond} tokens/s${stricter}`, `${f.rejected} × 429, ${f.tokensPerSecond.toFixed(0)} tokens/s = ${percent(f.tokensPerSecond / tokensPerSecond)}`, f.rejected === 0 && f.tokensPerSecond >= MIN_ACHIEVED * tokensPerSecond));
    }
    const notes = [
      `Server and clients share one process and event loop (${os.cpus().length} CPUs; 1-min load average ${loadBefore.toFixed(1)} when the case began), so "network" delay is the time from fetch to the server's request callback; arrivals are stamped there. The event loop's delay meanwhile (p50 / p99 / max): ${loop(countLoop)} in the requests variant, ${loop(tokenLoop)} in the tokens variant.`,
      "Retries: runcue throws RateLimited.fromResponse(res), which pauses the service for Retry-After and requeues the work without using an attempt; p-queue (no retry of its own) waits Retry-After and adds the request again; bottleneck's 'failed' listener returns Retry-After in ms, and bottleneck reruns the job outside its limits (documented: a retry ignores minTime and takes no new reservoir).",
      `p-queue counts requests only, so its cap is the tokens limit divided by the mean cost (${MEAN_TOKENS}): ${perSecondByMean} per second; sized for the worst cost (${MAX_TOKENS}) it would be ${perSecondByWorst} per second, about ${Math.round(n / perSecondByWorst)} s for ${n} requests.`,
    ];
    return {
      id: this.id,
      title: this.title,
      tables: [countTable, tokenTable],
      targets,
      notes,
      data: { requests: n, countVariant: Object.fromEntries(counted), tokenVariant: Object.fromEntries(weighted), tokenLimit, tokenWindowMs, loadAverage: loadBefore, loopDelay: { countVariant: countLoop, tokenVariant: tokenLoop } },
    };
  },
};
