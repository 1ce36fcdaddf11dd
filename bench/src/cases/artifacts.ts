/**
 * Case 11 (issue 10): declared artifacts beside today's hand-written checks, on real files.
 * A rerun of N completed file works (every one skips), and N works blocked on N distinct missing
 * files of which one is then produced.
 */
import fs, { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, file, type Work } from "runcue";
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { interleave } from "../lib/measure.js";
import { median } from "../lib/stats.js";
import { formatCount, formatMs, formatRatio, type Table } from "../lib/table.js";
import { deferred, now, until } from "../lib/time.js";

/** Files per subdirectory (one directory of 100,000 entries would measure the file system). */
const PER_DIR = 1000;

type Item = { d: number; i: number };
const item = (i: number): Item => ({ d: Math.floor(i / PER_DIR), i });
const inputPath = (root: string, p: Item): string => join(root, `d${p.d}`, `${p.i}.in`);
const outputPath = (root: string, p: Item): string => join(root, `d${p.d}`, `${p.i}.out`);

/** `n` inputs, then `n` outputs written after them (so every output is as new as its input or newer: all fresh). */
function buildTree(n: number): string {
  const root = mkdtempSync(join(tmpdir(), "runcue-bench-artifacts-"));
  for (let d = 0; d * PER_DIR < n; d++) mkdirSync(join(root, `d${d}`));
  for (let i = 0; i < n; i++) writeFileSync(inputPath(root, item(i)), "in");
  for (let i = 0; i < n; i++) writeFileSync(outputPath(root, item(i)), "out");
  return root;
}

// ---------------------------------------------------------------------------------------------
// Counting file-system probes (stat, lstat, access, exists) by path, to see how many readiness
// evaluations a wakeup costs. The builtins' ESM bindings are updated with syncBuiltinESMExports.

let probeFilter: string | undefined;
let probes = 0;
const probed = new Set<string>();
function installProbeCounter(): void {
  const count = (path: unknown): void => {
    if (probeFilter === undefined || !String(path).includes(probeFilter)) return;
    probes++;
    probed.add(String(path));
  };
  const wrap = <T extends (...args: never[]) => unknown>(owner: Record<string, unknown>, name: string): void => {
    const original = owner[name] as T;
    if ((original as { counted?: boolean }).counted) return;
    const wrapped = ((...args: Parameters<T>) => {
      count(args[0]);
      return original(...args);
    }) as unknown as T & { counted: boolean };
    wrapped.counted = true;
    owner[name] = wrapped;
  };
  for (const name of ["stat", "lstat", "access"]) wrap(fs.promises as unknown as Record<string, unknown>, name);
  for (const name of ["stat", "lstat", "access", "statSync", "lstatSync", "accessSync", "existsSync"]) wrap(fs as unknown as Record<string, unknown>, name);
  syncBuiltinESMExports();
}

// ---------------------------------------------------------------------------------------------
// Rerun: every work's output is fresh; time from the first submit to idle.

type Variant = "artifacts-mtime" | "artifacts-changed" | "callback-async" | "callback-sync";
const VARIANTS: [Variant, string][] = [
  ["artifacts-mtime", 'declared artifacts, freshness "mtime"'],
  ["artifacts-changed", 'declared artifacts, freshness "changed" (state file)'],
  ["callback-async", "isReady/isStale with fs.promises.stat"],
  ["callback-sync", "isReady/isStale with existsSync/statSync"],
];

