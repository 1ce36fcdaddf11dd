#!/usr/bin/env node
// Regenerates docs/report.png, the README's picture of the HTML report: runs the README's
// "where did the time go?" example on the virtual clock, writes its report, and screenshots it
// in Debian's chromium (apt-get install chromium) at 1400 px wide. Needs `npm run build` first.
//   node packages/runcue-sim/scripts/report-screenshot.mjs [out.png]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { resolveConfig, runSimulation } from "../dist/index.js";

const out = process.argv[2] ?? fileURLToPath(new URL("../docs/report.png", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "runcue-sim-shot-"));
const report = join(dir, "report.html");
const sink = { write: () => true };
// runcue-sim --scenario pipeline -n 300 -r 120/min -e 0.05 --seed 3 --virtual --report report.html
await runSimulation(resolveConfig({ scenario: "pipeline", count: 300, rate: "120/min", errorRate: 0.05, seed: 3, virtual: true, mode: "json", reportPath: report }), { stdout: sink, stderr: sink });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`file://${report}`);
  // Hover over the first rate-limited spell so the picture shows a tooltip with its reason.
  await page.hover("rect.cond[data-kind=rate_limited]");
  await page.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${out}\n`);
