// Cron schedules (issue 11): runcue's ticks against croner's own answers, daylight saving in a
// real zone on the virtual clock, bad expressions and zones, croner as an optional peer
// dependency, and one real-clock test.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cron } from "croner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError, Cue, systemClock, VirtualClock, type TickEvent } from "runcue";
import { DAY, HOUR, iso, recordedCue, SECOND, T0, times } from "./schedule-helpers.js";

/** Runs a cron schedule on a virtual clock from `from` to `to` and returns its tick times. */
async function cronTicks(cron: string, from: number, to: number, tz?: string): Promise<number[]> {
  const clock = new VirtualClock(from);
  const { cue, ticks } = recordedCue(clock);
  cue.schedule("c", tz === undefined ? { task: "t", cron } : { task: "t", cron, tz });
  cue.start();
  await clock.advanceTo(to);
  await cue.stop();
  expect(ticks.every((e) => e.outcome === "submitted" && e.tick.late === 0)).toBe(true);
  return times(ticks);
}

/** croner's own answer, the oracle: every match in (from, to]. */
function oracle(cron: string, from: number, to: number, tz?: string): number[] {
  const job = new Cron(cron, tz === undefined ? {} : { timezone: tz });
  const out: number[] = [];
  for (let at = job.nextRun(new Date(from)); at !== null && at.getTime() <= to; at = job.nextRun(at)) out.push(at.getTime());
  return out;
}

describe("cron: runcue fires exactly when croner says, adding and dropping nothing", () => {
  const cases: [string, string | undefined, number][] = [
    ["*/7 * * * *", undefined, 2 * DAY],
    ["0 9 * * mon-fri", "America/New_York", 60 * DAY],
    ["0 0 L * *", "UTC", 400 * DAY],
    ["30 12 * * 5#2", "Asia/Tokyo", 400 * DAY],
    ["*/20 * * * * *", undefined, HOUR],
    ["15 10 1,15 jan,jul *", "Europe/London", 800 * DAY],
  ];
  for (const [cron, tz, span] of cases) {
    it(`"${cron}"${tz === undefined ? "" : ` in ${tz}`}`, async () => {
      const expected = oracle(cron, T0, T0 + span, tz);
      expect(expected.length).toBeGreaterThan(3);
      expect(await cronTicks(cron, T0, T0 + span, tz)).toEqual(expected);
    });
  }

  it("next() and upcoming() agree with croner's nextRuns()", () => {
    const cue = new Cue({ clock: new VirtualClock(T0) });
    cue.task("t", () => 1);
    const h = cue.schedule("c", { task: "t", cron: "0 3 * * *", tz: "Europe/Berlin" });
    const runs = new Cron("0 3 * * *", { timezone: "Europe/Berlin" }).nextRuns(5, new Date(T0)).map((d) => d.getTime());
    expect(h.upcoming(5)).toEqual(runs);
    expect(h.next()).toBe(runs[0]);
    expect(cue.schedules()[0]).toMatchObject({ cron: "0 3 * * *", tz: "Europe/Berlin", every: undefined, next: runs[0] });
  });
});

