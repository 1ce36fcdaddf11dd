// Declared artifacts (issue 10): readiness, "mtime" staleness, transitive rebuild in one run,
// output verification, force.
import { mkdtemp, readFile, rm, utimes, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Cue, file, MissingOutputError, type Work } from "runcue";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "runcue-art-"));
  dirs.push(d);
  return d;
}
/** Sets a file's mtime to `secondsAgo` before now. */
async function age(path: string, secondsAgo: number): Promise<void> {
  const t = Date.now() / 1000 - secondsAgo;
  await utimes(path, t, t);
}

/** The 3-stage pipeline: raw/{n}.txt → a/{n}.txt → b/{n}.txt → report.txt (reads all b). */
function pipeline(root: string, n: number, ran: string[]): Cue {
  const cue = new Cue({ artifacts: { root } });
  cue.task("stage1", { inputs: { src: file("raw/{n}.txt") }, outputs: { out: file("a/{n}.txt") } }, async (work: Work<{ n: number }>) => {
    ran.push(`stage1:${work.params.n}`);
    await writeFile(work.paths.out as string, (await readFile(work.paths.src as string, "utf8")).toUpperCase());
  });
  cue.task("stage2", { inputs: { src: file("a/{n}.txt") }, outputs: { out: file("b/{n}.txt") } }, async (work: Work<{ n: number }>) => {
    ran.push(`stage2:${work.params.n}`);
    await writeFile(work.paths.out as string, `${await readFile(work.paths.src as string, "utf8")}!`);
  });
  cue.task("report", {
    inputs: () => ({ parts: Array.from({ length: n }, (_, i) => file(`b/${i}.txt`)) }),
    outputs: { out: file("report.txt") },
  }, async (work) => {
    ran.push("report");
    const parts = await Promise.all((work.paths.parts as readonly string[]).map((p) => readFile(p, "utf8")));
    await writeFile(work.paths.out as string, parts.join("\n"));
  });
  return cue;
}

async function runPipeline(cue: Cue, n: number, downstreamFirst = true): Promise<void> {
  cue.start();
  const submit = async (task: string, params: object): Promise<void> => void (await cue.submit(task, params));
  if (downstreamFirst) {
    await submit("report", {});
    for (let i = 0; i < n; i++) await submit("stage2", { n: i });
    for (let i = 0; i < n; i++) await submit("stage1", { n: i });
  } else {
    for (let i = 0; i < n; i++) await submit("stage1", { n: i });
    for (let i = 0; i < n; i++) await submit("stage2", { n: i });
    await submit("report", {});
  }
  await cue.idle();
  await cue.stop();
}

describe("a 3-stage pipeline with mtime freshness", () => {
  it("builds everything on the first run, downstream submitted first", async () => {
    const root = await tempDir();
    await mkdir(join(root, "raw"));
    await mkdir(join(root, "a"));
    await mkdir(join(root, "b"));
    for (let i = 0; i < 8; i++) await writeFile(join(root, "raw", `${i}.txt`), `page ${i}`);
    const ran: string[] = [];
    await runPipeline(pipeline(root, 8, ran), 8);
    expect(ran.filter((r) => r.startsWith("stage1"))).toHaveLength(8);
    expect(ran.filter((r) => r.startsWith("stage2"))).toHaveLength(8);
    expect(ran.at(-1)).toBe("report");
    expect(await readFile(join(root, "report.txt"), "utf8")).toContain("PAGE 7!");
  });

  it("rebuilds exactly the touched chains and the report in one run after 5 inputs are touched", async () => {
    const root = await tempDir();
    await mkdir(join(root, "raw"));
    await mkdir(join(root, "a"));
    await mkdir(join(root, "b"));
    for (let i = 0; i < 8; i++) await writeFile(join(root, "raw", `${i}.txt`), `page ${i}`);
    await runPipeline(pipeline(root, 8, []), 8);
    // Everything built is a minute old; 5 inputs are touched now.
    for (const dir of ["raw", "a", "b"]) for (let i = 0; i < 8; i++) await age(join(root, dir, `${i}.txt`), dir === "raw" ? 120 : 60);
    await age(join(root, "report.txt"), 60);
    for (const i of [0, 2, 3, 5, 7]) await writeFile(join(root, "raw", `${i}.txt`), `page ${i} v2`);
    for (const order of [true]) {
      const ran: string[] = [];
      await runPipeline(pipeline(root, 8, ran), 8, order);
      expect(ran.filter((r) => r.startsWith("stage1")).sort()).toEqual(["stage1:0", "stage1:2", "stage1:3", "stage1:5", "stage1:7"]);
      expect(ran.filter((r) => r.startsWith("stage2")).sort()).toEqual(["stage2:0", "stage2:2", "stage2:3", "stage2:5", "stage2:7"]);
      expect(ran.filter((r) => r === "report")).toHaveLength(1);
      expect(await readFile(join(root, "report.txt"), "utf8")).toContain("PAGE 7 V2!");
    }
    // A third run has nothing to do.
    const ran: string[] = [];
    await runPipeline(pipeline(root, 8, ran), 8);
    expect(ran).toEqual([]);
  });
});

