// Declared artifacts (issue 10): precise wakeups, cue.changed, and output verification racing
// cancel and stop.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { artifact, Cue, file, glob, type Work } from "runcue";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "runcue-wake-"));
  dirs.push(d);
  return d;
}
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("precise wakeups", () => {
  it("re-screens exactly the one work waiting on a finished producer's output, of 10,000 blocked", async () => {
    const N = 10_000;
    const root = await tempDir();
    await mkdir(join(root, "p"));
    await mkdir(join(root, "c"));
    const cue = new Cue({ artifacts: { root }, recheckInterval: "20ms" });
    cue.service("one", { concurrent: 1 });
    const first = gate();
    const rest = gate();
    cue.task("produce", { uses: "one", outputs: { out: file("p/{i}.txt") } }, async (work: Work<{ i: number }>) => {
      await (work.params.i === 0 ? first.promise : rest.promise);
      await writeFile(work.paths.out as string, "x");
    });
    let asked = 0;
    const askedFor: number[] = [];
    cue.task("consume", {
      inputs: { src: file("p/{i}.txt") },
      outputs: { out: file("c/{i}.txt") },
      // A task's own check gets the derived verdict: here it only counts the calls.
      ready: (work, derived) => {
        asked++;
        askedFor.push((work.params as { i: number }).i);
        return derived.ready;
      },
    }, async (work) => void (await writeFile(work.paths.out as string, "y")));
    let blocked = 0;
    cue.on("block", () => void blocked++);
    cue.start();
    for (let i = 0; i < N; i++) await cue.submit("produce", { i });
    for (let i = 0; i < N; i++) await cue.submit("consume", { i });
    while (blocked < N) await cue.once("block");
    expect(asked).toBe(N);
    // Parked works are not swept: several recheck intervals later, nobody was asked again.
    await new Promise((r) => setTimeout(r, 100));
    expect(asked).toBe(N);
    asked = 0;
    askedFor.length = 0;
    const consumed = cue.once("complete");
    first.open();
    let done = await consumed;
    while (done.work.task !== "consume") done = await cue.once("complete");
    expect(done.work.params).toEqual({ i: 0 });
    expect(askedFor).toEqual([0]);
    expect(asked).toBe(1);
    expect(cue.debugBlocked().filter((b) => b.work.task === "consume")).toHaveLength(N - 1);
    await cue.stop({ timeout: 1 }); // the running producer is abandoned; the rest stay pending
    rest.open();
  }, 60_000);

  it("cue.changed() wakes a work waiting on a file no task produces, without waiting for a recheck", async () => {
    const root = await tempDir();
    const cue = new Cue({ artifacts: { root }, recheckInterval: "1h" });
    cue.task("t", { inputs: { src: file("drop/in.txt") }, outputs: { out: file("out.txt") } }, async (work) => {
      await writeFile(work.paths.out as string, "done");
    });
    cue.start();
    const id = await cue.submit("t", {});
    expect((await cue.once("block")).reason).toBe("no_producer");
    await mkdir(join(root, "drop"));
    await writeFile(join(root, "drop/in.txt"), "arrived");
    expect(cue.changed("drop/in.txt")).toBe(1);
    expect((await cue.wait(id)).state).toBe("completed");
    expect(cue.changed(file("drop/in.txt"))).toBe(0); // nobody waits any more
    await cue.stop();
  });
});

describe("glob inputs", () => {
  it("wait for pending producers of matching files, and wake when they end", async () => {
    const root = await tempDir();
    await mkdir(join(root, "text"));
    const cue = new Cue({ artifacts: { root }, recheckInterval: "1h" });
    const order: string[] = [];
    cue.task("extract", { outputs: { text: file("text/{page}.txt") } }, async (work: Work<{ page: number }>) => {
      order.push(`extract:${work.params.page}`);
      await writeFile(work.paths.text as string, "t");
    });
    cue.task("summarize", { inputs: { texts: glob("text/*.txt") }, outputs: { out: file("summary.md") } }, async (work) => {
      order.push("summarize");
      await writeFile(work.paths.out as string, "s");
    });
    cue.start();
    const id = await cue.submit("summarize", {});
    for (const page of [1, 2, 3]) await cue.submit("extract", { page });
    expect((await cue.wait(id)).state).toBe("completed");
    await cue.stop();
    expect(order.at(-1)).toBe("summarize");
    expect(order).toHaveLength(4);
  });
});

describe("output verification against cancel and stop", () => {
  /** A task whose output is a row that does not exist until its handler ran; then `exists` waits for the test. */
  function slowOutput(cue: Cue, verifying: { open: () => void }, exists: Promise<void>): void {
    let written = false;
    cue.task("t", { outputs: { row: artifact("row:{id}", { exists: async () => {
      if (!written) return false; // the arrival check: missing, so the work runs
      verifying.open();
      await exists;
      return true;
    } }) } }, () => {
      written = true;
      return "result";
    });
  }

  it("a cancel while outputs are being verified ends the work once, as cancelled", async () => {
    const root = await tempDir();
    const cue = new Cue({ artifacts: { root } });
    const verifying = gate();
    const exists = gate();
    slowOutput(cue, verifying, exists.promise);
    const ends: string[] = [];
    for (const e of ["complete", "fail", "cancel", "skip"] as const) cue.on(e, () => void ends.push(e));
    cue.start();
    const id = await cue.submit("t", { id: 1 });
    await verifying.promise;
    expect(await cue.cancel(id)).toBe(true);
    exists.open();
    await new Promise((r) => setTimeout(r, 20));
    expect(ends).toEqual(["cancel"]);
    expect((await cue.get(id))?.state).toBe("cancelled");
    await cue.stop();
  });

  it("stop() waits for a verification in flight; stop({ timeout }) abandons it", async () => {
    for (const timeout of [undefined, 10]) {
      const root = await tempDir();
      const cue = new Cue({ artifacts: { root } });
      const verifying = gate();
      const exists = gate();
      slowOutput(cue, verifying, exists.promise);
      cue.start();
      const id = await cue.submit("t", { id: 1 });
      await verifying.promise;
      const stopped = cue.stop(timeout === undefined ? {} : { timeout });
      if (timeout === undefined) setTimeout(() => exists.open(), 10);
      await stopped;
      exists.open();
      await new Promise((r) => setTimeout(r, 10));
      expect((await cue.get(id))?.state).toBe(timeout === undefined ? "completed" : "cancelled");
    }
  });
});

describe("stop during a readiness check", () => {
  it("puts the work back to wait; after start() it is screened again and runs", async () => {
    const cue = new Cue();
    const checking = gate();
    const answer = gate();
    let calls = 0;
    cue.task("t", { inputs: { row: artifact("row:{id}", { exists: async () => {
      calls++;
      if (calls === 1) {
        checking.open();
        await answer.promise;
      }
      return true;
    } }) } }, () => "ran");
    cue.start();
    const id = await cue.submit("t", { id: 1 });
    await checking.promise;
    await cue.stop();
    answer.open();
    await new Promise((r) => setTimeout(r, 10));
    expect((await cue.get(id))?.state).toBe("pending");
    cue.start();
    const work = await cue.wait(id);
    await cue.stop();
    expect(work.state).toBe("completed");
    expect(work.result).toBe("ran");
    expect(calls).toBeGreaterThanOrEqual(2); // asked again after the restart, not answered from the abandoned check
  });
});
