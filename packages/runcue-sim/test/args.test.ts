import { describe, expect, it } from "vitest";
import { helpText, parseCommand, parseRateFlag, UsageError } from "../src/args.js";

function run(argv: string[], tty = false): ReturnType<typeof parseCommand> {
  return parseCommand(argv, tty);
}

function options(argv: string[], tty = false): Record<string, unknown> {
  const command = run(argv, tty);
  if (command.kind !== "run") throw new Error(`expected a run, got ${command.kind}`);
  return command.options as Record<string, unknown>;
}

describe("--rate-limit", () => {
  it("passes a runcue rate through", () => {
    expect(parseRateFlag("60/min")).toBe("60/min");
    expect(parseRateFlag("10/s")).toBe("10/s");
    expect(parseRateFlag("1000/day")).toBe("1000/day");
  });

  it("converts the old count/seconds form exactly, never truncating", () => {
    expect(parseRateFlag("60/60")).toEqual({ limit: 60, interval: 60_000 });
    expect(parseRateFlag("1/120")).toEqual({ limit: 1, interval: 120_000 });
    expect(parseRateFlag("100/3600")).toEqual({ limit: 100, interval: 3_600_000 });
    expect(parseRateFlag("3/1.1")).toEqual({ limit: 3, interval: 1100 });
  });

  it.each(["abc", "60", "0/60", "60/0", "-1/60", "60/fortnight", "1.5/60", ""])("refuses %j, naming the flag and both forms", (value) => {
    expect(() => parseRateFlag(value)).toThrow(UsageError);
    expect(() => parseRateFlag(value)).toThrow(/--rate-limit .*(60\/min|60\/60)/);
  });
});

