import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Summary } from "../src/summary.js";
import { cli, ensureBuilt, interrupted, lines, root, sim as run, type Result } from "./cli-helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "runcue-sim-"));

beforeAll(ensureBuilt, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sim(...args: string[]): Result {
  return run(tmp, args);
}

describe("runcue-sim --help and --list-scenarios", () => {
  it("prints every flag with its default and exits 0", () => {
    const r = sim("--help");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^Usage: runcue-sim \[options\]/);
    for (const flag of ["--scenario NAME", "-n, --count N", "-l, --latency MS", "-j, --jitter J", "--outliers P", "--outlier-mult X", "-e, --error-rate P",
      "-c, --concurrent N", "-r, --rate-limit RATE", "-s, --submit-rate N", "-d, --duration SECONDS", "--timeout SECONDS", "--seed N", "-v, --verbose",
      "--no-tui", "--json", "--virtual", "--report FILE.html", "--list-scenarios"]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain("(default: 100)");
  });

  it("lists the four scenarios, in plain words (no Markdown backticks)", () => {
    const r = sim("--list-scenarios");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/)[0])).toEqual(["single_queue", "pipeline", "fanout", "dynamic", "scheduled"]);
    expect(r.stdout).not.toContain("`");
    expect(sim("--help").stdout).not.toContain("`");
  });

  it("--version prints the package's version and exits 0", () => {
    const r = sim("--version");
    const pkg = JSON.parse(readFileSync(join(root, "packages/runcue-sim/package.json"), "utf8")) as { version: string };
    expect(r).toEqual({ code: 0, stdout: `runcue-sim ${pkg.version}\n`, stderr: "" });
  });

  it("--help lists --version, --no-color and exit code 4", () => {
    const r = sim("--help");
    expect(r.stdout).toContain("--no-color");
    expect(r.stdout).toContain("--version");
    expect(r.stdout).toContain("4 the --report could not be written");
  });
});

describe("messages for a mistake", () => {
  it.each([
    [["-j", "1.5"], `runcue-sim: invalid --jitter "1.5": the jitter must be in [0, 1] (each wait is latency × uniform(1−J, 1+J), e.g. 0.2) (see --help)`],
    [["-e", "2"], `runcue-sim: invalid --error-rate "2": the probability that a handler fails must be in [0, 1] (e.g. 0.05 for 5%) (see --help)`],
    [["--outliers", "-1"], `runcue-sim: option --outliers got a value starting with "-": write it as --outliers=VALUE (see --help)`],
    [["-n", "zero"], `runcue-sim: invalid --count "zero": the number of work units (items, batches or documents) must be a whole number >= 1 (see --help)`],
    [["-c", "0"], `runcue-sim: invalid --concurrent "0": the main service's concurrency must be a whole number >= 1 (see --help)`],
    [["--timeout", "soon"], `runcue-sim: invalid --timeout "soon": how long a stall may last, in seconds, must be > 0 (see --help)`],
    [["--scenario", "pipline"], `runcue-sim: invalid --scenario "pipline": did you mean pipeline? (the scenarios are single_queue, pipeline, fanout, dynamic, scheduled) (see --help)`],
    [["--scenario", "fan_out"], `runcue-sim: invalid --scenario "fan_out": did you mean fanout? (the scenarios are single_queue, pipeline, fanout, dynamic, scheduled) (see --help)`],
    [["--scenaro", "pipeline"], "runcue-sim: unknown option --scenaro; did you mean --scenario? (see --help)"],
    [["--verbos"], "runcue-sim: unknown option --verbos; did you mean --verbose? (see --help)"],
    [["--no-colour"], "runcue-sim: unknown option --no-colour; did you mean --no-color? (see --help)"],
    [["--report-file", "r.html"], "runcue-sim: unknown option --report-file; did you mean --report? (see --help)"],
    [["pipeline"], `runcue-sim: unexpected argument "pipeline" (every setting is a flag, e.g. --count 10); did you mean --scenario pipeline? (see --help)`],
    [["--report", "."], `runcue-sim: invalid --report ".": the report must be a file, and ${tmp} is a directory (see --help)`],
  ])("%j says what the value is, in one line, exit code 2", (args, message) => {
    const r = sim(...args);
    expect(r).toEqual({ code: 2, stdout: "", stderr: `${message}\n` });
    expect(r.stderr).not.toContain("expected a probability");
  });

  it("a mistyped flag far from any other gets no guess", () => {
    expect(sim("--frobnicate").stderr).toBe("runcue-sim: unknown option --frobnicate (see --help)\n");
  });
});

