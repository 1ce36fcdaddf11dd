import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseRate, type RateSpec } from "runcue";
import { DEFAULTS, type OutputMode, type SimOptions } from "./config.js";
import { SCENARIOS } from "./scenarios/index.js";
import { closest } from "./suggest.js";

/** A mistake in the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What the command line asks for. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "list" }
  | { kind: "run"; options: SimOptions; seed: number | undefined };

interface Flag {
  name: string;
  short?: string;
  /** The value's placeholder in `--help`; none for switches. */
  arg?: string;
  help: string;
  default?: string;
}

const GROUPS: readonly { title: string; flags: readonly Flag[] }[] = [
  {
    title: "Scenario",
    flags: [
      { name: "scenario", arg: "NAME", help: SCENARIOS.map((s) => s.name).join(", "), default: DEFAULTS.scenario },
      { name: "list-scenarios", help: "list the scenarios and exit" },
      { name: "count", short: "n", arg: "N", help: "items, batches or documents to submit", default: String(DEFAULTS.count) },
    ],
  },
  {
    title: "Simulated handlers",
    flags: [
      { name: "latency", short: "l", arg: "MS", help: "base handler latency in milliseconds", default: String(DEFAULTS.latencyMs) },
      { name: "jitter", short: "j", arg: "J", help: "latency × uniform(1−J, 1+J), J in [0, 1]", default: String(DEFAULTS.jitter) },
      { name: "outliers", arg: "P", help: "probability a request is an outlier, in [0, 1]", default: String(DEFAULTS.outliers) },
      { name: "outlier-mult", arg: "X", help: "outlier latency multiplier", default: String(DEFAULTS.outlierMult) },
      { name: "error-rate", short: "e", arg: "P", help: "probability a handler fails, in [0, 1]", default: String(DEFAULTS.errorRate) },
    ],
  },
  {
    title: "Limits and pacing",
    flags: [
      { name: "concurrent", short: "c", arg: "N", help: "main service concurrency (others derive from it)", default: String(DEFAULTS.concurrent) },
      { name: "rate-limit", short: "r", arg: "RATE", help: "main service rate: 60/min, 10/s, 1000/day, or count/seconds (60/60)", default: "none" },
      { name: "submit-rate", short: "s", arg: "N", help: "initial submissions per second", default: "all at once" },
      { name: "duration", short: "d", arg: "SECONDS", help: "stop after this long (running work finishes)", default: "none" },
      { name: "timeout", arg: "SECONDS", help: "stop when stalled this long (exit code 3)", default: "none" },
      { name: "seed", arg: "N", help: "random seed: same seed, same ids, order and outcomes", default: "random, printed" },
      { name: "virtual", help: "run on a virtual clock: simulated time, as fast as the CPU allows" },
    ],
  },
  {
    title: "Output",
    flags: [
      { name: "verbose", short: "v", help: "one line per event instead of the live display" },
      { name: "no-tui", help: "plain status lines (the default when stdout is not a TTY)" },
      { name: "json", help: "only a JSON summary on stdout (-v logs to stderr)" },
      { name: "report", arg: "FILE.html", help: "write a self-contained HTML report", default: "none" },
      { name: "no-color", help: "no colours (also when NO_COLOR is set)" },
      { name: "version", help: "print the version and exit" },
      { name: "help", short: "h", help: "show this help and exit" },
    ],
  },
];

const FLAGS = GROUPS.flatMap((g) => g.flags);

/** The `--help` text: every flag with its default. */
export function helpText(): string {
  const lines = [
    "Usage: runcue-sim [options]",
    "",
    "Runs a dependency pattern through the runcue scheduler with simulated handlers: does it",
    "finish, how long does it take, where does it stall and why.",
  ];
  for (const group of GROUPS) {
    lines.push("", `${group.title}:`);
    for (const f of group.flags) {
      const names = `${f.short === undefined ? "    " : `-${f.short}, `}--${f.name}${f.arg === undefined ? "" : ` ${f.arg}`}`;
      lines.push(`  ${names.padEnd(28)} ${f.help}${f.default === undefined ? "" : ` (default: ${f.default})`}`);
    }
  }
  lines.push(
    "",
    "Exit codes: 0 all work ended (or --duration passed), 2 bad command line,",
    "            3 stalled past --timeout, 4 the --report could not be written,",
    "            130 interrupted (Ctrl+C).",
    "",
    "Examples:",
    "  runcue-sim --scenario pipeline -n 50",
    "  runcue-sim -r 60/min -n 10000 -e 0.02 --virtual    # how long will 10,000 calls take?",
    "  runcue-sim --scenario fanout -e 0.1 --timeout 5    # see why it stalls",
  );
  return `${lines.join("\n")}\n`;
}

