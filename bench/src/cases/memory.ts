/** Case 7: heap per pending job, and whether completed jobs leave anything behind. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { target, type BenchCase, type CaseResult } from "../lib/case.js";
import { median } from "../lib/stats.js";
import { formatBytes, formatCount, formatRatio, type Table } from "../lib/table.js";

const MAX_BYTES_PER_PENDING = 400;
/** Growth between the two completed counts that still counts as flat: 1 MiB of noise, or 5 %. */
const FLAT_ABSOLUTE = 1024 * 1024;
const FLAT_RELATIVE = 0.05;

const CHILD = fileURLToPath(new URL("../children/memory.ts", import.meta.url));

/** Runs the memory child with a fresh heap and parses the JSON line it prints. */
function child<T>(args: readonly string[]): Promise<T> {
  const execArgv = process.execArgv.includes("--expose-gc") ? process.execArgv : [...process.execArgv, "--expose-gc"];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...execArgv, "--max-old-space-size=4096", CHILD, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    proc.on("error", reject);
    proc.on("close", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || line === "") {
        reject(new Error(`memory child ${args.join(" ")} exited with ${String(code)}: ${out}`));
        return;
      }
      resolve(JSON.parse(line) as T);
    });
  });
}

interface Pending {
  bytesPerJob: number;
  queued: number;
}

interface Completed {
  heaps: Record<string, number>;
  retained: number;
}

export const memoryCase: BenchCase = {
  id: "memory",
  title: "7. Memory",
  async run(ctx): Promise<CaseResult> {
    const pendingJobs = ctx.quick ? 100_000 : 1_000_000;
    const [fewer, more] = ctx.quick ? [10_000, 100_000] : [100_000, 1_000_000];
    const rounds = ctx.quick ? 1 : 3;
    const pendingLibs = ["runcue", "p-queue", "fastq", "p-limit", "raw: semaphore (lean, callbacks)"];
    const completedLibs = ["runcue", "p-queue", "fastq"];
    const pending = new Map<string, Pending[]>(pendingLibs.map((l) => [l, []]));
    const completed = new Map<string, Completed[]>(completedLibs.map((l) => [l, []]));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < pendingLibs.length; k++) {
        const lib = pendingLibs[(round + k) % pendingLibs.length]!;
        const r = await child<Pending>(["pending", lib, String(pendingJobs)]);
        if (r.queued !== pendingJobs) throw new Error(`${lib}: ${r.queued} queued, expected ${pendingJobs}`);
        ctx.log(`memory pending ${lib} round ${round + 1}: ${formatBytes(r.bytesPerJob)}/job`);
        pending.get(lib)!.push(r);
      }
      for (let k = 0; k < completedLibs.length; k++) {
        const lib = completedLibs[(round + k) % completedLibs.length]!;
        const r = await child<Completed>(["completed", lib, String(fewer), String(more)]);
        ctx.log(`memory completed ${lib} round ${round + 1}: ${formatBytes(r.heaps[String(fewer)]!)} → ${formatBytes(r.heaps[String(more)]!)}`);
        completed.get(lib)!.push(r);
      }
    }
    const perJob = (lib: string): number => median(pending.get(lib)!.map((r) => r.bytesPerJob));
    const heapAt = (lib: string, n: number): number => median(completed.get(lib)!.map((r) => r.heaps[String(n)]!));
    const runcuePerJob = perJob("runcue");
    const pendingTable: Table = {
      title: "Memory: heap per pending job",
      workload: `Each library gets ${formatCount(pendingJobs)} jobs queued that cannot start yet (runcue: submitted before start(); p-queue: autoStart false; fastq: paused; p-limit and the semaphore: slots held by never-ending jobs), measured in a fresh child process as heap used after a full GC minus before, divided by the jobs; p-queue and p-limit jobs are closures over their input (they take functions), runcue and fastq take the input as data; median of ${rounds} round(s).`,
      columns: ["library", "pending jobs", "heap per job", "vs runcue"],
      rows: pendingLibs.map((lib) => [lib, formatCount(pendingJobs), formatBytes(perJob(lib)), formatRatio(perJob(lib) / runcuePerJob)]),
    };
    const flat = (lib: string): boolean => heapAt(lib, more) - heapAt(lib, fewer) <= Math.max(FLAT_ABSOLUTE, FLAT_RELATIVE * heapAt(lib, fewer));
    const completedTable: Table = {
      title: "Memory: heap after completed jobs",
      workload: `One long-lived limiter (runcue with the default maxFinished of 10,000) runs no-op jobs in batches of 100k, 100 at a time; heap used after a full GC once ${formatCount(fewer)} and once ${formatCount(more)} jobs have completed, in a fresh child process; median of ${rounds} round(s).`,
      columns: ["library", `heap after ${formatCount(fewer)}`, `heap after ${formatCount(more)}`, "growth", "finished works kept"],
      rows: completedLibs.map((lib) => [
        lib,
        formatBytes(heapAt(lib, fewer)),
        formatBytes(heapAt(lib, more)),
        formatBytes(heapAt(lib, more) - heapAt(lib, fewer)),
        lib === "runcue" ? formatCount(median(completed.get(lib)!.map((r) => r.retained))) : "–",
      ]),
    };
    return {
      id: this.id,
      title: this.title,
      tables: [pendingTable, completedTable],
      targets: [
        target(`runcue heap per pending job ≤ ${MAX_BYTES_PER_PENDING} B`, `${formatBytes(runcuePerJob)} with ${formatCount(pendingJobs)} pending`, runcuePerJob <= MAX_BYTES_PER_PENDING),
        target(
          `runcue heap does not grow with the number completed (${formatCount(fewer)} → ${formatCount(more)}; flat = within 1 MiB or 5 %)`,
          `${formatBytes(heapAt("runcue", fewer))} → ${formatBytes(heapAt("runcue", more))}`,
          flat("runcue"),
        ),
      ],
      notes: [],
      data: { pendingJobs, pending: Object.fromEntries(pending), completed: Object.fromEntries(completed) },
    };
  },
};
