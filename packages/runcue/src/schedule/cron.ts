/**
 * Cron expressions, evaluated by croner (an optional peer dependency). runcue asks croner only
 * "when is the next match after t?" (a croner job made without a callback sets no timer); the
 * timers are the cue's own, on its clock.
 * @module
 */
import { createRequire } from "node:module";
import { ConfigurationError, describeValue, messageOf } from "../errors.js";
import type { Timing } from "./timing.js";

/** What runcue uses of croner's `Cron` (typed here, so runcue's types never need croner's). */
interface CronerJob {
  nextRun(from?: Date): Date | null;
}
interface CronerModule {
  Cron: new (pattern: string, options: { mode: string; timezone?: string }) => CronerJob;
}

let croner: CronerModule | undefined;

function isMissing(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  // Only croner itself missing; a croner that fails to load for another reason is reported as such.
  return e?.code === "MODULE_NOT_FOUND" && typeof e.message === "string" && e.message.includes("'croner'");
}

/**
 * Loads croner on first use, synchronously, so `cue.schedule()` stays synchronous and reports a
 * missing package where the cron expression is given.
 */
function loadCroner(what: string): CronerModule {
  if (croner !== undefined) return croner;
  let loaded: unknown;
  try {
    loaded = createRequire(import.meta.url)("croner");
  } catch (error) {
    if (isMissing(error)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Cron schedules need the "croner" package, an optional peer dependency of runcue that is not installed: run \`npm install croner\` (${what}; or use \`every\`)`, { cause: error });
    }
    throw new ConfigurationError("ERR_INVALID_OPTION", `The "croner" package is installed but could not be loaded (${what}): ${messageOf(error)}`, { cause: error });
  }
  if (typeof (loaded as Partial<CronerModule> | null)?.Cron !== "function") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `The "croner" package has no Cron class (${what}): runcue needs croner ^11`);
  }
  croner = loaded as CronerModule;
  return croner;
}

/** Checks a time zone name against the runtime's time zone data. */
function checkTimeZone(tz: unknown, what: string): asserts tz is string {
  let valid = false;
  if (typeof tz === "string" && tz.length > 0) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
  }
  if (!valid) throw new ConfigurationError("ERR_INVALID_OPTION", `Unknown time zone for ${what}: ${describeValue(tz)} (expected an IANA name such as "Europe/Berlin" or "UTC")`);
}

/**
 * A timing for a cron expression of five fields (minute to weekday) or six (with seconds first),
 * with names of days and months, ranges, steps, `L`, `W` and `#` as croner reads them, in time
 * zone `tz` (default: the process's local zone).
 * @throws ConfigurationError for a malformed expression, an unknown zone, or croner missing.
 */
export function cronTiming(expr: unknown, tz: unknown, what: string): Timing {
  if (typeof expr !== "string" || expr.trim() === "") {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid cron for ${what}: ${describeValue(expr)} (expected a string of five or six fields, e.g. "0 3 * * *")`);
  }
  if (tz !== undefined) checkTimeZone(tz, what);
  const { Cron } = loadCroner(`${what}, cron ${JSON.stringify(expr)}`);
  let job: CronerJob;
  try {
    job = new Cron(expr, tz === undefined ? { mode: "5-or-6-parts" } : { mode: "5-or-6-parts", timezone: tz });
  } catch (error) {
    throw new ConfigurationError("ERR_INVALID_OPTION", `Invalid cron for ${what}: ${JSON.stringify(expr)} (${messageOf(error)}; expected five or six fields, e.g. "0 3 * * *" or "*/10 * * * * *")`, { cause: error });
  }
  return {
    next(after) {
      const at = job.nextRun(new Date(after));
      return at === null ? undefined : at.getTime();
    },
  };
}