describe("bad command lines", () => {
  it.each([
    [["-n", "zero"], "--count"],
    [["--rate-limit", "fast"], "--rate-limit"],
    [["-e", "2"], "--error-rate"],
    [["--scenario", "nope"], "--scenario"],
    [["--bogus"], "--bogus"],
    [["--timeout"], "--timeout"],
  ])("%j: one line naming the flag on stderr, no stack, exit code 2", (args, flag) => {
    const r = sim(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^runcue-sim: /);
    expect(lines[0]).toContain(flag);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe("--json", () => {
  it("prints only the summary as JSON on stdout", () => {
    const r = sim("--scenario", "pipeline", "-n", "20", "--virtual", "--seed", "3", "--json");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary).toMatchObject({ scenario: "pipeline", seed: 3, clock: "virtual", outcome: "completed", exitCode: 0, submitted: 60, completed: 60, failed: 0 });
    expect(summary.services.map((s) => s.name)).toEqual(["local", "api", "storage"]);
    expect(summary.config).toMatchObject({ count: 20, latencyMs: 100, jitter: 0.2, concurrent: 5, rateLimit: null });
  });

  it("with -v keeps stdout pure JSON and logs events on stderr", () => {
    const r = sim("-n", "3", "--virtual", "--seed", "1", "--json", "-v");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Summary).completed).toBe(3);
    expect(r.stderr).toMatch(/^00:00:00\.\d{3} ✓ completed/m);
  });

  it("gives the same run for the same seed", () => {
    const a = JSON.parse(sim("--scenario", "dynamic", "-n", "15", "-e", "0.05", "--virtual", "--seed", "77", "--json", "--timeout", "3").stdout) as Summary;
    const b = JSON.parse(sim("--scenario", "dynamic", "-n", "15", "-e", "0.05", "--virtual", "--seed", "77", "--json", "--timeout", "3").stdout) as Summary;
    expect({ ...b, realMs: 0 }).toEqual({ ...a, realMs: 0 });
  });
});

describe("plain and verbose output", () => {
  it("piped, `--scenario pipeline -n 50` prints a header, status lines and the summary, without escape codes", () => {
    const r = sim("--scenario", "pipeline", "-n", "50", "--seed", "2");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout).toMatch(/^runcue-sim pipeline · count 50 · seed 2 · real clock/);
    expect(r.stdout).toMatch(/^\[150\/150\] Q:0 R:0 ✓:150 ✗:0 \(100%\) [\d.]+\/s$/m);
    expect(r.stdout).toContain("Results: pipeline · seed 2 · real clock");
    expect(r.stdout).toMatch(/Outcome +all work ended \(exit 0\)/);
  });

  it("-v prints one line per event as HH:MM:SS.mmm symbol event [task] id details", () => {
    const r = sim("-v", "-n", "3", "--virtual", "--seed", "1", "-e", "0.4");
    expect(r.code).toBe(0);
    const events = r.stdout.split("\n").filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l));
    expect(events).toHaveLength(9);
    for (const line of events) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} [+▶✓✗] (queued|started|completed|failed) +\[work\] +\d+ \S/);
  });
});

describe("stalls", () => {
  it("fanout with errors and --timeout stops with the blocked report and exit code 3 (virtual clock)", () => {
    const r = sim("--scenario", "fanout", "-n", "10", "-e", "0.1", "--seed", "5", "--timeout", "2", "--virtual");
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/Timeout: stalled for 2\.00s \(--timeout 2s\)/);
    expect(r.stdout).toMatch(/aggregate #\d+ batch_\d{4}: not_ready - waiting for parts? .* failed: Simulated error/);
    expect(r.stdout).toMatch(/Outcome +stopped: stalled with \d+ works pending \(exit 3\)/);
  });

  it("in real time too, the counter is not reset by the stall reports", () => {
    const started = Date.now();
    const r = sim("--scenario", "fanout", "-n", "4", "-e", "0.3", "-l", "20", "--seed", "1", "--timeout", "2.5");
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("Stall detected");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a rate limit as the blocker is explained, and --timeout still fires", () => {
    const r = sim("-r", "5/60", "--timeout", "5", "--virtual", "--seed", "1");
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/work #6 item_0006 and 94 more like it: rate_limited - Service 'api' rate .* used \(5\/5\); next start in \d+ms/);
  });
});

