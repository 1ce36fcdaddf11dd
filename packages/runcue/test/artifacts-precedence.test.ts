// Declared artifacts (issue 10): precedence of checks, hostile custom artifacts, strict cycles.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { artifact, Cue, file } from "runcue";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "runcue-prec-"));
  dirs.push(d);
  return d;
}

describe("precedence: task's own check > declared artifacts > the cue's checks", () => {
  it("does not ask the cue's isReady/isStale for a task that declares artifacts, and still asks them for one that does not", async () => {
    const root = await tempDir();
    await writeFile(join(root, "in.txt"), "x");
    const cue = new Cue({ artifacts: { root } });
    const asked: string[] = [];
    cue.isReady((w) => (asked.push(`ready:${w.task}`), true));
    cue.isStale((w) => (asked.push(`stale:${w.task}`), true));
    cue.task("declared", { inputs: { src: file("in.txt") }, outputs: { out: file("out.txt") } }, async (w) => void (await writeFile(w.paths.out as string, "y")));
    cue.task("plain", () => undefined);
    cue.start();
    await cue.wait(await cue.submit("declared", {}));
    await cue.wait(await cue.submit("plain", {}));
    await cue.stop();
    expect(asked).toEqual(["ready:plain", "stale:plain"]);
  });

  it("gives a task's own checks the derived verdicts, and lets them overrule", async () => {
    const root = await tempDir();
    await writeFile(join(root, "in.txt"), "x");
    await writeFile(join(root, "out.txt"), "y");
    const cue = new Cue({ artifacts: { root } });
    const seen: unknown[] = [];
    let ran = 0;
    cue.task("t", {
      inputs: { src: file("in.txt") },
      outputs: { out: file("out.txt") },
      ready: (_w, derived) => (seen.push(derived), derived.ready),
      stale: (_w, derived) => (seen.push(derived), true), // overrule: always run
    }, () => void ran++);
    cue.start();
    await cue.wait(await cue.submit("t", {}));
    await cue.stop();
    expect(ran).toBe(1);
    expect(seen).toEqual([{ ready: true, reasons: [] }, { stale: false, reasons: [expect.objectContaining({ kind: "fresh" })] }]);
  });
});

describe("hostile custom artifacts", () => {
  it("counts an exists() that throws as not ready (check_error), and asks again later", async () => {
    const cue = new Cue({ recheckInterval: "10ms" });
    let fail = true;
    cue.task("t", { inputs: { row: artifact("row:{id}", { exists: () => {
      if (fail) throw new Error("db down");
      return true;
    } }) } }, () => "ok");
    cue.start();
    const id = await cue.submit("t", { id: 1 });
    const block = await cue.once("block");
    expect(block.reason).toBe("check_error");
    expect(block.error?.message).toBe("db down");
    fail = false;
    expect((await cue.wait(id)).state).toBe("completed");
    await cue.stop();
  });

  it("counts a version() that rejects as stale (the work runs)", async () => {
    const cue = new Cue();
    let ran = 0;
    cue.task("t", { outputs: { row: artifact("row:{id}", { exists: () => true, version: () => Promise.reject(new Error("no")) }) } }, () => void ran++);
    cue.start();
    expect((await cue.wait(await cue.submit("t", { id: 1 }))).state).toBe("completed");
    await cue.stop();
    expect(ran).toBe(1);
  });
});

describe("strict cycles", () => {
  it("fails both works of a waits-for cycle with ERR_CYCLE", async () => {
    const root = await tempDir();
    const cue = new Cue({ artifacts: { root, strict: true } });
    cue.task("a", { inputs: (p: { i: number }) => ({ x: file(`b/${p.i}`) }), outputs: (p: { i: number }) => ({ y: file(`a/${p.i}`) }) }, () => undefined);
    cue.task("b", { inputs: (p: { i: number }) => ({ x: file(`a/${p.i}`) }), outputs: (p: { i: number }) => ({ y: file(`b/${p.i}`) }) }, () => undefined);
    cue.start();
    const a = await cue.submit("a", { i: 1 });
    const b = await cue.submit("b", { i: 1 });
    const first = await Promise.race([cue.wait(a), cue.wait(b)]);
    expect(first.state).toBe("failed");
    expect(first.error).toMatchObject({ code: "ERR_CYCLE" });
    await cue.stop({ timeout: 10 });
  });
});
