// Declared artifacts (issue 10): bad input, static checks, block reasons, explain and plan.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { artifact, ConfigurationError, Cue, dir, file, glob, type Work } from "runcue";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "runcue-checks-"));
  dirs.push(d);
  return d;
}
const noop = (): undefined => undefined;

describe("bad declarations are ConfigurationErrors naming the value", () => {
  it("rejects a template placeholder that is not a param, listing the params", async () => {
    const cue = new Cue({ artifacts: { root: await tempDir() } });
    cue.task("t", { outputs: { out: file("out/{page}.txt") } }, noop);
    await expect(cue.submit("t", { pg: 1 })).rejects.toThrow(/placeholder \{page\}, which is not a param \(params: pg\)/);
  });

  it("rejects a relative path escaping the root", async () => {
    const cue = new Cue({ artifacts: { root: await tempDir() } });
    cue.task("t", { outputs: { out: file("{name}.txt") } }, noop);
    await expect(cue.submit("t", { name: "../../etc/x" })).rejects.toThrow(/escapes artifacts.root/);
  });

  it("rejects two tasks declaring the same output template, naming both", () => {
    const cue = new Cue();
    cue.task("a", { outputs: { out: file("text/{page}.txt") } }, noop);
    expect(() => cue.task("b", { outputs: { text: file("text/{n}.txt") } }, noop)).toThrow(expect.objectContaining({ code: "ERR_AMBIGUOUS_PRODUCER", message: expect.stringMatching(/"a" and "b"/) }));
    // Registering the same task again replaces it: not ambiguous with itself.
    expect(() => cue.task("a", { outputs: { out: file("text/{page}.txt") } }, noop)).not.toThrow();
  });

  it("rejects an input equal to the task's own output, and duplicate outputs within a task", () => {
    const cue = new Cue();
    expect(() => cue.task("loop", { inputs: { x: file("a/{i}.txt") }, outputs: { y: file("a/{i}.txt") } }, noop)).toThrow(expect.objectContaining({ code: "ERR_CYCLE" }));
    expect(() => cue.task("twice", { outputs: { x: file("a.txt"), y: file("a.txt") } }, noop)).toThrow(/declares output file:a.txt twice/);
  });

  it("rejects non-descriptors and bad options", () => {
    const cue = new Cue();
    expect(() => cue.task("t", { inputs: { x: "a.txt" as never } }, noop)).toThrow(/expected file\(\), dir\(\), glob\(\), artifact\(\) or value\(\)/);
    expect(() => file("")).toThrow(ConfigurationError);
    expect(() => artifact("row:1", {} as never)).toThrow(/exists/);
    expect(() => new Cue({ artifacts: { freshness: "hash" as never } })).toThrow(/expected "mtime" or "changed"/);
    expect(() => new Cue({ artifacts: { freshnes: "mtime" } as never })).toThrow(/did you mean "freshness"/);
  });
});

describe("cue.check()", () => {
  it("finds cycles, orphan inputs and overlapping outputs from templates", () => {
    const cue = new Cue({ artifacts: { root: "/data" } });
    cue.task("extract", { inputs: { image: file("pages/{page}.png") }, outputs: { text: file("text/{page}.txt") } }, noop);
    cue.task("summarize", { inputs: { texts: glob("text/*.txt") }, outputs: { summary: file("summaries/{doc}.md") } }, noop);
    cue.task("a", { inputs: { x: file("b/{i}.out") }, outputs: { y: file("a/{i}.out") } }, noop);
    cue.task("b", { inputs: { x: file("a/{i}.out") }, outputs: { y: file("b/{i}.out") } }, noop);
    cue.task("special", { outputs: { y: file("summaries/index.md") } }, noop);
    const report = cue.check();
    expect(report.cycles).toEqual([["a", "b"]]);
    expect(report.orphans).toEqual([{ task: "extract", input: "image", artifact: "file:/data/pages/{page}.png" }]);
    expect(report.ambiguous).toEqual([{ artifact: "file:/data/summaries/{doc}.md", tasks: ["summarize", "special"] }]);
  });

  it("throws under strict for a cycle", () => {
    const cue = new Cue({ artifacts: { root: "/data", strict: true } });
    cue.task("a", { inputs: { x: file("b/{i}") }, outputs: { y: file("a/{i}") } }, noop);
    cue.task("b", { inputs: { x: file("a/{i}") }, outputs: { y: file("b/{i}") } }, noop);
    expect(() => cue.check()).toThrow(expect.objectContaining({ code: "ERR_CYCLE", message: expect.stringMatching(/cycle a → b → a/) }));
  });
});

