import { isIP } from "node:net";
import type { Cue } from "runcue";

/** Options of {@link serveDashboard}. Every one is optional. */
export interface DashboardOptions {
  /** The port to listen on; 0 picks a free one (read it from `url`). @default 0 */
  port?: number;
  /** The address to bind. Anything but a loopback address requires `token`. @default "127.0.0.1" */
  host?: string;
  /**
   * A secret every request must carry, as `Authorization: Bearer <token>` or `?token=<token>` (the
   * page passes it on to its event stream). At least 16 characters, e.g.
   * `randomBytes(16).toString("hex")`. Required when `host` is not a loopback address.
   */
  token?: string;
  /** Show the params of example works (off: params may hold secrets or personal data). @default false */
  showParams?: boolean;
  /** Shortest time between two snapshots sent to the page, in milliseconds (50 to 60000). @default 500 */
  interval?: number;
  /** A name shown in the page's header and title. @default "runcue" */
  title?: string;
  /** Close the dashboard when the cue stops (after it was started). @default true */
  closeOnStop?: boolean;
}

/** Options with their defaults applied. */
export interface ResolvedOptions {
  port: number;
  host: string;
  token: string | undefined;
  showParams: boolean;
  interval: number;
  title: string;
  closeOnStop: boolean;
}

const NAMES = ["port", "host", "token", "showParams", "interval", "title", "closeOnStop"];

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(h);
  return false;
}

/** Checks `serveDashboard`'s arguments and applies the defaults. @throws TypeError naming the value. */
export function resolveOptions(cue: unknown, options: unknown): ResolvedOptions {
  if (cue === null || typeof cue !== "object" || typeof (cue as Cue).on !== "function" || typeof (cue as Cue).summary !== "function") {
    throw new TypeError(`runcue-dashboard: serveDashboard() needs a runcue Cue, got ${describe(cue)}`);
  }
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw new TypeError(`runcue-dashboard: invalid options: ${describe(options)} (expected an object)`);
  const o = options as DashboardOptions & Record<string, unknown>;
  for (const name of Object.keys(o)) {
    if (!NAMES.includes(name)) throw new TypeError(`runcue-dashboard: unknown option "${name}" (expected one of ${NAMES.join(", ")})`);
  }
  const port = o.port ?? 0;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`runcue-dashboard: invalid port: ${describe(port)} (expected an integer from 0 to 65535)`);
  const host = o.host ?? "127.0.0.1";
  if (typeof host !== "string" || host === "") throw new TypeError(`runcue-dashboard: invalid host: ${describe(host)} (expected an address such as "127.0.0.1")`);
  const token = o.token;
  if (token !== undefined && (typeof token !== "string" || token.length < 16 || /\s/.test(token))) {
    throw new TypeError(`runcue-dashboard: invalid token: ${typeof token === "string" ? `a string of ${token.length} characters${/\s/.test(token) ? " with white space" : ""}` : describe(token)} (expected at least 16 characters without spaces, e.g. randomBytes(16).toString("hex"))`);
  }
  if (token === undefined && !isLoopback(host)) {
    throw new TypeError(`runcue-dashboard: host ${JSON.stringify(host)} is reachable from other machines: give a token (at least 16 characters) or bind to 127.0.0.1`);
  }
  const interval = o.interval ?? 500;
  if (typeof interval !== "number" || !Number.isFinite(interval) || interval < 50 || interval > 60_000) throw new TypeError(`runcue-dashboard: invalid interval: ${describe(interval)} (expected milliseconds from 50 to 60000)`);
  const title = o.title ?? "runcue";
  if (typeof title !== "string" || title.length > 200) throw new TypeError(`runcue-dashboard: invalid title: ${describe(title)} (expected a string of at most 200 characters)`);
  for (const flag of ["showParams", "closeOnStop"] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== "boolean") throw new TypeError(`runcue-dashboard: invalid ${flag}: ${describe(o[flag])} (expected a boolean)`);
  }
  return { port, host, token, showParams: o.showParams ?? false, interval, title, closeOnStop: o.closeOnStop ?? true };
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (value === null || typeof value !== "object") return String(value);
  return `an object with keys ${JSON.stringify(Object.keys(value))}`;
}
