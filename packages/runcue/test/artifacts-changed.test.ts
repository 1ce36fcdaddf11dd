// Declared artifacts under `freshness: "changed"` (issue 10): recorded stamps catch what mtimes miss.
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Cue, file, value, type Freshness } from "runcue";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "runcue-changed-"));
  dirs.push(d);
  return d;
}

/** One run of a copy task (in.txt → out.txt) in a fresh cue over the same files; returns whether it ran. */
async function run(root: string, freshness: Freshness, opts: { version?: string; model?: string } = {}): Promise<boolean> {
  const cue = new Cue({ artifacts: { root, freshness, ...(freshness === "changed" ? { state: ".runcue/state.json" } : {}) } });
  let ran = false;
  cue.task("copy", {
    inputs: (p: { model: string }) => ({ src: file("in.txt"), model: value(p.model) }),
    outputs: { out: file("out.txt") },
    ...(opts.version === undefined ? {} : { version: opts.version }),
  }, async (work) => {
    ran = true;
    await writeFile(work.paths.out as string, (await readFile(work.paths.src as string, "utf8")).toUpperCase());
  });
  cue.start();
  const work = await cue.wait(await cue.submit("copy", { model: opts.model ?? "m1" }));
  await cue.stop();
  expect(work.state).toBe("completed");
  return ran;
}

async function setup(): Promise<string> {
  const root = await tempDir();
  await writeFile(join(root, "in.txt"), "hello");
  return root;
}

describe('"changed" freshness', () => {
  it("runs once, then skips while nothing changed, and keeps stamps across cues in the state file", async () => {
    const root = await setup();
    expect(await run(root, "changed")).toBe(true);
    expect(await run(root, "changed")).toBe(false);
    const state = JSON.parse(await readFile(join(root, ".runcue/state.json"), "utf8")) as { works: Record<string, unknown> };
    expect(Object.keys(state.works)).toHaveLength(1);
  });

  it("catches a rewrite within the same mtime tick as the output, which mtime mode calls fresh", async () => {
    for (const mode of ["mtime", "changed"] as const) {
      const root = await setup();
      expect(await run(root, mode)).toBe(true);
      await writeFile(join(root, "in.txt"), "world"); // same size, new content
      const t = new Date(Math.floor(Date.now() / 1000) * 1000 + 5000);
      await utimes(join(root, "in.txt"), t, t); // the same tick as the output
      await utimes(join(root, "out.txt"), t, t);
      expect(await run(root, mode)).toBe(mode === "changed");
    }
  });

  it("ignores a touch without a change, which mtime mode reruns", async () => {
    for (const mode of ["mtime", "changed"] as const) {
      const root = await setup();
      expect(await run(root, mode)).toBe(true);
      const later = new Date(Date.now() + 60_000);
      await utimes(join(root, "in.txt"), later, later);
      expect(await run(root, mode)).toBe(mode === "mtime");
      // The touch was adopted: still fresh the next time.
      if (mode === "changed") expect(await run(root, mode)).toBe(false);
    }
  });

  it("reruns when an input file is restored to an older version", async () => {
    const root = await setup();
    expect(await run(root, "changed")).toBe(true);
    await writeFile(join(root, "in.txt"), "older!");
    const old = new Date(Date.now() - 3_600_000);
    await utimes(join(root, "in.txt"), old, old);
    expect(await run(root, "changed")).toBe(true);
  });

  it("reruns when the task's version or a value input changes", async () => {
    const root = await setup();
    expect(await run(root, "changed", { version: "1" })).toBe(true);
    expect(await run(root, "changed", { version: "1" })).toBe(false);
    expect(await run(root, "changed", { version: "2" })).toBe(true);
    expect(await run(root, "changed", { version: "2", model: "m2" })).toBe(true);
    expect(await run(root, "changed", { version: "2", model: "m2" })).toBe(false);
  });

  it("reruns when someone edited the output", async () => {
    const root = await setup();
    expect(await run(root, "changed")).toBe(true);
    await writeFile(join(root, "out.txt"), "edited by hand");
    expect(await run(root, "changed")).toBe(true);
    expect(await readFile(join(root, "out.txt"), "utf8")).toBe("HELLO");
  });

  it("adopts outputs that are fresh by Make's rule on first sight", async () => {
    const root = await setup();
    await writeFile(join(root, "out.txt"), "HELLO");
    expect(await run(root, "changed")).toBe(false);
    expect(await run(root, "changed")).toBe(false);
  });
});

describe("bad input under changed", () => {
  it("rejects a non-JSON value() input at submit, naming it", async () => {
    const root = await setup();
    const cue = new Cue({ artifacts: { root, freshness: "changed", state: "s.json" } });
    cue.task("t", { inputs: (p: { f: unknown }) => ({ fn: value(p.f) }), outputs: { out: file("o.txt") } }, () => undefined);
    await expect(cue.submit("t", { f: () => 1 })).rejects.toThrow(/value\(\) input of task "t" "fn" is a function, which is not JSON/);
  });

  it('requires a state file for "changed"', () => {
    expect(() => new Cue({ artifacts: { freshness: "changed" } })).toThrow(/needs artifacts.state/);
  });
});
