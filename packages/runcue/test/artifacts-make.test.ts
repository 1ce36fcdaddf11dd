// Make parity (issue 10): under `freshness: "mtime"`, runcue's verdict on declared file artifacts
// is GNU Make's. Make is the oracle: every fixture is also written as a Makefile and asked with
// `make -q` (is it up to date?) or `make -n` (what would you rebuild?) on the very same files.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Cue, file, type Work } from "runcue";

const MAKE = "/usr/bin/make";
const hasMake = spawnSync(MAKE, ["--version"], { encoding: "utf8" }).status === 0;

/** Whole seconds well in the past, so a handler writing "now" is newer than every fixture file. */
const BASE = Math.floor(Date.now() / 1000) - 100_000;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "runcue-make-"));
  dirs.push(d);
  return d;
}

/**
 * A file's modification time: whole seconds after BASE (set with utimes), or a
 * `[seconds, nanoseconds]` pair for sub-millisecond differences (set with GNU touch, which takes
 * nanoseconds; Node's utimes takes a double). `null`: the file does not exist.
 */
type Mtime = number | [number, number] | null;

function place(dir: string, name: string, t: Mtime): void {
  const path = join(dir, name);
  if (t === null) return;
  writeFileSync(path, `${name}\n`);
  if (typeof t === "number") utimesSync(path, BASE + t, BASE + t);
  else {
    const stamp = `@${BASE + t[0]}.${String(t[1]).padStart(9, "0")}`;
    const r = spawnSync("touch", ["-m", "-d", stamp, path], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`touch failed: ${r.stderr}`);
  }
}

/** `make -q` on the given targets: 0 = up to date, 1 = needs remaking, 2 = error (no rule for a missing prerequisite). */
function makeQ(dir: string, targets: string[]): number {
  const r = spawnSync(MAKE, ["-r", "-R", "-q", "-C", dir, ...targets], { encoding: "utf8" });
  return r.status ?? -1;
}

