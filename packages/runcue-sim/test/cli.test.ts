import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Summary } from "../src/summary.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const cli = join(root, "packages/runcue-sim/dist/cli.js");
const tmp = mkdtempSync(join(tmpdir(), "runcue-sim-"));

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  // The CLI runs from dist/ (`npm test` builds first); rebuild here only if the sources are newer.
  const stale = !existsSync(cli) || newestIn(join(root, "packages/runcue-sim/src")) > statSync(cli).mtimeMs || newestIn(join(root, "packages/runcue/src")) > statSync(cli).mtimeMs;
  if (stale) execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/runcue", "packages/runcue-sim"], { cwd: root });
}, 60_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sim(...args: string[]): Result {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
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

  it("lists the four scenarios", () => {
    const r = sim("--list-scenarios");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/)[0])).toEqual(["single_queue", "pipeline", "fanout", "dynamic"]);
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

describe("--report", () => {
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