async function rerun(root: string, n: number, variant: Variant): Promise<number> {
  const declared = variant.startsWith("artifacts");
  const cue = declared
    ? new Cue({ artifacts: variant === "artifacts-changed" ? { freshness: "changed", state: join(root, "state.json") } : { freshness: "mtime" } })
    : new Cue();
  let ran = 0;
  let skipped = 0;
  const handler = (): void => {
    ran++;
  };
  const task = declared
    ? cue.task("make", { inputs: { src: file(join(root, "d{d}", "{i}.in")) }, outputs: { out: file(join(root, "d{d}", "{i}.out")) } }, handler)
    : cue.task("make", handler);
  if (variant === "callback-async") {
    cue.isReady((w: Work) => stat(inputPath(root, w.params as Item)).then(() => true, () => false));
    cue.isStale(async (w: Work) => {
      const p = w.params as Item;
      const [input, output] = await Promise.all([stat(inputPath(root, p)), stat(outputPath(root, p)).catch(() => undefined)]);
      return output === undefined || input.mtimeMs > output.mtimeMs;
    });
  } else if (variant === "callback-sync") {
    cue.isReady((w: Work) => existsSync(inputPath(root, w.params as Item)));
    cue.isStale((w: Work) => {
      const p = w.params as Item;
      const output = statSync(outputPath(root, p), { throwIfNoEntry: false });
      return output === undefined || statSync(inputPath(root, p)).mtimeMs > output.mtimeMs;
    });
  }
  cue.onSkip(() => {
    skipped++;
  });
  const t0 = now();
  for (let i = 0; i < n; i++) void task.submit(item(i));
  cue.start();
  await cue.idle();
  const ms = now() - t0;
  await cue.stop();
  if (ran !== 0 || skipped !== n) throw new Error(`${variant}: expected ${n} skips, got ${skipped} skipped and ${ran} ran`);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Blocked: n works wait on n distinct missing files; one producer writes one of them.

/**
 * `parked`: all n producers are pending (n − 1 of them delayed by an hour), so every consumer
 * waits on a pending producer; `orphans`: only the one producer is submitted, so the other
 * consumers' inputs have no pending producer (block reason no_producer); `callback`: a task
 * `ready` check with existsSync, the producer declaring nothing.
 */
type BlockedMode = "parked" | "orphans" | "callback";

interface BlockedRun {
  classifyMs: number;
  /** The producer released → the woken work's complete event. */
  wakeMs: number;
  /** Probes of the missing files' paths in that span (file-system calls, or readiness-check calls for the callback). */
  evaluations: number;
  /** How many distinct missing files (works) those probes were about. */
  distinct: number;
}

async function blockedRun(n: number, mode: BlockedMode): Promise<BlockedRun> {
  const root = mkdtempSync(join(tmpdir(), "runcue-bench-blocked-"));
  try {
    mkdirSync(join(root, "missing"));
    mkdirSync(join(root, "out"));
    const declared = mode !== "callback";
    const cue = declared ? new Cue({ artifacts: { freshness: "mtime" } }) : new Cue();
    const missing = (i: number): string => join(root, "missing", `${i}.txt`);
    const out = (i: number): string => join(root, "out", `${i}.txt`);
    const index = (w: Work): number => (w.params as { i: number }).i;
    const target = n - 1; // the last consumer submitted
    const gate = deferred();
    const produceHandler = async (w: Work): Promise<void> => {
      await gate.promise;
      writeFileSync(missing(index(w)), "x");
    };
    const consume = declared
      ? cue.task("consume", { inputs: { src: file(join(root, "missing", "{i}.txt")) }, outputs: { out: file(join(root, "out", "{i}.txt")) } }, (w: Work) => writeFileSync(out(index(w)), "x"))
      : cue.task("consume", {
        ready: (w) => {
          probes++;
          probed.add(missing(index(w)));
          return existsSync(missing(index(w)));
        },
        stale: (w) => !existsSync(out(index(w))),
      }, (w: Work) => writeFileSync(out(index(w)), "x"));
    const produce = declared
      ? cue.task("produce", { outputs: { file: file(join(root, "missing", "{i}.txt")) } }, produceHandler)
      : cue.task("produce", { stale: (w) => !existsSync(missing(index(w))) }, produceHandler);
    const woken = deferred();
    const blocked = new Set<string>();
    cue.on("block", ({ work }) => {
      if (work.task === "consume") blocked.add(work.id);
    });
    cue.onComplete((w) => {
      if (w.task === "consume") woken.resolve();
    });
    if (mode === "parked") {
      // Every consumer's input has a pending producer; only the target's may run (the others wait an hour).
      void produce.submit({ i: target });
      for (let i = 0; i < n - 1; i++) void produce.submit({ i }, { delay: "1h" });
    } else void produce.submit({ i: target });
    cue.start();
    const c0 = now();
    for (let i = 0; i < n; i++) void consume.submit({ i });
    await until(() => blocked.size === n, `${n} consumers to be blocked`);
    const classifyMs = now() - c0;
    probeFilter = declared ? join(root, "missing") : undefined;
    probes = 0;
    probed.clear();
    const t0 = now();
    gate.resolve();
    await woken.promise;
    const wakeMs = now() - t0;
    const evaluations = probes;
    const distinct = probed.size;
    probeFilter = undefined;
    await cue.stop({ timeout: 0 });
    return { classifyMs, wakeMs, evaluations, distinct };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const BLOCKED_MODES: [BlockedMode, string][] = [
  ["parked", "declared artifacts, every input's producer pending (n − 1 delayed an hour)"],
  ["orphans", "declared artifacts, only the one producer submitted (the rest: no_producer)"],
  ["callback", "task ready: existsSync (the producer declares nothing)"],
];

export const artifactsCase: BenchCase = {
  id: "artifacts",
  title: "11. Declared artifacts",
  async run(ctx): Promise<CaseResult> {
    const n = ctx.quick ? 2_000 : 100_000;
    const blockedN = ctx.quick ? 1_000 : 10_000;
    const rounds = ctx.quick ? 1 : 2;
    installProbeCounter();

    ctx.log(`artifacts: writing ${formatCount(2 * n)} files`);
    const w0 = now();
    const root = buildTree(n);
    const writeMs = now() - w0;
    ctx.log(`artifacts: ${formatCount(2 * n)} files written in ${formatMs(writeMs)}`);
    let rerunSamples: Map<string, number[]>;
    let adoptMs: number;
    try {
      // The "changed" variant's first run records every work's stamps (they are adopted, not run).
      adoptMs = await rerun(root, n, "artifacts-changed");
      ctx.log(`artifacts: first "changed" run (no state yet: adopts ${formatCount(n)} outputs) ${formatMs(adoptMs)}`);
      rerunSamples = await interleave(
        rounds,
        VARIANTS.map(([variant]) => ({ name: variant, run: () => rerun(root, n, variant), warmup: () => rerun(root, Math.min(n, 2_000), variant) })),
        (name, round, ms) => ctx.log(`artifacts rerun ${name} round ${round + 1}: ${formatMs(ms)} (${((now() - w0) / 1000).toFixed(0)} s into the case)`),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    const rerunMed = (v: Variant): number => median(rerunSamples.get(v) as number[]);
    const base = rerunMed("callback-async");
    const rerunTable: Table = {
      title: `Rerun of ${formatCount(n)} completed file works (every one skips)`,
      workload: `${formatCount(n)} works of one task, each reading one file and writing another (${formatCount(2 * n)} files in directories of ${formatCount(PER_DIR)}, every output as new as its input or newer), all submitted before start(), timed from the first submit to idle(); declared artifacts (inputs/outputs templates, runcue stats them) beside today's cue-wide isReady (input exists) and isStale (output missing or older than the input) written with fs.promises.stat and with the synchronous calls; median of ${rounds} interleaved round(s).`,
      columns: ["checks", "median time", "per work", "works/s", "vs isStale with fs.promises.stat"],
      rows: [
        ...VARIANTS.map(([v, label]) => [label, formatMs(rerunMed(v)), `${((rerunMed(v) / n) * 1000).toFixed(2)} µs`, formatCount((n / rerunMed(v)) * 1000), formatRatio(rerunMed(v) / base)]),
        ['declared artifacts, "changed", first run (no state file yet: every output adopted, one run)', formatMs(adoptMs), `${((adoptMs / n) * 1000).toFixed(2)} µs`, formatCount((n / adoptMs) * 1000), formatRatio(adoptMs / base)],
      ],
    };

    // Blocked works: one run per mode and round (the wake is a single event), after an untimed
    // small run of each mode (the first wake after the rerun's large heap was up to 20× slower).
    const blockedRuns = new Map<BlockedMode, BlockedRun[]>(BLOCKED_MODES.map(([m]) => [m, []]));
    for (const [mode] of BLOCKED_MODES) await blockedRun(Math.min(blockedN, 1_000), mode);
    const blockedRounds = ctx.quick ? 1 : 3;
    for (let r = 0; r < blockedRounds; r++) {
      for (const [mode] of BLOCKED_MODES) {
        const run = await blockedRun(blockedN, mode);
        blockedRuns.get(mode)!.push(run);
        ctx.log(`artifacts blocked ${mode} round ${r + 1}: classify ${formatMs(run.classifyMs)}, wake ${formatMs(run.wakeMs)}, ${run.evaluations} evaluations of ${run.distinct} missing files`);
      }
    }
    const med = (mode: BlockedMode, k: keyof BlockedRun): number => median(blockedRuns.get(mode)!.map((x) => x[k]));
    const blockedTable: Table = {
      title: `${formatCount(blockedN)} works blocked on ${formatCount(blockedN)} distinct missing files; one producer writes one of them`,
      workload: `a consume task reads missing/{i}.txt and writes out/{i}.txt; ${formatCount(blockedN)} consume works submitted after start(), timed until each was reported blocked (classify); then the producer of missing/${blockedN - 1}.txt (the last consumer's input), held at a gate until then, writes it, and the time to that consumer's complete event is taken (wake), with the readiness evaluations of missing files meanwhile: file-system probes of their paths (stat, lstat, access, exists: the producer's output check and the consumer's checks count too) for declared artifacts, isReady calls for the callback version (recheck every 100 ms); median of ${blockedRounds} run(s).`,
      columns: ["checks", "classify", "wake", "evaluations during the wake", "missing files evaluated"],
      rows: BLOCKED_MODES.map(([mode, label]) => [label, formatMs(med(mode, "classifyMs")), formatMs(med(mode, "wakeMs")), formatCount(med(mode, "evaluations")), formatCount(med(mode, "distinct"))]),
    };
    const distinct = Math.max(...blockedRuns.get("parked")!.map((x) => x.distinct));
    return {
      id: this.id,
      title: this.title,
      tables: [rerunTable, blockedTable],
      targets: [
        target("declared artifacts: a rerun that skips everything costs no more than the same checks written with fs.promises.stat (≤ 1.0×)", `${formatMs(rerunMed("artifacts-mtime"))} vs ${formatMs(base)} (${formatRatio(rerunMed("artifacts-mtime") / base)})`, rerunMed("artifacts-mtime") <= base),
        target("precise wakeup: one produced file re-screens only the work waiting on it (1 missing file probed during the wake, every round, consumers parked on pending producers)", `${formatCount(distinct)} file(s) in the worst round`, distinct === 1),
      ],
      notes: [
        `Setup, untimed: writing the ${formatCount(2 * n)} files took ${formatMs(writeMs)}.`,
        "Probes are counted by wrapping node:fs (and node:fs/promises) stat, lstat, access and exists calls on the missing files' directory; runcue's own screening of other files is not counted.",
      ],
      data: {
        n,
        blockedN,
        rerunMs: Object.fromEntries(rerunSamples),
        adoptMs,
        writeMs,
        blocked: Object.fromEntries(blockedRuns),
      },
    };
  },
};
