import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Cue } from "runcue";
import { Feed } from "./feed.js";
import { isLoopback, resolveOptions, type DashboardOptions, type ResolvedOptions } from "./options.js";
import { renderPage } from "./page/page.js";
import type { DashboardSnapshot } from "./snapshot.js";
import { SseClient, frame } from "./sse.js";

/** A running dashboard, from {@link serveDashboard}. */
export interface Dashboard {
  /** Where the page is, e.g. `http://127.0.0.1:43117/` (without the token). */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Resolves once the dashboard has closed: by {@link Dashboard.close}, or because the cue stopped. */
  readonly closed: Promise<void>;
  /** The current snapshot, as `/snapshot.json` gives it. */
  snapshot(): DashboardSnapshot;
  /** Stops serving: ends every event stream, removes the listeners from the cue, closes the server. Twice is harmless. */
  close(): Promise<void>;
}

/** How often an idle event stream gets a comment, so proxies and browsers keep it open. */
const HEARTBEAT_MS = 15_000;
/** How long `EventSource` waits before reconnecting. */
const RETRY_MS = 2000;

/**
 * Serves a live dashboard of a cue: one page (`/`) that updates over server-sent events
 * (`/events`), and the same data as JSON (`/snapshot.json`). Read-only; bound to 127.0.0.1 by
 * default; any other address needs a `token`. Snapshots are built once per `interval` for all
 * clients, and only sent when something changed. Closes when the cue stops (after it was
 * started) or when `close()` is called.
 * @throws TypeError (as a rejection) naming an invalid option; an Error when the port cannot be bound.
 * @example
 * const dashboard = await serveDashboard(cue, { port: 8080 });
 * console.log(`dashboard: ${dashboard.url}`);
 */
export async function serveDashboard(cue: Cue, options: DashboardOptions = {}): Promise<Dashboard> {
  const o = resolveOptions(cue, options);
  const page = renderPage(o.title);
  const feed = new Feed(cue, { title: o.title, showParams: o.showParams });
  const clients = new Set<SseClient>();
  let seq = 0;
  let lastKey = "";
  let latest: string | undefined;
  let closing: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  /**
   * Builds a snapshot; when it differs from the last one (its number and time aside), numbers it
   * and sends it to every client. One snapshot per interval serves all clients.
   */
  const broadcast = (): void => {
    const snap = feed.snapshot(seq + 1);
    const key = JSON.stringify({ ...snap, seq: 0, at: 0 });
    if (key === lastKey) return;
    lastKey = key;
    seq = snap.seq;
    latest = frame("snapshot", seq, JSON.stringify(snap));
    for (const client of clients) client.send(latest);
  };
  // Each interval: close if the cue stopped after it was seen started; else send what changed.
  feed.sawStarted = cue.status().started;
  const tick = setInterval(() => {
    const started = cue.status().started;
    if (o.closeOnStop && feed.sawStarted && !started) {
      void close();
      return;
    }
    if (started) feed.sawStarted = true;
    if (clients.size > 0) broadcast();
  }, o.interval);
  const heartbeat = setInterval(() => {
    for (const client of clients) client.comment("heartbeat");
  }, HEARTBEAT_MS);

  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, TEXT).end(`Internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  });
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const refused = refusal(req, url, o);
    if (refused !== undefined) {
      res.writeHead(refused.status, { ...TEXT, ...refused.headers }).end(`${refused.message}\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...TEXT, allow: "GET, HEAD" }).end("The dashboard is read-only: only GET and HEAD are allowed\n");
      return;
    }
    if (url.pathname === "/" || url.pathname === "/index.html") {
      res.writeHead(200, { ...SECURITY, "content-type": "text/html; charset=utf-8", "content-security-policy": page.csp });
      res.end(req.method === "HEAD" ? undefined : page.html);
    } else if (url.pathname === "/snapshot.json") {
      res.writeHead(200, { ...SECURITY, "content-type": "application/json; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify(feed.snapshot(seq)));
    } else if (url.pathname === "/events") {
      res.writeHead(200, { ...SECURITY, "content-type": "text/event-stream; charset=utf-8", connection: "keep-alive", "x-accel-buffering": "no" });
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      req.socket.setNoDelay(true);
      const client = new SseClient(res, () => clients.delete(client));
      client.send(`retry: ${RETRY_MS}\n\n`);
      // A new client gets the current picture at once: the last snapshot, or a newer one for everybody.
      const before = latest;
      clients.add(client);
      broadcast();
      if (latest === before && latest !== undefined) client.send(latest);
    } else {
      res.writeHead(404, TEXT).end(`Not found: ${url.pathname}\n`);
    }
  };

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      clearInterval(tick);
      clearInterval(heartbeat);
      const reason = cue.status().started ? "closed" : "stopped";
      const ends: Promise<void>[] = [];
      for (const client of clients) {
        client.send(frame("closed", seq, JSON.stringify({ reason })));
        ends.push(client.end());
      }
      clients.clear();
      feed.close();
      server.close(() => resolve());
      server.closeIdleConnections();
      // Streams get a moment to deliver their closed event; then every connection is cut.
      const grace = setTimeout(() => server.closeAllConnections(), 1000);
      grace.unref();
      void Promise.all(ends).then(() => {
        clearTimeout(grace);
        server.closeAllConnections();
      });
    }).then(resolveClosed);
    return closing;
  };

  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      clearInterval(tick);
      clearInterval(heartbeat);
      feed.close();
      reject(new Error(`runcue-dashboard: cannot listen on ${o.host}:${o.port}: ${error.code ?? error.message}`, { cause: error }));
    };
    server.once("error", failed);
    server.listen(o.port, o.host, () => {
      server.off("error", failed);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(":") && !o.host.startsWith("[") ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}/`,
    port,
    closed,
    snapshot: () => feed.snapshot(seq),
    close,
  };
}

const TEXT = { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" };
const SECURITY = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
};

/** Why a request is refused, or undefined when it may go on. */
function refusal(req: IncomingMessage, url: URL, o: ResolvedOptions): { status: number; message: string; headers?: Record<string, string> } | undefined {
  if (o.token !== undefined) {
    const header = req.headers.authorization;
    const given = header?.startsWith("Bearer ") ? header.slice(7) : url.searchParams.get("token");
    if (given === null || given === undefined || !sameSecret(given, o.token)) {
      return { status: 401, message: "A token is required: open the page with ?token=<token>, or send Authorization: Bearer <token>", headers: { "www-authenticate": 'Bearer realm="runcue-dashboard"' } };
    }
    return undefined;
  }
  // Bound to loopback without a token: refuse other Host names, so a web page cannot reach the
  // dashboard through DNS rebinding (a name of its own that resolves to 127.0.0.1).
  const host = hostName(req.headers.host);
  if (host === undefined || !isLoopback(host)) return { status: 403, message: `Host ${JSON.stringify(req.headers.host ?? "")} is not a loopback name: use http://127.0.0.1 or http://localhost` };
  return undefined;
}

/** The name in a Host header, without its port. */
function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header === "") return undefined;
  if (header.startsWith("[")) return header.slice(1, header.indexOf("]"));
  const colon = header.lastIndexOf(":");
  return colon === -1 ? header : header.slice(0, colon);
}

/** Compares two secrets in constant time (their digests have the same length whatever the input). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