/** `--list-scenarios`: one line per scenario. */
export function scenarioList(): string {
  return SCENARIOS.map((s) => `  ${s.name.padEnd(15)} ${s.description}\n`).join("");
}

/**
 * A refused value: `invalid --jitter "1.5": the jitter must be in [0, 1] (...)`. `what` says
 * what the value is and what it must be, so the message makes sense without the help.
 */
function invalid(flag: string, value: string, what: string): UsageError {
  return new UsageError(`invalid --${flag} ${JSON.stringify(value)}: ${what}`);
}

function integer(flag: string, value: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\s*[+-]?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw invalid(flag, value, `${what} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}`);
  }
  return n;
}

function decimal(flag: string, value: string, what: string, ok: (n: number) => boolean): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !ok(n)) throw invalid(flag, value, what);
  return n;
}

/** A value in [0, 1]; `what` names it (`the jitter`) and `example` explains it. */
function unit(flag: string, value: string, what: string, example: string): number {
  return decimal(flag, value, `${what} must be in [0, 1] (${example})`, (n) => n >= 0 && n <= 1);
}

function positive(flag: string, value: string, what: string): number {
  return decimal(flag, value, `${what} must be > 0`, (n) => n > 0);
}

/**
 * `-r`: a runcue rate (`60/min`) is passed through; the old `count/seconds` form (`60/60`) becomes
 * `{ limit: count, interval: seconds × 1000 }` exactly (the old simulator truncated `1/120` to
 * `0/min`, so nothing ever ran).
 */
export function parseRateFlag(value: string): string | RateSpec {
  const old = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?|\.\d+)\s*$/.exec(value);
  if (old) {
    const limit = Number(old[1]);
    const seconds = Number(old[2]);
    if (!Number.isSafeInteger(limit) || limit < 1 || !(seconds > 0)) {
      throw invalid("rate-limit", value, "the main service's rate, as count/seconds, needs a count >= 1 and seconds > 0, e.g. 60/60");
    }
    return { limit, interval: Math.round(seconds * 1e6) / 1e3 };
  }
  try {
    parseRate(value);
    return value.trim();
  } catch {
    throw invalid("rate-limit", value, "the main service's rate must be a runcue rate such as 60/min, 10/s or 1000/day, or count/seconds such as 60/60");
  }
}

function reportPath(value: string): string {
  if (value.trim() === "") throw invalid("report", value, "the report must be a file path, e.g. report.html");
  const path = resolve(value);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw invalid("report", value, `the report must go in an existing directory (${dir} does not exist)`);
  if (existsSync(path) && statSync(path).isDirectory()) throw invalid("report", value, `the report must be a file, and ${path} is a directory`);
  try {
    accessSync(existsSync(path) ? path : dir, constants.W_OK);
  } catch {
    throw invalid("report", value, `the report cannot be written there (${existsSync(path) ? path : dir} is not writable)`);
  }
  return value;
}

/** ` (did you mean --scenario?)`, or nothing when no flag is close. */
function suggestFlag(given: string): string {
  if (!given.startsWith("--")) return "";
  const name = given.slice(2).split("=")[0] ?? "";
  const match = closest(name, FLAGS.map((f) => f.name));
  return match === undefined ? "" : `; did you mean --${match}?`;
}

/** Why `parseArgs` refused, as one line. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = (message.split("\n")[0] ?? message).trim();
  const unknown = /^Unknown option '([^']+)'/.exec(first);
  if (unknown) return `unknown option ${unknown[1]}${suggestFlag(unknown[1] ?? "")}`;
  const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(first);
  if (ambiguous) {
    const name = FLAGS.find((f) => `-${f.short ?? ""}` === ambiguous[1] || `--${f.name}` === ambiguous[1])?.name ?? ambiguous[1];
    return `option ${ambiguous[1]} got a value starting with "-": write it as --${name}=VALUE`;
  }
  const positional = /^Unexpected argument '([^']+)'/.exec(first);
  if (positional) {
    const word = positional[1] ?? "";
    const scenario = closest(word, SCENARIOS.map((s) => s.name));
    const hint = scenario !== undefined ? `; did you mean --scenario ${scenario}?` : suggestFlag(`--${word.replace(/^-+/, "")}`);
    return `unexpected argument ${JSON.stringify(word)} (every setting is a flag, e.g. --count 10)${hint}`;
  }
  return first.replace(/\.\s*$/, "");
}

/** What the environment says about the terminal (`TERM`, `NO_COLOR`). */
export interface TerminalEnv {
  TERM?: string | undefined;
  NO_COLOR?: string | undefined;
}

