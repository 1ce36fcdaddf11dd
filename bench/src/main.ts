/**
 * runcue's benchmark suite: every case runs runcue and the libraries users would pick instead on
 * the same workload, in this run, and prints the medians, the ratios to runcue and the targets of
 * issue 4.
 *
 *   npm run bench                       every case, full sizes → bench/results/latest.{json,md}
 *   npm run bench -- --quick            every case, small sizes (CI) → bench/results/quick.{json,md}
 *   npm run bench -- --case latency     some cases (comma-separated) → bench/results/partial.{json,md}
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { artifactsCase } from "./cases/artifacts.js";
import { blockedCase } from "./cases/blocked.js";
import { http429Case } from "./cases/http429.js";
import { latencyCase } from "./cases/latency.js";
import { memoryCase } from "./cases/memory.js";
import { perkeyCase } from "./cases/perkey.js";
import { pipelineCase } from "./cases/pipeline.js";
import { rateCase } from "./cases/rate.js";
import { redisCase } from "./cases/redis.js";
import { scaleCase } from "./cases/scale.js";
import { throughputCase } from "./cases/throughput.js";
import { workersCase } from "./cases/workers.js";
import { verdict, type BenchCase, type CaseContext, type CaseResult } from "./lib/case.js";
import { benchDir, environment, type Environment } from "./lib/env.js";
import { redisConnection } from "./lib/redis.js";
import { keepLibrariesAlive } from "./lib/sentinels.js";
import { renderMarkdown, renderTargets, renderText } from "./lib/table.js";
import { gcAvailable, now } from "./lib/time.js";
import { observeCase } from "./cases/observe.js";

const CASES: readonly BenchCase[] = [throughputCase, scaleCase, blockedCase, pipelineCase, latencyCase, rateCase, memoryCase, workersCase, http429Case, perkeyCase, artifactsCase, redisCase, observeCase];

const USAGE = `Usage: npm run bench -- [--quick] [--case NAME[,NAME...]] [--quiet]
  --quick   small sizes, one or two rounds (the whole suite in under a minute)
  --case    run only these cases: ${CASES.map((c) => c.id).join(", ")}
  --quiet   no progress lines on stderr`;

interface Results {
  environment: Environment;
  cases: string[];
  durationMs: number;
  results: CaseResult[];
}

function markdown(results: Results): string {
  const env = results.environment;
  const lines = [
    `# runcue benchmark results${env.quick ? " (quick)" : ""}`,
    "",
    `${env.date} · Node ${env.node} · ${env.cpuModel} × ${env.cpuCount} · ${env.platform} · commit ${env.commit}${env.runcueSourceDirty ? " (runcue sources modified)" : ""}${env.quick ? " · **quick run: small sizes, figures are indicative only**" : ""}`,
    "",
    `Libraries: ${Object.entries(env.libraries).map(([name, version]) => `${name} ${version}`).join(", ")}. BullMQ ${env.redis ? "included (Redis)" : "skipped (no REDIS_URL)"}.`,
    "",
    "Every figure is a median of interleaved rounds in this one run; ratios compare libraries measured side by side.",
    "",
  ];
  for (const result of results.results) {
    lines.push(`## ${result.title}`, "");
    for (const table of result.tables) lines.push(renderMarkdown(table), "");
    if (result.targets.length > 0) lines.push("Targets:", "", renderTargets(result.targets, true), "");
    for (const note of result.notes) lines.push(`> ${note}`, "");
  }
  const all = results.results.flatMap((r) => r.targets.map((t) => ({ case: r.title, ...t })));
  if (all.length > 0) {
    lines.push("## Summary of targets", "", "| case | target | figure | |", "| :--- | :--- | :--- | :--- |");
    for (const t of all) lines.push(`| ${t.case} | ${t.requirement} | ${t.figure.replaceAll("|", "\\|")} | ${verdict(t.pass)} |`);
    lines.push("");
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, case: { type: "string" }, quiet: { type: "boolean", default: false }, help: { type: "boolean", default: false } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const wanted = values.case?.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = wanted?.filter((id) => !CASES.some((c) => c.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`Unknown case: ${unknown.join(", ")} (known: ${CASES.map((c) => c.id).join(", ")})`);
  const selected = wanted ? CASES.filter((c) => wanted.includes(c.id)) : CASES;
  const quick = values.quick;
  const redis = redisConnection();
  if (!gcAvailable()) console.error("note: run with --expose-gc (npm run bench does) so rounds start from a collected heap.");
  const env = environment(quick, redis !== undefined, gcAvailable());
  const ctx: CaseContext = { quick, redis, log: values.quiet ? () => undefined : (message) => console.error(`  … ${message}`) };
  console.log(`runcue bench${quick ? " --quick" : ""}: Node ${env.node}, ${env.cpuModel} × ${env.cpuCount}, ${Object.entries(env.libraries).map(([n, v]) => `${n} ${v}`).join(", ")}`);
  if (!redis) console.log("BullMQ cases skipped: REDIS_URL is not set.");
  const t0 = now();
  await keepLibrariesAlive();
  const results: CaseResult[] = [];
  for (const c of selected) {
    const c0 = now();
    console.log(`\n=== ${c.title} ===`);
    const result = await c.run(ctx);
    results.push(result);
    for (const table of result.tables) console.log(`\n${renderText(table)}`);
    if (result.targets.length > 0) console.log(`\n${renderTargets(result.targets, false)}`);
    for (const note of result.notes) console.log(`  note: ${note}`);
    console.log(`  (${((now() - c0) / 1000).toFixed(1)} s)`);
  }
  const out: Results = { environment: env, cases: selected.map((c) => c.id), durationMs: Math.round(now() - t0), results };
  const base = wanted ? "partial" : quick ? "quick" : "latest";
  const dir = path.join(benchDir, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${base}.json`), `${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(path.join(dir, `${base}.md`), markdown(out));
  const targets = results.flatMap((r) => r.targets);
  const missed = targets.filter((t) => !t.pass).length;
  console.log(`\n${targets.length - missed}/${targets.length} targets met${missed ? `, ${missed} missed` : ""}. ${(out.durationMs / 1000).toFixed(1)} s. Wrote bench/results/${base}.json and ${base}.md`);
}

try {
  await main();
  // Libraries may leave timers or sockets behind after their runs; the suite is done.
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
