import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulate } from "./helpers.js";

/** Debian's chromium (`apt-get install chromium`); `.ci/run` installs it. npm's browser downloads are not used. */
const CHROMIUM = "/usr/bin/chromium";
const present = existsSync(CHROMIUM);
const title = present
  ? "the HTML report rendered in Chromium at 1400 px"
  : `the HTML report rendered in Chromium (SKIPPED: ${CHROMIUM} is absent; install it with apt-get install chromium)`;
if (!present) console.warn(`runcue-sim report test skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const overlaps = (a: Box, b: Box): boolean => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

describe.skipIf(!present)(title, () => {
  const tmp = mkdtempSync(join(tmpdir(), "runcue-sim-browser-"));
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // A pipeline whose api is rate-limited: bursts, waits and full slots all show.
    await simulate({ scenario: "pipeline", count: 300, rate: "120/min", errorRate: 0.05, seed: 3, reportPath: join(tmp, "report.html") });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`file://${join(tmp, "report.html")}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("gives every chart a time axis with a title and its unit, and every value axis a title", async () => {
    const charts = await page.$$eval("svg.chart", (svgs) => svgs.map((svg) => ({
      x: svg.querySelector(".x-title")?.textContent ?? null,
      y: svg.querySelector(".y-title")?.textContent ?? null,
      timeline: svg.classList.contains("timeline"),
    })));
    expect(charts).toHaveLength(4); // timeline, throughput, pending, running
    for (const c of charts) {
      expect(c.x).toMatch(/^time since the start of the run \((ms|s|min|h)\)$/);
      if (!c.timeline) expect(c.y).toMatch(/^(works ended per second|pending works|running works)$/);
    }
  });

  it("puts round ticks on the time axis, and no tick label outside the page or its chart", async () => {
    const axes = await page.$$eval("svg.chart", (svgs) => svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      return {
        svg: { left: box.left, right: box.right, top: box.top, bottom: box.bottom },
        ticks: [...svg.querySelectorAll(".x-tick")].map((t) => {
          const b = t.getBoundingClientRect();
          return { text: t.textContent ?? "", left: b.left, right: b.right, top: b.top, bottom: b.bottom };
        }),
      };
    }));
    for (const { svg, ticks } of axes) {
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      const values = ticks.map((t) => Number(t.text));
      const step = (values[1] as number) - (values[0] as number);
      expect(values[0]).toBe(0);
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      expect([1, 2, 5]).toContain(Number(mantissa.toFixed(6)));
      values.forEach((v, i) => expect(v).toBeCloseTo(i * step, 6));
      for (const t of ticks) {
        expect(t.left, `tick ${t.text}`).toBeGreaterThanOrEqual(svg.left);
        expect(t.right, `tick ${t.text}`).toBeLessThanOrEqual(svg.right);
        expect(t.right).toBeLessThanOrEqual(1400);
        expect(t.bottom).toBeLessThanOrEqual(svg.bottom);
      }
    }
  });

  it("draws each legend beside its plot, never over it", async () => {
    const boxes = await page.$$eval("svg.chart", (svgs) => svgs.map((svg) => {
      const plot = svg.querySelector(".plot-area")?.getBoundingClientRect();
      const legends = [...svg.querySelectorAll(".legend")].map((l) => l.getBoundingClientRect());
      const box = (b: Box | undefined): Box | null => (b === undefined ? null : { left: b.left, right: b.right, top: b.top, bottom: b.bottom });
      return { plot: box(plot), legends: legends.map(box), svgRight: svg.getBoundingClientRect().right };
    }));
    for (const { plot, legends, svgRight } of boxes) {
      expect(plot).not.toBeNull();
      expect(legends.length).toBeGreaterThan(0);
      for (const legend of legends) {
        expect(legend).not.toBeNull();
        expect(overlaps(legend as Box, plot as Box)).toBe(false);
        expect((legend as Box).left).toBeGreaterThanOrEqual((plot as Box).right);
        expect((legend as Box).right).toBeLessThanOrEqual(svgRight);
      }
    }
  });

  it("marks when the rate-limited service waited, with the reason on hover", async () => {
    const marks = await page.$$eval("rect.cond[data-kind=rate_limited]", (rects) => rects.map((r) => ({ width: r.getBoundingClientRect().width, tip: r.getAttribute("data-tip") ?? "" })));
    expect(marks.length).toBeGreaterThan(0);
    for (const m of marks) {
      expect(m.width).toBeGreaterThan(0);
      expect(m.tip).toMatch(/^api rate-limited from [\d:.]+ to [\d:.]+ \(.+\) · rate window full: 120\/min \(120\/120 used\); \d+ works? waiting$/);
    }
    // The longest wait is a minute, less the burst: wide on the page.
    expect(Math.max(...marks.map((m) => m.width))).toBeGreaterThan(100);
    const widest = (await page.$$("rect.cond[data-kind=rate_limited]")).at(0);
    await widest?.hover();
    await expect.poll(async () => ({ shown: await page.isVisible("#tip"), text: await page.textContent("#tip") })).toMatchObject({ shown: true, text: expect.stringMatching(/^api rate-limited from/) });
    const legend = await page.$$eval(".legend .legend-label", (ls) => ls.map((l) => l.textContent ?? ""));
    expect(legend.some((l) => /^rate-limited: \d/.test(l))).toBe(true);
  });

  it("shows no Markdown syntax: no backtick anywhere on the page", async () => {
    const text = await page.innerText("body");
    expect(text.length).toBeGreaterThan(500);
    expect(text).not.toContain("`");
  });

  it("renders the page at 1400 px wide without horizontal scrolling, and a screenshot of it", async () => {
    const width = await page.$eval("html", (html) => html.scrollWidth);
    expect(width).toBeLessThanOrEqual(1400);
    const path = join(tmp, "report.png");
    await page.screenshot({ path, fullPage: true });
    const png = readFileSync(path);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1400); // the IHDR width
  });
});
