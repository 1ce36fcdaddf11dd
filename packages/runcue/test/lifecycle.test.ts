// Specs of the work lifecycle: the legal-move table, the counts, and events after moves.
import { describe, expect, it } from "vitest";
import { Emitter } from "../src/events/emitter.js";
import { InternalError } from "../src/errors.js";
import { Lifecycle, type Containers, type LifecycleHost } from "../src/work/lifecycle.js";
import { LEGAL, PHASE_NAMES, Phase } from "../src/work/phase.js";
import { WorkRecord } from "../src/work/record.js";
import type { TaskDef } from "../src/task.js";

const def = { name: "t", handler: () => undefined, limiters: [], laneKey: "", ready: undefined, stale: undefined, retry: { attempts: 1 }, timeoutMs: undefined, lane: {} } as unknown as TaskDef;

function setup(): { lifecycle: Lifecycle; events: Emitter; log: string[] } {
  const log: string[] = [];
  const events = new Emitter(() => undefined);
  const containers: Containers = {
    addDelayed: () => log.push("+delayed"), removeDelayed: () => log.push("-delayed"),
    addIntake: () => log.push("+intake"), removeIntake: () => log.push("-intake"),
    addBlocked: () => log.push("+blocked"), removeBlocked: () => log.push("-blocked"),
    addQueued: () => log.push("+queued"), removeQueued: () => log.push("-queued"),
  };
  const host: LifecycleHost = {
    pendingStarted: () => undefined, pendingEnded: () => undefined, finished: () => log.push("finished"),
    failedUnheard: () => undefined, idle: () => log.push("idle"), leftChecking: (_w, starting) => log.push(`leftChecking(${String(starting)})`),
  };
  return { lifecycle: new Lifecycle(events, containers, host), events, log };
}

let seq = 0;
const work = (): WorkRecord => new WorkRecord(++seq, def, {}, 0, undefined, undefined);

describe("the legal-move table", () => {
  it("lets a work end only from a pending phase or running, and never leave a terminal phase", () => {
    for (const terminal of [Phase.Completed, Phase.Failed, Phase.Cancelled]) expect(LEGAL[terminal]).toBe(0);
    for (let from = Phase.Delayed; from <= Phase.Running; from++) {
      expect(((LEGAL[from] as number) >> Phase.Cancelled) & 1, `${PHASE_NAMES[from]} -> cancelled`).toBe(1);
    }
  });

  it("an illegal move throws an InternalError naming both phases, and changes nothing", () => {
    const { lifecycle } = setup();
    const w = work();
    lifecycle.submitted(w, Phase.Queued, 0);
    expect(() => lifecycle.complete(w, 1, 0)).toThrow(InternalError);
    expect(() => lifecycle.complete(w, 1, 0)).toThrow(/queued -> completed/);
    expect(w.phase).toBe(Phase.Queued);
    expect(lifecycle.pending).toBe(1);
  });
});

describe("moves", () => {
  it("keep the counts: pending, running, and per phase", () => {
    const { lifecycle } = setup();
    const a = work();
    const b = work();
    lifecycle.submitted(a, Phase.Queued, 0);
    lifecycle.submitted(b, Phase.Intake, 0);
    expect([lifecycle.pending, lifecycle.running]).toEqual([2, 0]);
    lifecycle.start(a, 1);
    expect([lifecycle.pending, lifecycle.running]).toEqual([1, 1]);
    lifecycle.move(b, Phase.Screening);
    lifecycle.block(b, "not_ready", undefined);
    expect(lifecycle.counts[Phase.Blocked]).toBe(1);
    lifecycle.complete(a, "ok", 2);
    lifecycle.cancel(b, new Error("x"), 3);
    expect([lifecycle.pending, lifecycle.running, lifecycle.isIdle]).toEqual([0, 0, true]);
    expect([...lifecycle.counts].slice(Phase.Delayed, Phase.Completed).every((n) => n === 0)).toBe(true);
  });

  it("take the work out of its old container and put it in the new one", () => {
    const { lifecycle, log } = setup();
    const w = work();
    lifecycle.submitted(w, Phase.Intake, 0);
    lifecycle.move(w, Phase.Screening);
    lifecycle.queue(w);
    lifecycle.move(w, Phase.Checking);
    lifecycle.start(w, 0);
    expect(log).toEqual(["+intake", "-intake", "leftChecking(false)", "+queued", "-queued", "leftChecking(true)"]);
  });

  it("emit each event after the move is complete, and the terminal ones after the key is freed", () => {
    const { lifecycle, events, log } = setup();
    const seen: string[] = [];
    events.on("start", ({ work: w }) => { seen.push(`start in ${w.state}`); });
    events.on("complete", ({ work: w, durationMs }) => { seen.push(`complete in ${w.state} after ${log.includes("finished") ? "finished" : "?"} (${durationMs}ms)`); });
    events.on("idle", () => { seen.push("idle"); });
    const w = work();
    lifecycle.submitted(w, Phase.Queued, 0);
    lifecycle.start(w, 10);
    lifecycle.complete(w, "r", 25);
    expect(seen).toEqual(["start in running", "complete in completed after finished (15ms)", "idle"]);
    expect(w.result).toBe("r");
  });

  it("a retry counts an attempt, a pushback does not", () => {
    const { lifecycle } = setup();
    const w = work();
    lifecycle.submitted(w, Phase.Queued, 0);
    lifecycle.start(w, 0);
    lifecycle.retry(w, new Error("boom"), 100, false, 100, 0);
    expect([w.phase, w.attempt, w.dueAt]).toEqual([Phase.Delayed, 2, 100]);
    lifecycle.queue(w);
    lifecycle.start(w, 100);
    lifecycle.retry(w, new Error("429"), 0, true, undefined, 100);
    expect([w.phase, w.attempt]).toEqual([Phase.Queued, 2]);
  });
});
