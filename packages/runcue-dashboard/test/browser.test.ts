import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { Cue, sleep } from "runcue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { serveDashboard, type Dashboard } from "../src/index.js";

/** Debian's chromium (`apt-get install chromium`; `.ci/run` installs it), or CHROMIUM_PATH. npm's browser downloads are not used. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const present = existsSync(CHROMIUM);
const title = present ? "the dashboard page in Chromium" : `the dashboard page in Chromium (SKIPPED: ${CHROMIUM} is absent; apt-get install chromium)`;
if (!present) console.warn(`runcue-dashboard browser test skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

describe.skipIf(!present)(title, () => {
  const tmp = mkdtempSync(join(tmpdir(), "runcue-dashboard-browser-"));
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let cue: Cue | undefined;
  let dashboard: Dashboard | undefined;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A new page that records every page error and console error or warning (a CSP violation is one). */
  async function openPage(url: string): Promise<number> {
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    problems = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    return (await page.goto(url))?.status() ?? 0;
  }
  const text = (testid: string): Promise<string> => page.locator(`[data-testid="${testid}"]`).first().innerText();
  /** Waits until the element's text matches (the page updates it from the event stream). */
  const waitText = (testid: string, test: RegExp, timeout = 10_000): Promise<unknown> =>
    expect.poll(() => page.locator(`[data-testid="${testid}"]`).first().textContent({ timeout: 1000 }).catch(() => ""), { timeout, interval: 50 }).toMatch(test);
  const completed = async (): Promise<number> => Number((await text("total-completed")).replace(/,/g, ""));

  afterEach(async () => {
    await page?.close();
    if (cue !== undefined) await cue.stop({ timeout: 0 });
    await dashboard?.close();
    cue = undefined;
    dashboard = undefined;
  });

  it("shows the numbers change as work runs: full slots, a full rate window with its next start, a failure, and why work waits", async () => {
    cue = new Cue();
    cue.on("fail", () => {});
    cue.service("llm", { concurrent: 5, rate: "10/s" });
    cue.task("call", { uses: "llm" }, async (work) => {
      await sleep(cue!.clock, 300, work.signal);
      if ((work.params as { n: number }).n === 7) throw new Error("HTTP 500 from the model API");
    });
    cue.task("summarize", { ready: () => false }, () => "never"); // its input never appears
    dashboard = await serveDashboard(cue, { interval: 100 });
    cue.start();
    const blocked = await cue.submit("summarize", { doc: 1 });
    // Enough work for half a minute at 10/s: the page sees it busy however slowly it loads.
    for (let n = 0; n < 300; n++) await cue.submit("call", { n });

    expect(await openPage(dashboard.url)).toBe(200);
    await waitText("state", /^running$/);
    await waitText("svc-llm-active", /^5\/5$/);
    await waitText("svc-llm-rate-0", /^10\/10$/);
    await waitText("svc-llm-rate-0-note", /^full · next start in \d/);
    await waitText("svc-llm-next", /^next start in \d/); // the service's: every window and any pause
    const before = await completed();
    await waitText("failure-9", /Error: HTTP 500 from the model API/); // work 9 is call n=7
    expect(await text("reason-not_ready-count")).toBe("1");
    expect(await text(`example-${blocked}`)).toMatch(/^summarize #1 · pending \d/);
    await expect.poll(completed, { timeout: 10_000, interval: 50 }).toBeGreaterThan(before + 5);
    expect(Number(await text("svc-llm-queued").then((t) => t.split(" ")[0]))).toBeLessThan(300);
    expect((await text("reasons")).length).toBeGreaterThan(0);

    const shot = join(tmp, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
    expect(await page.$eval("html", (h) => h.scrollWidth)).toBeLessThanOrEqual(1400);
    expect(problems).toEqual([]);
  }, 30_000);

  it("shows a weighted window in its measure and each key of a service with per", async () => {
    cue = new Cue();
    cue.service("openai", { rate: ["50/min", "1000 tokens/min"], concurrent: 2, per: (work) => (work.params as { apiKey: string }).apiKey });
    cue.task("complete", { uses: "openai", cost: () => ({ tokens: 300 }) }, async (work) => sleep(cue!.clock, 30_000, work.signal));
    dashboard = await serveDashboard(cue, { interval: 100, showParams: true });
    cue.start();
    for (const apiKey of ["sk-alpha", "sk-alpha", "sk-beta"]) await cue.submit("complete", { apiKey });
    await openPage(dashboard.url);
    await waitText("svc-openai-keys", /^per key: 2 keys holding state$/);
    await waitText("svc-openai-key-sk-alpha", /^sk-alpha2\/250\/min 2\/50 · 1000 tokens\/min 600\/1,000$/);
    await waitText("svc-openai-next", /^next start when a slot frees$/); // no window is full; sk-alpha's slots are
    expect(problems).toEqual([]);
  }, 20_000);

  it("shows when each key of a service with per starts next, and the service itself", async () => {
    cue = new Cue();
    cue.service("api", { rate: "2/min", per: (work) => (work.params as { apiKey: string }).apiKey });
    cue.task("call", { uses: "api" }, () => "ok");
    dashboard = await serveDashboard(cue, { interval: 100, showParams: true });
    cue.start();
    for (const apiKey of ["sk-full", "sk-full", "sk-full", "sk-room"]) await cue.submit("call", { apiKey });
    await openPage(dashboard.url);
    // sk-full used its 2 starts a minute and has one work queued: its next start is a minute after the first.
    await waitText("svc-api-key-sk-full", /^sk-full02\/min 2\/2 · next start in \d\d s$/);
    await waitText("svc-api-key-sk-full-next", /^ · next start in \d\d s$/);
    expect(await page.locator('[data-testid="svc-api-key-sk-room-next"]').count()).toBe(0); // it has room
    await waitText("svc-api-key-sk-room", /^sk-room02\/min 1\/2$/);
    const snap = dashboard.snapshot();
    const keys = snap.services[0]!.keys;
    expect(keys.find((k) => k.key === "sk-full")!.nextStartAt).toBeGreaterThan(snap.at + 30_000);
    expect(keys.find((k) => k.key === "sk-room")!.nextStartAt).toBeNull();
    await waitText("svc-api-next", /^room to start now$/); // the service as a whole: sk-room could start
    expect(problems).toEqual([]);
  }, 20_000);

  it("shows a stall with its reason", async () => {
    cue = new Cue({ stallWarnAfter: "300ms" });
    cue.on("stall", () => {});
    cue.task("merge", { ready: () => false }, () => "never");
    dashboard = await serveDashboard(cue, { interval: 100 });
    cue.start();
    await cue.submit("merge");
    await cue.submit("merge");
    await openPage(dashboard.url);
    await waitText("stall-title", /^Stalled: 2 works pending, no progress for \d/);
    expect(await page.locator('[data-testid="stall"]').isVisible()).toBe(true);
    expect(await text("stall-reasons")).toMatch(/^2 not_ready: isReady says no/);
    expect(problems).toEqual([]);
  }, 20_000);

  it("with a token, refuses the page without it and runs live with it", async () => {
    cue = new Cue();
    cue.task("t", async (work) => sleep(cue!.clock, 50, work.signal));
    const token = "a-long-enough-secret-token";
    dashboard = await serveDashboard(cue, { interval: 100, token });
    cue.start();
    expect(await openPage(dashboard.url)).toBe(401);
    await page.close();
    expect(await openPage(`${dashboard.url}?token=${token}`)).toBe(200);
    await waitText("state", /^running$/); // the event stream got the token too
    for (let i = 0; i < 5; i++) await cue.submit("t");
    await waitText("total-completed", /^5$/);
    expect(problems).toEqual([]);
  }, 20_000);

  it("says so when the cue stops and the dashboard closes", async () => {
    cue = new Cue();
    dashboard = await serveDashboard(cue, { interval: 100 });
    cue.start();
    await openPage(dashboard.url);
    await waitText("state", /^running$/);
    await cue.stop();
    await waitText("state", /^closed: the cue stopped$/);
    await dashboard.closed;
    expect(problems).toEqual([]);
  }, 20_000);
});