describe("a run that ends with work pending", () => {
  it("Ctrl+C during a rate-limit wait keeps the wait's reason in the JSON (not the stopped cue's)", async () => {
    // 5 starts at once, then nothing can start for a minute: interrupted a second into the wait.
    const r = await interrupted(tmp, ["-r", "5/min", "-n", "20", "-l", "20", "--seed", "1", "--json", "-v"], lines(/✓ completed/, 5), 1000);
    expect(r.code).toBe(130);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary).toMatchObject({ outcome: "interrupted", exitCode: 130, completed: 5, pending: 15, pendingByReason: { rate_limited: 15 } });
    expect(summary.stall).toMatchObject({ kind: "waiting", pending: 15, byReason: { rate_limited: 15 }, more: 0 });
    expect(summary.stall?.items[0]).toMatchObject({ task: "work", reason: "rate_limited", count: 15 });
    expect(summary.stall?.items[0]?.details).toMatch(/^Service 'api' rate 5\/min used \(5\/5\); next start in \d+ms$/);
    expect(summary.stall?.nextInMs).toBeGreaterThan(50_000);
    expect(r.stdout).not.toMatch(/stopped|not started/);
  });

  it("and in the plain summary: pending, why, and interrupted rather than finished", async () => {
    const r = await interrupted(tmp, ["-r", "5/min", "-n", "20", "-l", "20", "--seed", "1"], lines(/^runcue-sim single_queue/), 1000);
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/Pending +15\n +waiting: nothing had started or finished for [\d.]+m?s; the next start was [\d.]+s away\n +work #6 item_0006 and 14 more like it: rate_limited - Service 'api' rate 5\/min used \(5\/5\)/);
    expect(r.stdout).toMatch(/Outcome +interrupted \(Ctrl\+C\) with 15 works pending \(exit 130\)/);
    expect(r.stdout).not.toMatch(/not started|finished\b(?! for)|all work ended/);
  });

  it("--duration with work left lists the pending works by reason", () => {
    const r = sim("-n", "500", "-c", "2", "-d", "1", "--virtual", "--seed", "1", "--json");
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary).toMatchObject({ outcome: "duration", exitCode: 0, stall: null });
    expect(summary.pending).toBeGreaterThan(400);
    expect(summary.pendingByReason).toEqual({ service_full: summary.pending });
  });

  it("a stall with more than ten kinds of blocked work says how many more there are (JSON and text)", () => {
    const json = JSON.parse(sim("--scenario", "fanout", "-n", "60", "-e", "0.3", "--seed", "2", "--timeout", "3", "--virtual", "--json").stdout) as Summary;
    const stall = json.stall;
    expect(stall?.items).toHaveLength(10);
    expect(stall?.more).toBe((stall?.pending ?? 0) - (stall?.items ?? []).reduce((n, i) => n + i.count, 0));
    expect(stall?.more).toBeGreaterThan(0);
    const text = sim("--scenario", "fanout", "-n", "60", "-e", "0.3", "--seed", "2", "--timeout", "3", "--virtual").stdout;
    expect(text).toMatch(/\.\.\. and \d+ more\n/);
  });
});

describe("--report", () => {
  it("that cannot be written: one line on stderr, the run's summary, and exit code 4", () => {
    // /dev/full takes the open but fails the write (ENOSPC), as a full disk would.
    const r = sim("-n", "5", "--virtual", "--seed", "1", "--report", "/dev/full", "--json");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^runcue-sim: could not write --report \/dev\/full: ENOSPC/);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(summary).toMatchObject({ outcome: "completed", exitCode: 4, report: null });
    expect(summary.reportError).toMatch(/ENOSPC/);
    const plain = sim("-n", "5", "--virtual", "--seed", "1", "--report", "/dev/full");
    expect(plain.code).toBe(4);
    expect(plain.stdout).toMatch(/Report +not written: ENOSPC/);
  });

  it("that cannot be written after a stall keeps the stall's exit code 3", () => {
    const r = sim("-r", "5/60", "--timeout", "2", "--virtual", "--seed", "1", "--report", "/dev/full", "--json");
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as Summary).reportError).toMatch(/ENOSPC/);
  });

  it("writes a self-contained HTML report with a lane per service", () => {
    const r = sim("--scenario", "pipeline", "-n", "30", "-e", "0.1", "--virtual", "--seed", "4", "--report", "report.html", "--json");
    expect(r.code).toBe(0);
    const html = readFileSync(join(tmp, "report.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/https?:\/\/|\bsrc=|<link/);
    for (const lane of ["local", "api", "storage"]) expect(html).toContain(`class="lane-name">${lane}</text>`);
    const summary = JSON.parse(r.stdout) as Summary;
    expect(html.match(/<rect [^>]*class="attempt"/g)).toHaveLength(summary.completed + summary.failed);
    expect(html).toContain("Throughput");
    expect(html).toContain("Queue depth");
    expect(summary.report).toBe("report.html");
  });
});

describe("Ctrl+C", () => {
  it("prints the summary, then exits 130", async () => {
    const child = spawn(process.execPath, [cli, "-n", "1000", "-c", "1", "-l", "100", "--seed", "1"], { cwd: tmp });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    const firstStatus = new Promise<void>((resolve) => {
      child.stdout.on("data", (chunk: string) => {
        stdout += chunk;
        if (stdout.includes("[")) resolve();
      });
    });
    await firstStatus;
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(130);
    expect(stdout).toMatch(/Outcome +interrupted \(Ctrl\+C\) with \d+ works pending \(exit 130\)/);
    expect(stdout).toMatch(/Pending +\d+/);
  });
});