/**
 * Reads the command line. `stdoutIsTTY` picks the live display or plain lines; `env` turns the
 * live display off on a dumb terminal (`TERM=dumb`: no cursor movement) and colours off with
 * `NO_COLOR` (as `--no-color` does).
 * @throws UsageError naming the flag, what the value is and what it must be.
 */
export function parseCommand(argv: readonly string[], stdoutIsTTY: boolean, env: TerminalEnv = {}): Command {
  const options = Object.fromEntries(FLAGS.map((f) => [f.name, { type: f.arg === undefined ? "boolean" : "string", ...(f.short === undefined ? {} : { short: f.short }) }])) as Record<string, { type: "string" | "boolean"; short?: string }>;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const flag = (name: string): boolean => values[name] === true;
  if (flag("help")) return { kind: "help" };
  if (flag("version")) return { kind: "version" };
  if (flag("list-scenarios")) return { kind: "list" };

  const result: SimOptions = {};
  const scenario = str("scenario");
  if (scenario !== undefined) {
    if (!SCENARIOS.some((s) => s.name === scenario)) {
      const names = SCENARIOS.map((s) => s.name);
      const match = closest(scenario, names);
      throw invalid("scenario", scenario, `${match === undefined ? "there is no such scenario" : `did you mean ${match}?`} (the scenarios are ${names.join(", ")})`);
    }
    result.scenario = scenario;
  }
  const set = <K extends keyof SimOptions>(key: K, name: string, parse: (v: string) => SimOptions[K]): void => {
    const v = str(name);
    if (v !== undefined) result[key] = parse(v);
  };
  set("count", "count", (v) => integer("count", v, "the number of work units (items, batches or documents)", 1));
  set("latencyMs", "latency", (v) => decimal("latency", v, "the base handler latency must be a number of milliseconds >= 0, e.g. 100", (n) => n >= 0));
  set("jitter", "jitter", (v) => unit("jitter", v, "the jitter", "each wait is latency × uniform(1−J, 1+J), e.g. 0.2"));
  set("outliers", "outliers", (v) => unit("outliers", v, "the share of requests that are outliers", "e.g. 0.05 for 5%"));
  set("outlierMult", "outlier-mult", (v) => decimal("outlier-mult", v, "the outlier latency multiplier must be a number > 0, e.g. 5", (n) => n > 0));
  set("errorRate", "error-rate", (v) => unit("error-rate", v, "the probability that a handler fails", "e.g. 0.05 for 5%"));
  set("concurrent", "concurrent", (v) => integer("concurrent", v, "the main service's concurrency", 1));
  set("rate", "rate-limit", parseRateFlag);
  set("submitRate", "submit-rate", (v) => positive("submit-rate", v, "the initial submission rate, in submissions per second,"));
  set("durationS", "duration", (v) => positive("duration", v, "the run's length, in seconds,"));
  set("timeoutS", "timeout", (v) => positive("timeout", v, "how long a stall may last, in seconds,"));
  set("reportPath", "report", reportPath);
  const seedText = str("seed");
  const seed = seedText === undefined ? undefined : integer("seed", seedText, "the random seed", 0, 2 ** 32 - 1);
  if (flag("virtual")) result.virtual = true;
  // A dumb terminal cannot move the cursor: plain lines, each a new line.
  const dumb = env.TERM === "dumb";
  const mode: OutputMode = flag("json") ? "json" : flag("verbose") ? "verbose" : flag("no-tui") || !stdoutIsTTY || dumb ? "plain" : "tui";
  result.mode = mode;
  if (dumb) result.moveCursor = false;
  if (flag("no-color") || (env.NO_COLOR !== undefined && env.NO_COLOR !== "")) result.color = false;
  if (mode === "json" && flag("verbose")) result.verboseToStderr = true;
  return { kind: "run", options: result, seed };
}