describe("block reasons", () => {
  it("gives no_producer at once, naming the task and params that could produce the input", async () => {
    const root = await tempDir();
    const cue = new Cue({ artifacts: { root } });
    cue.task("extract", { inputs: { image: file("pages/{page}.png") }, outputs: { text: file("text/{page}.txt") } }, noop);
    cue.task("summarize", { inputs: { t: file("text/7.txt") }, outputs: { s: file("s.md") } }, noop);
    cue.start();
    const blocked = cue.once("block");
    await cue.submit("summarize", {});
    expect((await blocked).reason).toBe("no_producer");
    const [info] = cue.debugBlocked();
    expect(info?.reason).toBe("no_producer");
    expect(info?.details).toMatch(/text\/7\.txt.*task "extract" could produce it: submit it with params \{"page":"7"\}/);
    await cue.stop();
  });

  it("gives cycle, with the path, when pending works wait for each other's outputs", async () => {
    const root = await tempDir();
    const cue = new Cue({ artifacts: { root } });
    cue.task("a", { inputs: (p: { i: number }) => ({ x: file(`b/${p.i}`) }), outputs: (p: { i: number }) => ({ y: file(`a/${p.i}`) }) }, noop);
    cue.task("b", { inputs: (p: { i: number }) => ({ x: file(`a/${p.i}`) }), outputs: (p: { i: number }) => ({ y: file(`b/${p.i}`) }) }, noop);
    const reasons: string[] = [];
    cue.on("block", ({ reason }) => void reasons.push(reason));
    cue.start();
    await cue.submit("a", { i: 1 });
    await cue.submit("b", { i: 1 });
    while (!reasons.includes("cycle")) await cue.once("block");
    const cyc = cue.debugBlocked().find((b) => b.reason === "cycle");
    expect(cyc?.details).toMatch(/Waits-for cycle among pending works: (a|b)\(\{"i":1\}\) → (a|b)\(\{"i":1\}\) → (a|b)\(\{"i":1\}\)/);
    await cue.stop();
  });

  it("fails the work under strict instead of leaving it blocked", async () => {
    const root = await tempDir();
    const cue = new Cue({ artifacts: { root, strict: true } });
    cue.task("t", { inputs: { x: file("nowhere.txt") }, outputs: { y: file("y.txt") } }, noop);
    cue.start();
    const work = await cue.wait(await cue.submit("t", {}));
    expect(work.state).toBe("failed");
    expect(work.error).toMatchObject({ code: "ERR_NO_PRODUCER" });
    await cue.stop();
  });
});

describe("dir, glob and artifact descriptors", () => {
  it("judges a dir by its marker and a glob by its matches", async () => {
    const root = await tempDir();
    await mkdir(join(root, "pages"));
    const cue = new Cue({ artifacts: { root } });
    const ran: string[] = [];
    cue.task("tiles", { inputs: { pages: glob("pages/*.png") }, outputs: { out: dir("tiles") } }, async (work) => {
      ran.push("tiles");
      await mkdir(work.paths.out as string, { recursive: true });
      await writeFile(join(work.paths.out as string, ".runcue-done"), "");
    });
    expect((await cue.explain("tiles", {})).verdict).toBe("stuck"); // no page yet, nothing produces one
    await writeFile(join(root, "pages", "1.png"), "p");
    expect(await cue.explain("tiles", {})).toMatchObject({ verdict: "run", reasons: [{ kind: "missing-output" }] });
    cue.start();
    await cue.wait(await cue.submit("tiles", {}));
    expect((await cue.explain("tiles", {})).verdict).toBe("skip");
    await mkdir(join(root, "tiles"), { recursive: true });
    expect(ran).toEqual(["tiles"]);
    await cue.stop();
  });

  it("asks a custom artifact's exists and orders its numeric version against file times", async () => {
    const root = await tempDir();
    await writeFile(join(root, "out.txt"), "x");
    let rowTime = Date.now() - 60_000;
    const cue = new Cue({ artifacts: { root } });
    cue.task("t", { inputs: { row: artifact("row:{id}", { exists: () => true, version: () => rowTime }) }, outputs: { out: file("out.txt") } }, noop);
    expect((await cue.explain("t", { id: 1 })).verdict).toBe("skip");
    rowTime = Date.now() + 60_000;
    expect(await cue.explain("t", { id: 1 })).toMatchObject({ verdict: "run", reasons: [{ kind: "input-newer", artifact: "row:1" }] });
  });
});