describe("output verification", () => {
  it("fails a handler that returns without writing its output with MissingOutputError, retried per policy", async () => {
    const root = await tempDir();
    const cue = new Cue({ artifacts: { root } });
    let calls = 0;
    cue.task("lazy", { outputs: { out: file("out/{id}.txt") }, retry: { attempts: 2, delay: 0 } }, () => {
      calls++;
    });
    cue.start();
    const id = await cue.submit("lazy", { id: "x" });
    const work = await cue.wait(id);
    await cue.stop();
    expect(work.state).toBe("failed");
    expect(work.error).toBeInstanceOf(MissingOutputError);
    expect((work.error as MissingOutputError).code).toBe("ERR_MISSING_OUTPUT");
    expect(work.error?.message).toContain(join(root, "out/x.txt"));
    expect(calls).toBe(2);
  });
});

describe("force", () => {
  it("runs a fresh work when submitted with force: true", async () => {
    const root = await tempDir();
    await writeFile(join(root, "in.txt"), "x");
    await writeFile(join(root, "out.txt"), "y");
    const cue = new Cue({ artifacts: { root } });
    let ran = 0;
    cue.task("copy", { inputs: { src: file("in.txt") }, outputs: { out: file("out.txt") } }, async (work) => {
      ran++;
      await writeFile(work.paths.out as string, "z");
    });
    cue.start();
    expect((await cue.wait(await cue.submit("copy", {}))).skipped).toBe(true);
    expect((await cue.wait(await cue.submit("copy", {}, { force: true }))).skipped).toBe(false);
    await cue.stop();
    expect(ran).toBe(1);
  });
});

describe("worker tasks", () => {
  it("hand the worker module work.paths, and verify the outputs it wrote", async () => {
    const root = await tempDir();
    const module = join(root, "worker.mjs");
    await writeFile(module, `import { writeFile } from "node:fs/promises";
export default async function (work) { await writeFile(work.paths.out, "from " + work.paths.src); return work.paths.out; }`);
    await writeFile(join(root, "in.txt"), "x");
    const cue = new Cue({ artifacts: { root } });
    cue.task("w", { worker: module, inputs: { src: file("in.txt") }, outputs: { out: file("out/{n}.txt") } });
    await mkdir(join(root, "out"));
    cue.start();
    const work = await cue.wait(await cue.submit("w", { n: 1 }));
    await cue.stop();
    expect(work.state).toBe("completed");
    expect(work.result).toBe(join(root, "out/1.txt"));
    expect(await readFile(join(root, "out/1.txt"), "utf8")).toBe(`from ${join(root, "in.txt")}`);
  });
});
