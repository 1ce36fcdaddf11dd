import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUMMARY_VERSION } from "../src/summary.js";
import { ensureBuilt, interrupted, lines, root, sim } from "./cli-helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "runcue-sim-json-"));
beforeAll(ensureBuilt, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const schema = JSON.parse(readFileSync(join(root, "packages/runcue-sim/schema/summary.schema.json"), "utf8")) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

/** Every key of `value`, with its path and value, depth first. */
function* entries(value: unknown, path = ""): Iterable<[string, string, unknown]> {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* entries(v, `${path}[${i}]`);
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      yield [`${path}.${k}`, k, v];
      yield* entries(v, `${path}.${k}`);
    }
  }
}

/** The rules the schema cannot say on its own: ms are whole, rates have 3 decimals at most. */
function unitProblems(summary: unknown): string[] {
  const problems: string[] = [];
  for (const [path, key, v] of entries(summary)) {
    if (key.endsWith("Ms") && key !== "latencyMs" && v !== null && !Number.isInteger(v)) problems.push(`${path} = ${String(v)} is not a whole number of ms`);
    if (key.endsWith("PerSecond") && typeof v === "number" && Math.round(v * 1000) / 1000 !== v) problems.push(`${path} = ${v} has more than 3 decimals`);
    if (/seconds|throughput/i.test(key)) problems.push(`${path}: old field name`);
  }
  return problems;
}

function check(stdout: string): Record<string, unknown> {
  const summary = JSON.parse(stdout) as Record<string, unknown>;
  const ok = validate(summary);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
  expect(ok).toBe(true);
  expect(unitProblems(summary)).toEqual([]);
  expect(summary.version).toBe(SUMMARY_VERSION);
  return summary;
}

describe("--json output against schema/summary.schema.json (ajv, draft 2020-12)", () => {
  it.each([
    ["a completed pipeline with a report", ["--scenario", "pipeline", "-n", "40", "-e", "0.1", "--report", "r.html"], 0],
    ["a rate-limited run on the virtual clock", ["-n", "200", "-r", "60/min", "-e", "0.02"], 0],
    ["dynamic, with retries, invalidations and a blocked stall", ["--scenario", "dynamic", "-n", "30", "-e", "0.4", "--seed", "8", "--timeout", "3"], 3],
    ["fanout stalled with more blocked works than listed", ["--scenario", "fanout", "-n", "60", "-e", "0.3", "--seed", "2", "--timeout", "3"], 3],
    ["a waiting stall on a rate window", ["-r", "5/60", "--timeout", "5"], 3],
    ["--duration with work left", ["-n", "500", "-c", "2", "-d", "1", "--submit-rate", "400"], 0],
    ["a report that could not be written", ["-n", "5", "--report", "/dev/full"], 4],
  ])("%s", (_name, args, code) => {
    const r = sim(tmp, ["--virtual", "--seed", "1", "--json", ...args]);
    expect(r.code, r.stderr).toBe(code);
    const summary = check(r.stdout);
    expect(summary.exitCode).toBe(code);
  });

  it("a run interrupted during a wait (real clock)", async () => {
    const r = await interrupted(tmp, ["-r", "5/min", "-n", "20", "-l", "20", "--seed", "1", "--json", "-v"], lines(/✓ completed/, 5), 1000);
    expect(r.code).toBe(130);
    const summary = check(r.stdout);
    expect(summary.stall).not.toBeNull();
  });

  it("the check fails on what the old summary did (so it can fail)", () => {
    const good = JSON.parse(sim(tmp, ["--virtual", "--seed", "1", "--json", "-n", "5"]).stdout) as Record<string, unknown>;
    expect(validate(good)).toBe(true);
    const bad: Record<string, unknown>[] = [
      { ...good, version: undefined },
      { ...good, durationMs: 2001.268310546875 },
      { ...good, stall: undefined },
      { ...good, throughput: 1.07 },
      { ...good, services: [{ ...(good.services as Record<string, unknown>[])[0], busySeconds: 19.897 }] },
      { ...good, config: { ...(good.config as Record<string, unknown>), timeoutSeconds: null } },
    ].map((b) => JSON.parse(JSON.stringify(b)) as Record<string, unknown>);
    for (const b of bad) expect(validate(b), JSON.stringify(b).slice(0, 80)).toBe(false);
    expect(unitProblems({ ...good, realMs: 12.5 })).toEqual([".realMs = 12.5 is not a whole number of ms"]);
  });
});
