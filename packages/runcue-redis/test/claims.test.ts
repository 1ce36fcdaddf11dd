// Submit keys claimed across every cue of a namespace: a keyed work never runs in two processes
// at once, a held key says `key_held` (and takes no service slot), and a killed process's
// claims come back after its lease.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cue } from "runcue";
import { RedisStore } from "../src/index.js";
import { deferred } from "../../runcue/test/helpers.js";
import { child, runToEnd } from "./children.js";
import { REDIS_URL, maxOverlap, until, useNamespaces, withinSkew } from "./redis-helpers.js";

const namespace = useNamespaces({ beforeAll, afterAll });

describe("submit keys shared through Redis", () => {
  it("a keyed work submitted in every process runs once at a time", async () => {
    const ns = namespace("keys");
    const rounds = 4;
    const children = [0, 1, 2].map(() => child({ RCR_NS: ns, RCR_MODE: "keyed", RCR_COUNT: String(rounds), RCR_START_AT: "go" }));
    const finals = await runToEnd(children, "keySpans");
    const byKey = new Map<string, [number, number][]>();
    for (const f of finals) {
      for (const [key, spans] of Object.entries(f.keySpans as Record<string, [number, number][]>)) byKey.set(key, [...(byKey.get(key) ?? []), ...spans]);
    }
    expect([...byKey.keys()].sort()).toEqual(["k0", "k1", "k2", "k3"]);
    // Each child's clock is its own: allow for the skew between them (each 40 ms span shortened).
    for (const [key, spans] of byKey) {
      expect(spans, key).toHaveLength(3 * rounds); // every process ran each key in every round
      expect(maxOverlap(withinSkew(spans)), key).toBe(1); // and never two at once, across the processes
    }
    // Different keys do run at once (the claims are per key, not one lock).
    expect(maxOverlap(withinSkew([...byKey.values()].flat()))).toBeGreaterThan(1);
  }, 45_000);

  it("a held key says key_held, takes no service slot, and its work starts when the holder ends", async () => {
    const ns = namespace("held");
    const a = new RedisStore({ url: REDIS_URL, namespace: ns, pollMs: 60_000 });
    const b = new RedisStore({ url: REDIS_URL, namespace: ns, pollMs: 60_000 });
    const holder = new Cue({ store: a });
    const waiter = new Cue({ store: b });
    const hold = deferred();
    const ran: string[] = [];
    for (const cue of [holder, waiter]) cue.service("api", { concurrent: 2 });
    holder.task("call", { uses: "api" }, () => hold.promise);
    waiter.task("call", { uses: "api" }, (work) => void ran.push(work.key ?? "no key"));
    await Promise.all([a.ready(), b.ready()]);
    holder.start();
    await holder.submit("call", {}, { key: "report-7" });
    await until(() => holder.status().running === 1);
    const waits: unknown[] = [];
    waiter.on("wait", (event) => void waits.push(event));
    waiter.start();
    const id = await waiter.submit("call", {}, { key: "report-7" });
    await until(() => waiter.debugBlocked().some((x) => x.reason === "key_held"));
    const info = waiter.debugBlocked().find((x) => x.work.id === id);
    expect(info?.details).toMatch(/Submit key "report-7" is held: a work with this key is running in another process/);
    expect(waiter.summary().reasons.map((r) => r.reason)).toEqual(["key_held"]);
    // The waiting work holds no slot of "api" (2 slots, across processes only the holder's
    // work has one): works of other keys, or of none, still start, one at a time.
    expect(waiter.status().services[0]?.active).toBeLessThanOrEqual(1);
    await waiter.submit("call", {}, { key: "report-8" });
    await waiter.submit("call");
    await until(() => ran.length === 2);
    expect(ran.sort()).toEqual(["no key", "report-8"]);
    hold.resolve();
    // Woken by the key's bell (the poll is 60 s away; the test's timeout is 20 s).
    await waiter.wait(id);
    expect(ran).toContain("report-7");
    expect(waits, JSON.stringify(waits)).toEqual([]); // a held key is no rate window: no `wait` event claims one
    await Promise.all([holder.stop(), waiter.stop()]);
    await Promise.all([a.close(), b.close()]);
  }, 20_000);

  it("a killed process's key claims come back after its lease", async () => {
    const ns = namespace("keycrash");
    const leaseMs = 1500;
    const holder = child({ RCR_NS: ns, RCR_MODE: "keyhold", RCR_LEASE_MS: String(leaseMs) });
    await holder.line("held");
    holder.process.kill("SIGKILL");
    const killedAt = Date.now();
    await holder.exited;
    const store = new RedisStore({ url: REDIS_URL, namespace: ns, leaseMs });
    const cue = new Cue({ store });
    cue.service("api", { concurrent: 2 });
    let startedAt = 0;
    cue.task("call", { uses: "api" }, () => void (startedAt = Date.now()));
    cue.start();
    await cue.submit("call", {}, { key: "k0" });
    let held = false;
    await until(() => (held = cue.debugBlocked().some((x) => x.reason === "key_held")) || startedAt > 0);
    expect(held).toBe(true); // the dead process's claim held the key, until its lease ran out
    await cue.idle();
    await cue.stop();
    await store.close();
    const after = startedAt - killedAt;
    process.stdout.write(`key claim back ${after} ms after kill -9 (lease ${leaseMs} ms)\n`);
    expect(after).toBeLessThanOrEqual(leaseMs + 1000);
  }, 20_000);
});
