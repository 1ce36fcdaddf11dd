// StoreContext.wake: a store whose limits change outside the cue (another process freed a slot)
// asks the cue for another dispatch pass.
import { describe, expect, it } from "vitest";
import { memoryStore, type Limiter, type LimiterStore, type StoreContext } from "runcue";
import { virtualCue } from "./helpers.js";

/** The in-memory store, except that every service says "full, no known end" while `shut`. */
function gatedStore(): { store: LimiterStore; open(): void; contexts: StoreContext[] } {
  let shut = true;
  const contexts: StoreContext[] = [];
  const store: LimiterStore = {
    limiter(name, options, context) {
      contexts.push(context);
      const inner = memoryStore.limiter(name, options, context);
      return new Proxy(inner, {
        get(target, prop) {
          if (prop === "tryAcquire") return (...args: Parameters<Limiter["tryAcquire"]>) => (shut ? Infinity : target.tryAcquire(...args));
          const value: unknown = Reflect.get(target, prop);
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
  return { store, open: () => (shut = false), contexts };
}

describe("StoreContext.wake", () => {
  it("a store's wake() runs another dispatch pass: a lane told Infinity starts once the store opens and wakes", async () => {
    const { store, open, contexts } = gatedStore();
    const { cue, clock } = virtualCue({ store });
    cue.service("api", { concurrent: 1 });
    let ran = 0;
    cue.task("call", { uses: "api" }, () => void ran++);
    cue.start();
    await cue.submit("call");
    await clock.advance(10);
    expect(ran).toBe(0); // Infinity: nothing here will free a slot, so no pass runs by itself
    open();
    await clock.advance(10);
    expect(ran).toBe(0); // opening alone is invisible to the cue
    contexts[0]!.wake();
    await clock.advance(10);
    expect(ran).toBe(1);
    await cue.stop();
  });

  it("wake() on a stopped cue does nothing and does not throw", async () => {
    const { store, open, contexts } = gatedStore();
    const { cue, clock } = virtualCue({ store });
    cue.service("api", {});
    let ran = 0;
    cue.task("call", { uses: "api" }, () => void ran++);
    await cue.submit("call");
    open();
    contexts[0]!.wake();
    await clock.advance(10);
    expect(ran).toBe(0);
    cue.start();
    await clock.advance(10);
    expect(ran).toBe(1);
    await cue.stop();
  });
});

describe("start() and the store's ready()", () => {
  it("resolves with the cue in memory, and dispatch does not wait for it", async () => {
    const { cue, clock } = virtualCue();
    cue.service("api", { concurrent: 1 });
    let ran = 0;
    cue.task("call", { uses: "api" }, () => void ran++);
    const started = cue.start();
    await cue.submit("call");
    await clock.advance(0);
    expect(ran).toBe(1);
    await expect(started).resolves.toBe(cue);
    await cue.stop();
  });

  it("rejects with the store's error; not awaited, the rejection is never unhandled", async () => {
    const error = new Error("limits disagree");
    const store: LimiterStore = { limiter: (name, options, context) => memoryStore.limiter(name, options, context), ready: () => Promise.reject(error) };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const { cue } = virtualCue({ store });
      await expect(cue.start()).rejects.toBe(error);
      await cue.stop();
      const { cue: careless } = virtualCue({ store });
      void careless.start(); // the store reports it; start() must not crash the process
      await new Promise((resolve) => setTimeout(resolve, 20));
      await careless.stop();
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