describe("flags", () => {
  it("maps every value flag onto the simulation options", () => {
    expect(options(["--scenario", "fanout", "-n", "7", "-l", "50", "-j", "0.1", "--outliers", "0.05", "--outlier-mult", "3",
      "-e", "0.02", "-c", "4", "-r", "60/min", "-s", "20", "-d", "30", "--timeout", "5", "--virtual", "--report", "out.html"])).toEqual({
      scenario: "fanout", count: 7, latencyMs: 50, jitter: 0.1, outliers: 0.05, outlierMult: 3, errorRate: 0.02, concurrent: 4,
      rate: "60/min", submitRate: 20, durationS: 30, timeoutS: 5, virtual: true, reportPath: "out.html", mode: "plain",
    });
  });

  it("takes the seed separately, and none when not given", () => {
    expect(run(["--seed", "42"])).toMatchObject({ kind: "run", seed: 42 });
    expect(run([])).toMatchObject({ kind: "run", seed: undefined });
  });

  it("picks the display: TUI on a TTY, plain otherwise or with --no-tui, verbose with -v, JSON wins", () => {
    expect(options([], true).mode).toBe("tui");
    expect(options([], false).mode).toBe("plain");
    expect(options(["--no-tui"], true).mode).toBe("plain");
    expect(options(["-v"], true).mode).toBe("verbose");
    expect(options(["--json", "-v"], true)).toMatchObject({ mode: "json", verboseToStderr: true });
  });

  it("answers --help, --version and --list-scenarios before anything else", () => {
    expect(run(["--help", "-n", "nonsense"])).toEqual({ kind: "help" });
    expect(run(["--version", "-n", "nonsense"])).toEqual({ kind: "version" });
    expect(run(["--list-scenarios"])).toEqual({ kind: "list" });
  });

  it("turns colours off with --no-color or a non-empty NO_COLOR, and leaves them alone otherwise", () => {
    expect(options(["--no-color"], true).color).toBe(false);
    expect(parseCommand([], true, { NO_COLOR: "1" })).toMatchObject({ options: { color: false } });
    expect(parseCommand([], true, { NO_COLOR: "" })).not.toMatchObject({ options: { color: false } });
    expect(options([], true).color).toBeUndefined();
  });

  it("on a dumb terminal (TERM=dumb) picks plain lines and never moves the cursor", () => {
    expect(parseCommand([], true, { TERM: "dumb" })).toMatchObject({ options: { mode: "plain", moveCursor: false } });
    expect(parseCommand([], true, { TERM: "xterm-256color" })).toMatchObject({ options: { mode: "tui" } });
    expect(parseCommand(["-v"], true, { TERM: "dumb" })).toMatchObject({ options: { mode: "verbose", moveCursor: false } });
  });

  it.each([
    [["-n", "0"], /--count "0": the number of work units \(items, batches or documents\) must be a whole number >= 1/],
    [["-n", "2.5"], /--count "2.5": the number of work units .* must be a whole number >= 1/],
    [["-c", "x"], /--concurrent "x": the main service's concurrency must be a whole number >= 1/],
    [["-e", "1.5"], /--error-rate "1.5": the probability that a handler fails must be in \[0, 1\]/],
    [["-j", "1.5"], /--jitter "1.5": the jitter must be in \[0, 1\] \(each wait is latency × uniform\(1−J, 1\+J\)/],
    [["--jitter=-0.1"], /--jitter "-0.1": the jitter must be in \[0, 1\]/],
    [["--outliers", "2"], /--outliers "2": the share of requests that are outliers must be in \[0, 1\]/],
    [["-l", "-5"], /option -l got a value starting with "-": write it as --latency=VALUE/],
    [["--latency=-5"], /--latency "-5": the base handler latency must be a number of milliseconds >= 0/],
    [["--timeout", "0"], /--timeout "0": how long a stall may last, in seconds, must be > 0/],
    [["-d", "0"], /--duration "0": the run's length, in seconds, must be > 0/],
    [["-s", "fast"], /--submit-rate "fast": the initial submission rate, in submissions per second, must be > 0/],
    [["--seed=-1"], /--seed "-1": the random seed must be a whole number from 0 to 4294967295/],
    [["--scenario", "nope"], /--scenario "nope": there is no such scenario \(the scenarios are single_queue, pipeline, fanout, dynamic, scheduled\)/],
    [["--scenario", "pipline"], /--scenario "pipline": did you mean pipeline\?/],
    [["--scenario", "single-queue"], /did you mean single_queue\?/],
    [["--scenario", "fan"], /did you mean fanout\?/],
    [["--report", "/no/such/dir/r.html"], /--report .*must go in an existing directory/],
    [["--report", "/tmp"], /--report "\/tmp": the report must be a file, and \/tmp is a directory/],
    [["--frobnicate"], /^unknown option --frobnicate$/],
    [["--scenaro", "fanout"], /unknown option --scenaro; did you mean --scenario\?/],
    [["--cuont", "5"], /unknown option --cuont; did you mean --count\?/],
    [["--jiter=0.1"], /unknown option --jiter; did you mean --jitter\?/],
    [["--no-colour"], /did you mean --no-color\?/],
    [["--virt"], /did you mean --virtual\?/],
    [["extra"], /unexpected argument "extra"/],
    [["fanout"], /unexpected argument "fanout" .*; did you mean --scenario fanout\?/],
    [["-n"], /-n, --count/],
  ])("refuses %j with one line naming the flag", (argv, message) => {
    try {
      run(argv);
      throw new Error("no error");
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
    }
  });

  it("lists every flag with its default in --help", () => {
    const help = helpText();
    for (const flag of ["--scenario", "--list-scenarios", "--count", "--latency", "--jitter", "--outliers", "--outlier-mult", "--error-rate",
      "--concurrent", "--rate-limit", "--submit-rate", "--duration", "--timeout", "--seed", "--verbose", "--no-tui", "--json", "--virtual", "--report",
      "--no-color", "--version"]) {
      expect(help).toContain(flag);
    }
    for (const line of ["(default: single_queue)", "(default: 100)", "(default: 0.2)", "(default: 5)", "(default: 0)"]) expect(help).toContain(line);
  });
});
