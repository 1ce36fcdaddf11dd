import { request } from "node:http";
import { Cue, VirtualClock, sleep } from "runcue";
import { afterEach, describe, expect, it, vi } from "vitest";
import { serveDashboard, type Dashboard, type DashboardSnapshot } from "../src/index.js";
import { EventStream, delay } from "./helpers.js";

const open: { dashboards: Dashboard[]; streams: EventStream[]; cues: Cue[] } = { dashboards: [], streams: [], cues: [] };
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of open.streams.splice(0)) s.close();
  for (const d of open.dashboards.splice(0)) await d.close();
  for (const c of open.cues.splice(0)) await c.stop({ timeout: 0 });
});
const track = <T extends Dashboard | EventStream | Cue>(x: T): T => {
  if (x instanceof EventStream) open.streams.push(x);
  else if (x instanceof Cue) open.cues.push(x);
  else open.dashboards.push(x);
  return x;
};
const getJson = async (url: string): Promise<DashboardSnapshot> => (await fetch(url)).json() as Promise<DashboardSnapshot>;

/** A raw GET with a chosen Host header (fetch does not let one set it). */
function rawGet(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("what a snapshot holds", () => {
  it("gives each service's slots, rate windows, queue and next start, and the pending works by reason with examples", async () => {
    const clock = new VirtualClock(1_000_000);
    const cue = track(new Cue({ clock }));
    cue.service("llm", { concurrent: 2, rate: "3/s" });
    cue.task("call", { uses: "llm" }, async (work) => sleep(cue.clock, 100, work.signal));
    cue.task("needs-input", { ready: () => false }, () => "never");
    const dashboard = track(await serveDashboard(cue));
    cue.start();
    for (let i = 0; i < 6; i++) await cue.submit("call", { secret: "sk-123" });
    await cue.submit("needs-input");
    await clock.advance(250); // 3 started and finished (2 at 0, 1 at 100 ms); the window is full until 1 s

    const s = await getJson(`${dashboard.url}snapshot.json`);
    expect(s.at).toBe(1_000_250);
    expect(s.started).toBe(true);
    expect(s.services).toEqual([{
      name: "llm", active: 0, concurrent: 2, queued: 3, pausedUntil: null, nextStartAt: 1_001_000, keyCount: 0, keys: [],
      rates: [{ label: "3/s", limit: 3, used: 3, intervalMs: 1000, measure: null, nextFreeAt: 1_001_000 }],
    }]);
    const byReason = Object.fromEntries(s.reasons.map((r) => [r.reason, r]));
    expect(byReason.rate_limited?.count).toBe(3);
    expect(byReason.not_ready?.count).toBe(1);
    expect(byReason.not_ready?.examples).toEqual([{ id: "7", task: "needs-input", attempt: 1, createdAt: 1_000_000 }]);
    expect(byReason.rate_limited?.text).toMatch(/rate window/);
    expect(JSON.stringify(s)).not.toContain("sk-123"); // params are hidden by default
    expect(s.totals).toMatchObject({ submitted: 7, completed: 3 });
  });

  it("shows weighted windows in their measure, and per-key limits with keys hidden unless showParams", async () => {
    for (const showParams of [false, true]) {
      const clock = new VirtualClock();
      const cue = track(new Cue({ clock }));
      cue.service("openai", { rate: ["5/min", "1000 tokens/min"], concurrent: 1, per: (work) => (work.params as { apiKey: string }).apiKey });
      cue.task("complete", { uses: "openai", cost: () => ({ tokens: 300 }) }, async (work) => sleep(cue.clock, 100, work.signal));
      const dashboard = track(await serveDashboard(cue, { showParams }));
      cue.start();
      for (let i = 0; i < 4; i++) await cue.submit("complete", { apiKey: "sk-alpha" });
      await cue.submit("complete", { apiKey: "sk-beta" });
      await clock.advance(1000); // alpha: 3 × 300 tokens used, the 4th does not fit; beta: 1 done
      const svc = dashboard.snapshot().services[0]!;
      expect(svc.keyCount).toBe(2);
      const alpha = svc.keys.find((k) => k.rates[1]!.used === 900)!;
      expect(alpha.key).toBe(showParams ? "sk-alpha" : "#" + (await import("node:crypto")).createHash("sha256").update("sk-alpha").digest("hex").slice(0, 6));
      // A start of weight 0 still fits the token window (nextFreeAt is for that); the 4th work's 300 tokens do not.
      expect(alpha.rates[1]).toMatchObject({ label: "1000 tokens/min", measure: "tokens", limit: 1000, used: 900, nextFreeAt: null });
      expect(alpha.rates[0]).toMatchObject({ label: "5/min", measure: null, used: 3 });
      expect(dashboard.snapshot().reasons).toEqual([expect.objectContaining({ reason: "rate_limited", count: 1 })]);
      expect(JSON.stringify(dashboard.snapshot()).includes("sk-alpha")).toBe(showParams);
    }
  });

  it("shows params only with showParams, as JSON of at most 200 characters", async () => {
    const cue = track(new Cue());
    cue.task("t", { ready: () => false }, () => "never");
    const dashboard = track(await serveDashboard(cue, { showParams: true }));
    cue.start();
    await cue.submit("t", { page: 5, text: "x".repeat(500) });
    await delay(20);
    const example = (await getJson(`${dashboard.url}snapshot.json`)).reasons[0]!.examples[0]!;
    expect(example.params).toMatch(/^\{"page":5,"text":"xxx/);
    expect(example.params!.length).toBe(200);
    expect(example.params!.endsWith("…")).toBe(true);
  });

  it("keeps the last 50 failures and 20 retries, newest first, with their errors", async () => {
    const clock = new VirtualClock();
    const cue = track(new Cue({ clock }));
    cue.on("fail", () => {});
    cue.task("bad", { retry: { attempts: 2, delay: "1s" } }, (work) => {
      throw new TypeError(`bad input ${String((work.params as { i: number }).i)}`);
    });
    const dashboard = track(await serveDashboard(cue));
    cue.start();
    for (let i = 0; i < 60; i++) await cue.submit("bad", { i });
    await clock.runUntilIdle(() => cue.idle());
    const s = dashboard.snapshot();
    expect(s.failures).toHaveLength(50);
    expect(s.failures[0]).toEqual({ id: "60", task: "bad", attempt: 2, at: 1000, error: { name: "TypeError", message: "bad input 59" } });
    expect(s.retries).toHaveLength(20);
    expect(s.retries[0]).toMatchObject({ id: "60", attempt: 1, retry: { delayMs: 1000, pushback: false }, at: 0 });
    expect(s.totals.failed).toBe(60);
  });

  it("counts finishes per 5 s bucket over the last 5 minutes, and finishes per second over the last minute", async () => {
    const clock = new VirtualClock(0);
    const cue = track(new Cue({ clock }));
    cue.task("t", async (work) => sleep(cue.clock, (work.params as { ms: number }).ms, work.signal));
    cue.task("done", { stale: () => false }, () => "never");
    const dashboard = track(await serveDashboard(cue));
    cue.start();
    for (const ms of [1000, 2000, 6000, 7000, 8000]) await cue.submit("t", { ms });
    await cue.submit("done");
    await clock.runUntilIdle(() => cue.idle());
    await clock.advance(2000); // now 10 s
    const s = dashboard.snapshot();
    expect(s.throughput.bucketMs).toBe(5000);
    expect(s.throughput.buckets).toHaveLength(60);
    expect(s.throughput.buckets.at(-1)).toEqual({ at: 10_000, completed: 0, failed: 0, skipped: 0 });
    expect(s.throughput.buckets.at(-2)).toEqual({ at: 5000, completed: 3, failed: 0, skipped: 0 });
    expect(s.throughput.buckets.at(-3)).toEqual({ at: 0, completed: 2, failed: 0, skipped: 1 });
    expect(s.perSecond).toBeCloseTo(6 / 10, 9); // 6 finishes in the 10 s since the dashboard began
  });

  it("reports a stall with its reasons, and clears it when work progresses", async () => {
    const clock = new VirtualClock();
    const cue = track(new Cue({ clock, stallWarnAfter: "10s" }));
    cue.on("stall", () => {});
    let ready = false;
    cue.task("t", { ready: () => ready }, () => "ok");
    const dashboard = track(await serveDashboard(cue));
    cue.start();
    await cue.submit("t");
    await cue.submit("t");
    await clock.advance(10_500);
    expect(dashboard.snapshot().stall).toEqual({
      at: 10_000, sinceProgressMs: 10_000, pending: 2,
      reasons: [{ reason: "not_ready", count: 2, text: expect.stringMatching(/^isReady says no/) }],
    });
    ready = true;
    cue.recheck();
    await clock.runUntilIdle(() => cue.idle());
    expect(dashboard.snapshot().stall).toBeNull();
  });

  it("stays cheap with 100,000 works pending: a snapshot is small and quick", async () => {
    const cue = track(new Cue());
    cue.service("api", { concurrent: 1 });
    cue.task("wait", { ready: () => false }, () => "never");
    cue.task("call", { uses: "api" }, () => new Promise(() => {}));
    for (let i = 0; i < 50_000; i++) void cue.submit("wait", { i });
    for (let i = 0; i < 50_000; i++) void cue.submit("call", { i });
    const dashboard = track(await serveDashboard(cue));
    cue.start();
    await delay(50);
    const t0 = performance.now();
    let text = "";
    for (let i = 0; i < 20; i++) text = await (await fetch(`${dashboard.url}snapshot.json`)).text();
    const perRequest = (performance.now() - t0) / 20;
    const t1 = performance.now();
    cue.debugBlocked(); // what a dashboard listing every pending work would pay
    const listAll = performance.now() - t1;
    const s = JSON.parse(text) as DashboardSnapshot;
    expect(s.pending).toBe(99_999);
    expect(s.reasons.find((r) => r.reason === "service_full")?.count).toBe(49_999);
    expect(text.length).toBeLessThan(30_000);
    // Compared with listing every work in the same run, so a busy machine slows both alike
    // (measured here on a loaded machine: ~16 ms a snapshot against ~1.1 s for debugBlocked()).
    expect(perRequest).toBeLessThan(listAll / 4);
  });
});

describe("the event stream", () => {
  it("sends retry and the current snapshot on connect, then numbered snapshots as things change", async () => {
    const cue = track(new Cue());
    cue.task("t", async () => delay(30));
    const dashboard = track(await serveDashboard(cue, { interval: 100 }));
    const stream = track(await EventStream.open(`${dashboard.url}events`));
    expect(stream.status).toBe(200);
    const first = await stream.next();
    expect(first.retry).toBe(2000);
    const initial = await stream.snapshot(() => true);
    expect(initial.seq).toBe(1);
    expect(stream.events.find((e) => e.event === "snapshot")!.id).toBe("1");
    cue.start();
    await cue.submit("t");
    const done = await stream.snapshot((s) => s.totals.completed === 1);
    expect(done.seq).toBeGreaterThan(0);
    const ids = stream.events.filter((e) => e.event === "snapshot").map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it("coalesces a burst: 10,000 completions give at most one snapshot per interval", async () => {
    const cue = track(new Cue());
    cue.task("t", () => "ok");
    const dashboard = track(await serveDashboard(cue, { interval: 250 }));
    const stream = track(await EventStream.open(`${dashboard.url}events`));
    await stream.next((e) => e.event === "snapshot");
    cue.start();
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) void cue.submit("t");
    await cue.idle();
    const burstMs = performance.now() - t0;
    await stream.snapshot((s) => s.totals.completed === 10_000);
    const elapsed = performance.now() - t0;
    const sent = stream.snapshots().length - 1;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
    expect(burstMs).toBeLessThan(5000);
  });

  it("sends nothing while nothing changes", async () => {
    const clock = new VirtualClock();
    const cue = track(new Cue({ clock }));
    cue.task("t", { ready: () => false }, () => "never");
    const dashboard = track(await serveDashboard(cue, { interval: 50 }));
    cue.start();
    await cue.submit("t");
    const stream = track(await EventStream.open(`${dashboard.url}events`));
    await stream.next((e) => e.event === "snapshot");
    await delay(300); // six intervals
    expect(stream.snapshots().length).toBeLessThanOrEqual(2); // the connect one, and at most the first tick's
    const count = stream.snapshots().length;
    await delay(300);
    expect(stream.snapshots()).toHaveLength(count);
    await cue.submit("t");
    await stream.snapshot((s) => s.pending === 2, 2000);
  });

  it("ends every stream with a closed event and removes its listeners from the cue when closed", async () => {
    const cue = track(new Cue());
    cue.task("bad", () => {
      throw new Error("nobody listens");
    });
    const dashboard = track(await serveDashboard(cue));
    const stream = track(await EventStream.open(`${dashboard.url}events`));
    await stream.next((e) => e.event === "snapshot");
    const closedEvent = stream.next((e) => e.event === "closed");
    await dashboard.close();
    await dashboard.close(); // twice is harmless
    expect(JSON.parse((await closedEvent).data)).toEqual({ reason: "stopped" });
    await dashboard.closed;
    await expect(fetch(dashboard.url)).rejects.toThrow();
    // The dashboard's fail listener is gone: the cue prints its own warning again.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    cue.start();
    await cue.submit("bad");
    await cue.idle();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('task "bad" work 1 failed'));
  });

  it("closes when the cue stops after it was started", async () => {
    const cue = track(new Cue());
    const dashboard = track(await serveDashboard(cue, { interval: 50 }));
    await delay(120);
    expect((await fetch(dashboard.url)).status).toBe(200); // not started yet: stays open
    cue.start();
    const stream = track(await EventStream.open(`${dashboard.url}events`));
    await stream.snapshot((s) => s.started);
    await cue.stop();
    const closed = await stream.next((e) => e.event === "closed", 2000);
    expect(JSON.parse(closed.data)).toEqual({ reason: "stopped" });
    await dashboard.closed;
  });

  it("with closeOnStop false, stays open when the cue stops", async () => {
    const cue = track(new Cue());
    const dashboard = track(await serveDashboard(cue, { interval: 50, closeOnStop: false }));
    cue.start();
    await delay(80);
    await cue.stop();
    await delay(150);
    expect((await getJson(`${dashboard.url}snapshot.json`)).started).toBe(false);
  });
});

describe("access", () => {
  it("binds to 127.0.0.1 by default and refuses Host names that are not loopback (DNS rebinding)", async () => {
    const dashboard = track(await serveDashboard(new Cue()));
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await rawGet(dashboard.url, `127.0.0.1:${dashboard.port}`)).toBe(200);
    expect(await rawGet(dashboard.url, `localhost:${dashboard.port}`)).toBe(200);
    expect(await rawGet(dashboard.url, `evil.example:${dashboard.port}`)).toBe(403);
  });

  it("is read-only: other methods get 405, unknown paths 404", async () => {
    const dashboard = track(await serveDashboard(new Cue()));
    const post = await fetch(`${dashboard.url}snapshot.json`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect((await fetch(`${dashboard.url}actions/cancel`)).status).toBe(404);
  });

  it("refuses a non-loopback address without a token", async () => {
    await expect(serveDashboard(new Cue(), { host: "0.0.0.0" })).rejects.toThrow(/host "0\.0\.0\.0" is reachable from other machines: give a token/);
  });

  it("with a token, refuses every request without it, and accepts it as a Bearer header or ?token=", async () => {
    const token = "0123456789abcdef0123";
    const dashboard = track(await serveDashboard(new Cue(), { host: "0.0.0.0", token }));
    const base = `http://127.0.0.1:${dashboard.port}/`;
    for (const path of ["", "snapshot.json", "events"]) {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await fetch(`${base}${path}?token=wrong-token-wrong-token`)).status).toBe(401);
    }
    expect((await fetch(base, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${base}snapshot.json?token=${token}`)).status).toBe(200);
    const stream = track(await EventStream.open(`${base}events?token=${token}`));
    expect(stream.status).toBe(200);
    await stream.next((e) => e.event === "snapshot");
  });

  it("serves the page with a strict Content-Security-Policy and no outside resources", async () => {
    const dashboard = track(await serveDashboard(new Cue(), { title: "<b>ingest</b>" }));
    const res = await fetch(dashboard.url);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).toContain("<h1>&#60;b&#62;ingest&#60;/b&#62;</h1>");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html.length).toBeLessThan(30_000);
  });
});

describe("bad input", () => {
  const cue = new Cue();
  it.each([
    [{ prot: 80 }, /unknown option "prot"/],
    [{ port: 70000 }, /invalid port: 70000/],
    [{ port: -1 }, /invalid port: -1/],
    [{ host: "" }, /invalid host: ""/],
    [{ host: "10.0.0.5" }, /host "10\.0\.0\.5" is reachable from other machines/],
    [{ token: "short" }, /invalid token: a string of 5 characters/],
    [{ token: "has spaces in it, sixteen+" }, /with white space/],
    [{ interval: 10 }, /invalid interval: 10 \(expected milliseconds from 50 to 60000\)/],
    [{ showParams: "yes" }, /invalid showParams: "yes" \(expected a boolean\)/],
    [{ title: 5 }, /invalid title: 5/],
  ])("rejects %j with an error naming the value", async (options, message) => {
    await expect(serveDashboard(cue, options as never)).rejects.toThrow(message);
  });

  it("rejects something that is not a cue, and a port that is taken", async () => {
    await expect(serveDashboard({} as never)).rejects.toThrow(/serveDashboard\(\) needs a runcue Cue, got an object with keys \[\]/);
    const first = track(await serveDashboard(new Cue()));
    await expect(serveDashboard(new Cue(), { port: first.port })).rejects.toThrow(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: EADDRINUSE`));
  });
});
