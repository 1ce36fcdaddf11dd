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

/** `make -n all`: the rules whose recipe (`touch <targets>`) make would run, by their first target, in its order. */
function makeN(dir: string): string[] {
  const r = spawnSync(MAKE, ["-r", "-R", "-n", "-C", dir, "all"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make -n failed (${r.status}): ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l.startsWith("touch ")).map((l) => l.slice("touch ".length).trim().split(" ")[0]!);
}

/**
 * Really runs `make all` on a copy of `dir` (cp -a keeps the times): the rules whose recipe ran,
 * by first target. `make -n` cannot stand in for this with grouped targets (`a b &: x`): when
 * the group is remade because `b` is missing, a dry run does not treat `a` as updated, so it
 * leaves out `a`'s dependants, which the real run then remakes.
 */
function makeRun(dir: string): string[] {
  const copy = `${dir}-make`;
  try {
    const cp = spawnSync("cp", ["-a", dir, copy], { encoding: "utf8" });
    if (cp.status !== 0) throw new Error(`cp failed: ${cp.stderr}`);
    const r = spawnSync(MAKE, ["-r", "-R", "-C", copy, "all"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`make failed (${r.status}): ${r.stderr}`);
    return r.stdout.split("\n").filter((l) => l.startsWith("touch ")).map((l) => l.slice("touch ".length).trim().split(" ")[0]!);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
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
// Random DAGs: sources and rules; the set of rules runcue runs in ONE pass is what `make all`
// runs (and `make -n all` names, for rules with one target each).

interface Rule {
  /** Indices into the node list (sources first, then each earlier rule's outputs). */
  deps: number[];
  /** Two outputs (a Make grouped target, `a b &: deps`) instead of one. */
  two: boolean;
}

interface Dag {
  sources: number;
  rules: Rule[];
}

/** The DAG's files: `src<k>`, then per rule `out<j>` (and `out<j>b`), in rule order. */
function nodesOf(dag: Dag): { names: string[]; outputsOf: number[][] } {
  const names = Array.from({ length: dag.sources }, (_, k) => `src${k}`);
  const outputsOf = dag.rules.map((r, j) => {
    const mine = r.two ? [`out${j}`, `out${j}b`] : [`out${j}`];
    names.push(...mine);
    return mine.map((_, k) => names.length - mine.length + k);
  });
  return { names, outputsOf };
}

const dagArb: fc.Arbitrary<Dag> = fc
  .record({ sources: fc.integer({ min: 1, max: 4 }), two: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }) })
  .chain(({ sources, two }) => {
    // Rule i may read any source or any output of rules before it.
    let before = sources;
    const deps = two.map((t) => {
      const arb = fc.uniqueArray(fc.integer({ min: 0, max: before - 1 }), { minLength: 1, maxLength: 3 });
      before += t ? 2 : 1;
      return arb;
    });
    return fc.tuple(...deps).map((d) => ({ sources, rules: d.map((deps, i) => ({ deps, two: two[i]! })) }));
  });

/** A DAG, the touches applied to its built state, the outputs deleted, and the order the rules are submitted in. */
const scenarioArb = dagArb.chain((dag) => {
  const { names, outputsOf } = nodesOf(dag);
  const nodes = names.length;
  const outputs = outputsOf.flat();
  return fc.record({
    dag: fc.constant(dag),
    // Each touched node gets a distinct time: some before the built state (a restored older file), most after.
    touched: fc.uniqueArray(fc.integer({ min: 0, max: nodes - 1 }), { maxLength: nodes }),
    touchTimes: fc.shuffledSubarray(Array.from({ length: 3 * nodes }, (_, i) => i - nodes), { minLength: nodes, maxLength: nodes }),
    deleted: fc.uniqueArray(fc.constantFrom(...outputs), { maxLength: 2 }),
    order: fc.shuffledSubarray(Array.from({ length: dag.rules.length }, (_, i) => i), { minLength: dag.rules.length, maxLength: dag.rules.length }),
  });
});

describe.skipIf(!hasMake)("mtime freshness over random DAGs: one pass rebuilds exactly what make rebuilds", () => {
  it("random DAGs (rules with one or two outputs), random touches and deleted outputs, submitted in random order before start(); cue.plan() predicts the same", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ dag, touched, touchTimes, deleted, order }) => {
        const dir = tempDir();
        try {
          const { names, outputsOf } = nodesOf(dag);
          const nodes = names.length;
          // The built state: every node in order (sources, then each rule's outputs), two seconds
          // apart, so all is up to date; touches land on odd seconds, so no two files share a time.
          const times = Array.from({ length: nodes }, (_, n) => 1000 + 2 * n);
          touched.forEach((n, k) => (times[n] = 1001 + 2 * touchTimes[k]!));
          for (let n = 0; n < nodes; n++) place(dir, names[n]!, times[n]!);
          for (const n of deleted) rmSync(join(dir, names[n]!));
          const rules = dag.rules.map((r, j) => ({ targets: outputsOf[j]!.map((n) => names[n]!), deps: r.deps.map((d) => names[d]!) }));
          // `&:` (grouped targets, GNU Make 4.3): one recipe makes both; make -n prints it once.
          writeFileSync(
            join(dir, "Makefile"),
            [".PHONY: all", `all: ${rules.flatMap((r) => r.targets).join(" ")}`, ...rules.map((r) => `${r.targets.join(" ")} ${r.targets.length > 1 ? "&:" : ":"} ${r.deps.join(" ")}\n\ttouch ${r.targets.join(" ")}`)].join("\n") + "\n",
          );
          const expected = makeRun(dir).sort();
          // Without grouped targets, make's dry run names the same rules (the oracle the issue names).
          if (rules.every((r) => r.targets.length === 1)) expect(makeN(dir).sort()).toEqual(expected);

          const cue = new Cue({ artifacts: { freshness: "mtime" } });
          const ran: string[] = [];
          const tasks = rules.map((r, i) =>
            cue.task(`rule${i}`, {
              inputs: Object.fromEntries(r.deps.map((d, k) => [`in${k}`, file(join(dir, d))])),
              outputs: Object.fromEntries(r.targets.map((t, k) => [`out${k}`, file(join(dir, t))])),
            }, () => {
              ran.push(r.targets[0]!);
              for (const t of r.targets) writeFileSync(join(dir, t), "made\n");
            }),
          );
          // The dry run first: cue.plan() must name the same works as make.
          const plan = await cue.plan(order.map((i) => [tasks[i]!, {}] as const));
          const planned = plan.filter((e) => e.verdict === "run").map((e) => rules[Number(e.task.slice("rule".length))]!.targets[0]!).sort();
          for (const i of order) await tasks[i]!.submit({});
          cue.start();
          await cue.idle();
          await cue.stop();
          const context = `Makefile:\n${rules.map((r) => `${r.targets.join(" ")}: ${r.deps.join(" ")}`).join("\n")}\ntimes ${JSON.stringify(Object.fromEntries(names.map((n, k) => [n, times[k]])))}, deleted ${JSON.stringify(deleted.map((n) => names[n]))}, submitted ${JSON.stringify(order)}`;
          expect(planned, `cue.plan() vs make\n${context}`).toEqual(expected);
          expect(plan.filter((e) => e.verdict !== "run").map((e) => e.verdict), context).toEqual(plan.filter((e) => e.verdict !== "run").map(() => "skip"));
          expect(ran.sort(), context).toEqual(expected);
          // And the pass converged: make now finds everything up to date.
          const targets = rules.flatMap((r) => r.targets);
          expect(makeQ(dir, targets), context).toBe(0);
          for (const t of targets) expect(existsSync(join(dir, t))).toBe(true);
        } finally {
          rmSync(dirs.pop()!, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