/** `make -n all`: the targets whose recipe (`touch <target>`) make would run, in its order. */
function makeN(dir: string): string[] {
  const r = spawnSync(MAKE, ["-r", "-R", "-n", "-C", dir, "all"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make -n failed (${r.status}): ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l.startsWith("touch ")).map((l) => l.slice("touch ".length).trim());
}

interface Fixture {
  name: string;
  inputs: Mtime[];
  outputs: Mtime[];
}

const inName = (i: number): string => `in${i}`;
const outName = (i: number): string => `out${i}`;

/**
 * One rule: `out0 out1 ...: in0 in1 ...` both as a Makefile and as a runcue task on the same
 * files. Returns make's answer, and what runcue says and does.
 */
async function judge(f: Fixture): Promise<{ make: number; explained: string; did: "ran" | "skipped" | "blocked"; blockReason?: string }> {
  const dir = tempDir();
  f.inputs.forEach((t, i) => place(dir, inName(i), t));
  f.outputs.forEach((t, i) => place(dir, outName(i), t));
  const outs = f.outputs.map((_, i) => outName(i));
  const ins = f.inputs.map((_, i) => inName(i));
  writeFileSync(join(dir, "Makefile"), `${outs.join(" ")}: ${ins.join(" ")}\n\ttouch ${outs.join(" ")}\n`);
  const make = makeQ(dir, outs);

  const cue = new Cue({ artifacts: { freshness: "mtime" } });
  let did: "ran" | "skipped" | "blocked" | undefined;
  let blockReason: string | undefined;
  cue.task("rule", {
    inputs: Object.fromEntries(ins.map((n) => [n, file(join(dir, n))])),
    outputs: Object.fromEntries(outs.map((n) => [n, file(join(dir, n))])),
  }, () => {
    for (const n of outs) writeFileSync(join(dir, n), "made\n");
  });
  const explained = (await cue.explain("rule", {})).verdict;
  const settled = new Promise<void>((resolve) => {
    cue.onComplete((w: Work) => {
      did = w.skipped ? "skipped" : "ran";
      resolve();
    });
    cue.onSkip(() => {
      did = "skipped";
      resolve();
    });
    cue.on("block", ({ reason }) => {
      did = "blocked";
      blockReason = reason;
      resolve();
    });
  });
  await cue.submit("rule", {});
  cue.start();
  await settled;
  await cue.stop({ timeout: 0 });
  return { make, explained, did: did!, ...(blockReason !== undefined ? { blockReason } : {}) };
}

/** What make's exit code means in runcue's terms. */
function expectParity(r: Awaited<ReturnType<typeof judge>>, f: Fixture): void {
  const ctx = `${JSON.stringify(f)} → make -q ${r.make}, explain ${r.explained}, run ${r.did}`;
  if (r.make === 0) {
    expect(r.explained, ctx).toBe("skip");
    expect(r.did, ctx).toBe("skipped");
  } else if (r.make === 1) {
    expect(r.explained, ctx).toBe("run");
    expect(r.did, ctx).toBe("ran");
  } else {
    // make: "No rule to make target 'inN'" — an input missing that nothing produces.
    expect(r.make, ctx).toBe(2);
    expect(r.explained, ctx).toBe("stuck");
    expect(r.did, ctx).toBe("blocked");
    expect(r.blockReason, ctx).toBe("no_producer");
  }
}

const FIXTURES: (Fixture & { make: number })[] = [
  { name: "output missing", inputs: [10], outputs: [null], make: 1 },
  { name: "output older than its input", inputs: [20], outputs: [10], make: 1 },
  { name: "output newer than its input", inputs: [10], outputs: [20], make: 0 },
  { name: "equal mtimes (fresh, as in Make)", inputs: [10], outputs: [10], make: 0 },
  { name: "input missing, output present", inputs: [null], outputs: [10], make: 2 },
  { name: "input missing, output missing", inputs: [null], outputs: [null], make: 2 },
  { name: "one of two inputs newer than the output", inputs: [5, 20], outputs: [10], make: 1 },
  { name: "both inputs older than the output", inputs: [5, 9], outputs: [10], make: 0 },
  { name: "one input equal to the output, one older", inputs: [10, 3], outputs: [10], make: 0 },
  { name: "two outputs, one older than the input", inputs: [10], outputs: [20, 5], make: 1 },
  { name: "two outputs, both newer", inputs: [10], outputs: [20, 15], make: 0 },
  { name: "two outputs, one missing", inputs: [10], outputs: [20, null], make: 1 },
  { name: "two outputs, the oldest equal to the newest input", inputs: [10, 4], outputs: [10, 30], make: 0 },
  { name: "input newer by one nanosecond", inputs: [[10, 1]], outputs: [[10, 0]], make: 1 },
  { name: "output newer by one nanosecond", inputs: [[10, 0]], outputs: [[10, 1]], make: 0 },
  { name: "input newer by one microsecond", inputs: [[10, 1000]], outputs: [[10, 0]], make: 1 },
  { name: "equal to the nanosecond", inputs: [[10, 123_456_789]], outputs: [[10, 123_456_789]], make: 0 },
];

describe.skipIf(!hasMake)("mtime freshness: parity with GNU Make", () => {
  it.each(FIXTURES)("$name: make -q says $make, runcue agrees", async (f) => {
    const r = await judge(f);
    expect(r.make, "the fixture's expected make -q exit code (the oracle itself)").toBe(f.make);
    expectParity(r, f);
  });

  it("random single rules (1–3 inputs, 1–3 outputs, times from a narrow range so ties are common): runcue's verdict is make -q's", async () => {
    const mtime = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constant(null) });
    await fc.assert(
      fc.asyncProperty(fc.array(mtime, { minLength: 1, maxLength: 3 }), fc.array(mtime, { minLength: 1, maxLength: 3 }), async (inputs, outputs) => {
        const f = { name: "random", inputs, outputs };
        const r = await judge(f);
        expectParity(r, f);
        rmSync(dirs.pop()!, { recursive: true, force: true });
      }),
      { numRuns: 40 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Random DAGs: sources and rules; the set of rules runcue runs in ONE pass is `make -n all`'s.

interface Dag {
  sources: number;
  /** Rule i reads these nodes: 0..sources-1 are sources, sources+j is rule j's output (j < i). */
  rules: number[][];
}

const dagArb: fc.Arbitrary<Dag> = fc
  .record({ sources: fc.integer({ min: 1, max: 4 }), rules: fc.integer({ min: 1, max: 7 }) })
  .chain(({ sources, rules }) =>
    fc.tuple(...Array.from({ length: rules }, (_, i) => fc.uniqueArray(fc.integer({ min: 0, max: sources + i - 1 }), { minLength: 1, maxLength: 3 }))).map((deps) => ({ sources, rules: deps })),
  );

/** A DAG, the touches applied to its built state, and the order the rules are submitted in. */
const scenarioArb = dagArb.chain((dag) => {
  const nodes = dag.sources + dag.rules.length;
  return fc.record({
    dag: fc.constant(dag),
    // Each touched node gets a distinct time: some before the built state (a restored older file), most after.
    touched: fc.uniqueArray(fc.integer({ min: 0, max: nodes - 1 }), { maxLength: nodes }),
    touchTimes: fc.shuffledSubarray(Array.from({ length: 3 * nodes }, (_, i) => i - nodes), { minLength: nodes, maxLength: nodes }),
    deleted: fc.uniqueArray(fc.integer({ min: 0, max: dag.rules.length - 1 }), { maxLength: 2 }),
    order: fc.shuffledSubarray(Array.from({ length: dag.rules.length }, (_, i) => i), { minLength: dag.rules.length, maxLength: dag.rules.length }),
  });
});

const nodeName = (dag: Dag, n: number): string => (n < dag.sources ? `src${n}` : `out${n - dag.sources}`);

describe.skipIf(!hasMake)("mtime freshness over random DAGs: one pass rebuilds exactly what make -n rebuilds", () => {
  it("random DAGs, random touches and deleted outputs, submitted in random order before start(); cue.plan() predicts the same", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ dag, touched, touchTimes, deleted, order }) => {
        const dir = tempDir();
        try {
          const nodes = dag.sources + dag.rules.length;
          // The built state: every node in topological order, two seconds apart (all up to date);
          // touches land on odd seconds, so no two files share a time.
          const times = Array.from({ length: nodes }, (_, n) => 1000 + 2 * n);
          touched.forEach((n, k) => (times[n] = 1001 + 2 * touchTimes[k]!));
          for (let n = 0; n < nodes; n++) place(dir, nodeName(dag, n), times[n]!);
          for (const r of deleted) rmSync(join(dir, `out${r}`));
          const rules = dag.rules.map((deps, i) => ({ target: `out${i}`, deps: deps.map((d) => nodeName(dag, d)) }));
          writeFileSync(
            join(dir, "Makefile"),
            [".PHONY: all", `all: ${rules.map((r) => r.target).join(" ")}`, ...rules.map((r) => `${r.target}: ${r.deps.join(" ")}\n\ttouch ${r.target}`)].join("\n") + "\n",
          );
          const expected = makeN(dir).sort();

          const cue = new Cue({ artifacts: { freshness: "mtime" } });
          const ran: string[] = [];
          const tasks = rules.map((r, i) =>
            cue.task(`rule${i}`, {
              inputs: Object.fromEntries(r.deps.map((d, k) => [`in${k}`, file(join(dir, d))])),
              outputs: { out: file(join(dir, r.target)) },
            }, () => {
              ran.push(r.target);
              writeFileSync(join(dir, r.target), "made\n");
            }),
          );
          // The dry run first: cue.plan() must name the same works as make -n.
          const plan = await cue.plan(order.map((i) => [tasks[i]!, {}] as const));
          const planned = plan.filter((e) => e.verdict === "run").map((e) => rules[Number(e.task.slice("rule".length))]!.target).sort();
          for (const i of order) await tasks[i]!.submit({});
          cue.start();
          await cue.idle();
          await cue.stop();
          const context = `Makefile:\n${rules.map((r) => `${r.target}: ${r.deps.join(" ")}`).join("\n")}\ntimes ${JSON.stringify(times)}, deleted ${JSON.stringify(deleted.map((r) => `out${r}`))}, submitted ${JSON.stringify(order)}`;
          expect(planned, `cue.plan() vs make -n\n${context}`).toEqual(expected);
          expect(plan.filter((e) => e.verdict !== "run").map((e) => e.verdict), context).toEqual(plan.filter((e) => e.verdict !== "run").map(() => "skip"));
          expect(ran.sort(), context).toEqual(expected);
          // And the pass converged: make now finds everything up to date.
          expect(makeQ(dir, rules.map((r) => r.target)), context).toBe(0);
          for (const r of rules) expect(existsSync(join(dir, r.target))).toBe(true);
        } finally {
          rmSync(dirs.pop()!, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