describe("daylight saving (Europe/Berlin, 2026): a fixed time in the spring gap runs once at 03:00, a fall-back hour never runs a fixed time twice", () => {
  const berlin = "Europe/Berlin";

  it('spring forward, 29 March: "30 2 * * *" fires once, at 03:00 CEST (01:00Z); the days around at 02:30', async () => {
    const at = await cronTicks("30 2 * * *", Date.parse("2026-03-27T12:00:00Z"), Date.parse("2026-03-31T12:00:00Z"), berlin);
    expect(at.map(iso)).toEqual(["2026-03-28T01:30:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z", "2026-03-31T00:30:00.000Z"]);
    expect(at).toEqual(oracle("30 2 * * *", Date.parse("2026-03-27T12:00:00Z"), Date.parse("2026-03-31T12:00:00Z"), berlin));
  });

  it('spring forward: "0 * * * *" fires 23 times on the local day (02:00 does not exist)', async () => {
    // The local day 29 March: 00:00 CET (23:00Z on the 28th) to 00:00 CEST (22:00Z on the 29th).
    const at = await cronTicks("0 * * * *", Date.parse("2026-03-28T23:00:00Z") - 1, Date.parse("2026-03-29T22:00:00Z") - 1, berlin);
    expect(at).toHaveLength(23);
    expect(at.every((t, i) => i === 0 || t - (at[i - 1] as number) === HOUR)).toBe(true);
  });

  it('fall back, 25 October: "30 2 * * *" fires once (02:30 CEST, 00:30Z), not again at 02:30 CET', async () => {
    const at = await cronTicks("30 2 * * *", Date.parse("2026-10-24T12:00:00Z"), Date.parse("2026-10-26T12:00:00Z"), berlin);
    expect(at.map(iso)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
  });

  it('fall back: "0 * * * *" fires 25 times on the local day, each a distinct hour (both 02:00s)', async () => {
    // 00:00 CEST (22:00Z on the 24th) to 00:00 CET (23:00Z on the 25th).
    const from = Date.parse("2026-10-24T22:00:00Z") - 1;
    const to = Date.parse("2026-10-25T23:00:00Z") - 1;
    const at = await cronTicks("0 * * * *", from, to, berlin);
    expect(at).toHaveLength(25);
    expect(new Set(at).size).toBe(25);
    expect(at).toEqual(oracle("0 * * * *", from, to, berlin));
  });

  it("a whole year of a six-hourly Berlin cron, through both changes, on the virtual clock: 1460 ticks, none twice", async () => {
    const at = await cronTicks("0 */6 * * *", T0, T0 + 365 * DAY, berlin);
    expect(at).toHaveLength(1460);
    expect(new Set(at).size).toBe(1460);
    expect(at).toEqual(oracle("0 */6 * * *", T0, T0 + 365 * DAY, berlin));
  });
});

describe("bad cron input is a ConfigurationError at schedule() naming the value", () => {
  const cue = new Cue({ clock: new VirtualClock(T0) });
  cue.task("t", () => 1);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["a minute out of range", { cron: "61 * * * *" }, /Invalid cron for schedule "x": "61 \* \* \* \*" \(CronPattern: Invalid value for minute: 61/],
    ["three fields", { cron: "* * *" }, /Invalid cron for schedule "x": "\* \* \*"/],
    ["seven fields (years are not accepted)", { cron: "0 0 0 * * * 2027" }, /Invalid cron for schedule "x": "0 0 0 \* \* \* 2027"/],
    ["not a string", { cron: 5 }, /Invalid cron for schedule "x": 5 \(expected a string of five or six fields/],
    ["an expression that never matches", { cron: "0 0 31 2 *" }, /Invalid cron for schedule "x": "0 0 31 2 \*" matches no time after 2026-01-01T00:00:00.000Z/],
    ["an unknown time zone", { cron: "0 * * * *", tz: "Mars/Olympus_Mons" }, /Unknown time zone for schedule "x": "Mars\/Olympus_Mons"/],
    ["an empty time zone", { cron: "0 * * * *", tz: "" }, /Unknown time zone for schedule "x": ""/],
  ];
  for (const [what, options, message] of cases) {
    it(what, () => {
      expect(() => cue.schedule("x", { task: "t", ...options } as never)).toThrow(ConfigurationError);
      expect(() => cue.schedule("x", { task: "t", ...options } as never)).toThrow(message);
    });
  }
});

describe("croner is an optional peer dependency", () => {
  const root = fileURLToPath(new URL("../../..", import.meta.url));
  const tsxCli = createRequire(join(root, "package.json")).resolve("tsx/cli");
  const dir = mkdtempSync(join(tmpdir(), "runcue-no-croner-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a probe against a copy of runcue's source outside the repository (no node_modules above it). */
  function probe(withCroner: boolean): Promise<{ stdout: string; stderr: string }> {
    const copy = join(dir, withCroner ? "with" : "without");
    cpSync(fileURLToPath(new URL("../src", import.meta.url)), join(copy, "src"), { recursive: true });
    writeFileSync(join(copy, "package.json"), JSON.stringify({ type: "module" }));
    if (withCroner) {
      mkdirSync(join(copy, "node_modules"));
      symlinkSync(dirname(createRequire(join(root, "package.json")).resolve("croner/package.json")), join(copy, "node_modules", "croner"));
    }
    writeFileSync(join(copy, "probe.ts"), [
      'import { Cue, VirtualClock } from "./src/index.js";',
      "const cue = new Cue({ clock: new VirtualClock(0) });",
      'cue.task("t", () => 1);',
      'cue.schedule("every", { task: "t", every: "1m" });',
      'console.log("every ok");',
      "try {",
      '  const h = cue.schedule("nightly", { task: "t", cron: "0 3 * * *", tz: "UTC" });',
      '  console.log("cron ok", new Date(h.next()!).toISOString());',
      "} catch (error) {",
      "  const e = error as Error & { code?: string };",
      "  console.log(`${e.name} ${e.code}: ${e.message}`);",
      "}",
    ].join("\n"));
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [tsxCli, join(copy, "probe.ts")], { cwd: copy, encoding: "utf8", env: { ...process.env, NODE_PATH: "" } }, (error, stdout, stderr) => {
        if (error) reject(new Error(`probe failed: ${error.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      });
    });
  }

  // Both at once: each is mostly tsx starting up.
  let without: { stdout: string; stderr: string };
  let withCroner: { stdout: string; stderr: string };
  beforeAll(async () => {
    [without, withCroner] = await Promise.all([probe(false), probe(true)]);
  }, 30_000);

  it("without croner installed: every works, and cron is one ConfigurationError naming the package", () => {
    expect(without.stderr).toBe("");
    expect(without.stdout.trim().split("\n")).toEqual([
      "every ok",
      'ConfigurationError ERR_INVALID_OPTION: Cron schedules need the "croner" package, an optional peer dependency of runcue that is not installed: run `npm install croner` (schedule "nightly", cron "0 3 * * *"; or use `every`)',
    ]);
  });

  it("with croner installed beside it, the same code schedules the cron", () => {
    expect(withCroner.stderr).toBe("");
    expect(withCroner.stdout.trim().split("\n")).toEqual(["every ok", "cron ok 1970-01-01T03:00:00.000Z"]);
  });
});

describe("on the system clock", () => {
  it('a "1s" schedule fires about once a second, on whole seconds, never early', async () => {
    const cue = new Cue({ clock: systemClock });
    cue.task("t", () => 1);
    const seen: { tick: TickEvent["tick"]; at: number }[] = [];
    const two = new Promise<void>((resolve) => {
      cue.on("tick", ({ tick }) => {
        seen.push({ tick, at: systemClock.now() });
        if (seen.length === 2) resolve();
      });
    });
    cue.schedule("s", { task: "t", every: "1s" });
    cue.start();
    try {
      await two;
    } finally {
      await cue.stop();
    }
    const at = seen.map((s) => s.tick.scheduledAt);
    expect(at.every((t) => t % SECOND === 0)).toBe(true);
    expect(at[1]! - at[0]!).toBe(SECOND);
    for (const s of seen) {
      expect(s.at).toBeGreaterThanOrEqual(s.tick.scheduledAt);
      expect(s.tick.late).toBeGreaterThanOrEqual(0);
      expect(s.tick.late).toBeLessThan(250); // a shared machine may be slow, but not a quarter second per tick
    }
  }, 10_000);
});
