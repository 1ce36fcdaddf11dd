import type { IncomingMessage, ServerResponse } from "node:http";
import { register as defaultRegistry, type Registry } from "prom-client";
import { describe } from "./options.js";

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  /** The registry to expose. @default prom-client's global `register` */
  registry?: Registry;
  /** The path that answers; any other path is 404. @default "/metrics" */
  path?: string;
}

/**
 * A request handler for a plain `node:http` server: `GET` (or `HEAD`) on `path` answers with
 * the registry's metrics in the Prometheus text format; other paths get 404, other methods 405.
 * @throws TypeError naming an invalid option.
 * @example
 * http.createServer(metricsHandler({ registry })).listen(9464);
 */
export function metricsHandler(options: MetricsHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  if (options === null || typeof options !== "object") throw new TypeError(`runcue-prometheus: invalid metricsHandler options: ${describe(options)} (expected an object)`);
  for (const name of Object.keys(options)) {
    if (name !== "registry" && name !== "path") throw new TypeError(`runcue-prometheus: unknown metricsHandler option "${name}" (expected registry or path)`);
  }
  const registry = options.registry ?? defaultRegistry;
  if (registry === null || typeof registry.metrics !== "function") throw new TypeError(`runcue-prometheus: invalid registry: ${describe(registry)} (expected a prom-client Registry)`);
  const path = options.path ?? "/metrics";
  if (typeof path !== "string" || !path.startsWith("/")) throw new TypeError(`runcue-prometheus: invalid path: ${describe(path)} (expected a path starting with /)`);
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== path) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`Not found: ${url.pathname} (metrics are at ${path})\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end(`Method ${String(req.method)} not allowed\n`);
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (error: unknown) => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`Collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  };
}