describe("cue.explain() and cue.plan()", () => {
  async function fixture(): Promise<{ root: string; cue: Cue; ran: string[] }> {
    const root = await tempDir();
    await mkdir(join(root, "pages"));
    await mkdir(join(root, "text"));
    for (const p of [1, 2, 3]) await writeFile(join(root, "pages", `${p}.png`), `page ${p}`);
    const cue = new Cue({ artifacts: { root } });
    const ran: string[] = [];
    cue.task("extract", { inputs: { image: file("pages/{page}.png") }, outputs: { text: file("text/{page}.txt") } }, async (work: Work<{ page: number }>) => {
      ran.push(`extract:${work.params.page}`);
      await writeFile(work.paths.text as string, "t");
    });
    cue.task("summarize", {
      inputs: (p: { pages: number }) => ({ texts: Array.from({ length: p.pages }, (_, i) => file(`text/${i + 1}.txt`)) }),
      outputs: { summary: file("summary.md") },
    }, async (work) => {
      ran.push("summarize");
      await writeFile(work.paths.summary as string, "s");
    });
    return { root, cue, ran };
  }

  it("explains run, skip, wait and stuck with reasons", async () => {
    const { root, cue } = await fixture();
    expect(await cue.explain("extract", { page: 1 })).toMatchObject({ verdict: "run", reasons: [{ kind: "missing-output", artifact: join(root, "text/1.txt") }] });
    expect(await cue.explain("extract", { page: 9 })).toMatchObject({ verdict: "stuck", reasons: [{ kind: "no-producer" }] });
    await cue.submit("extract", { page: 1 }); // pending (the cue is not started)
    expect(await cue.explain("summarize", { pages: 1 })).toMatchObject({ verdict: "wait", reasons: [{ kind: "producer-pending" }] });
    await writeFile(join(root, "text/2.txt"), "t");
    expect((await cue.explain("extract", { page: 2 })).verdict).toBe("skip");
  });

  it("predicts exactly what a real run then does", async () => {
    const { root, cue, ran } = await fixture();
    await writeFile(join(root, "text/2.txt"), "already");
    const list = [[ "summarize", { pages: 3 } ], [ "extract", { page: 1 } ], [ "extract", { page: 2 } ], [ "extract", { page: 3 } ]] as const;
    const plan = await cue.plan(list);
    expect(plan.map((e) => `${e.task}:${e.verdict}`)).toEqual(["summarize:run", "extract:run", "extract:skip", "extract:run"]);
    cue.start();
    const ids = [];
    for (const [task, params] of list) ids.push(await cue.submit(task, params));
    const works = await Promise.all(ids.map((id) => cue.wait(id)));
    await cue.stop();
    expect(works.map((w) => `${w.task}:${w.skipped ? "skip" : "run"}`)).toEqual(plan.map((e) => `${e.task}:${e.verdict}`));
    expect(ran.sort()).toEqual(["extract:1", "extract:3", "summarize"]);
    // Now everything is fresh: the plan says skip throughout, and so does the run.
    expect((await cue.plan(list)).map((e) => e.verdict)).toEqual(["skip", "skip", "skip", "skip"]);
  });

  it("names an unknown task", async () => {
    await expect(new Cue().explain("nope", {})).rejects.toThrow(/Unknown task: "nope"/);
  });
});

describe("templates and patterns", () => {
  it("fills several placeholders and path functions from params, and resolves against the root", async () => {
    const root = await tempDir();
    const cue = new Cue({ artifacts: { root } });
    let seen: unknown;
    cue.task("t", {
      inputs: { a: file("in/{doc}-{page}.txt"), b: file((p: { doc: string }) => `/abs/${p.doc}.cfg`) },
      outputs: { out: file("out/{doc}/{page}.md") },
      ready: (w) => ((seen = w.paths), true),
      stale: () => false,
    }, noop);
    cue.start();
    await cue.wait(await cue.submit("t", { doc: "q3", page: 7 }));
    await cue.stop();
    expect(seen).toEqual({ a: join(root, "in/q3-7.txt"), b: "/abs/q3.cfg", out: join(root, "out/q3/7.md") });
  });

  it("matches globs with ** across directories, * within one, and ? for one character", async () => {
    const root = await tempDir();
    await mkdir(join(root, "docs/a/b"), { recursive: true });
    const cue = new Cue({ artifacts: { root } });
    cue.task("deep", { inputs: { all: glob("docs/**/*.md") }, outputs: { out: file("deep.out") } }, noop);
    cue.task("flat", { inputs: { top: glob("docs/*.md") }, outputs: { out: file("flat.out") } }, noop);
    cue.task("one", { inputs: { x: glob("docs/?.txt") }, outputs: { out: file("one.out") } }, noop);
    await writeFile(join(root, "docs/a/b/x.md"), "x");
    await writeFile(join(root, "docs/ab.txt"), "x");
    expect((await cue.explain("deep", {})).verdict).toBe("run");
    expect((await cue.explain("flat", {})).verdict).toBe("stuck");
    expect((await cue.explain("one", {})).verdict).toBe("stuck");
    await writeFile(join(root, "docs/top.md"), "x");
    await writeFile(join(root, "docs/c.txt"), "x");
    expect((await cue.explain("flat", {})).verdict).toBe("run");
    expect((await cue.explain("one", {})).verdict).toBe("run");
  });
});
