#!/usr/bin/env node
// Regenerates the README's pictures of the dashboard: starts `npm run demo:dashboard` (the
// document pipeline in examples/dashboard.ts), opens the page in Debian's chromium
// (apt-get install chromium) at 1400 px wide, and takes docs/dashboard.png while the pipeline is
// busy and docs/dashboard-stall.png once only the unreadable scan's summary is left. Needs
// `npm run build` first. Takes about a minute. The demo draws its latencies and errors from seed 7.
//   node packages/runcue-dashboard/scripts/screenshot.mjs
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const docs = fileURLToPath(new URL("../docs/", import.meta.url));
const demo = spawn(process.execPath, ["--import", "tsx", "examples/dashboard.ts", "--count", "200", "--seed", "7"], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
let out = "";
const url = await new Promise((resolve, reject) => {
  demo.stdout.on("data", (chunk) => {
    out += chunk;
    const m = /^dashboard: (\S+)$/m.exec(out);
    if (m) resolve(m[1]);
  });
  demo.once("exit", (code) => reject(new Error(`the demo exited (${code}) before printing its address:\n${out}`)));
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  await page.waitForTimeout(6000); // a few retries and failures to show
  // Busy: the LLM's rate window full, with the time its next start frees.
  const note = page.locator('[data-testid="svc-llm-rate-0-note"]');
  const until = Date.now() + 60_000;
  while (Date.now() < until && !/next start in/.test((await note.textContent({ timeout: 1000 }).catch(() => "")) ?? "")) await page.waitForTimeout(50);
  await page.screenshot({ path: `${docs}dashboard.png`, fullPage: true });
  await page.locator('[data-testid="stall"].on').waitFor({ timeout: 120_000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${docs}dashboard-stall.png`, clip: { x: 0, y: 0, width: 1400, height: 560 } });
} finally {
  await browser.close();
  demo.kill("SIGINT");
  await once(demo, "exit");
}
process.stdout.write(`${docs}dashboard.png\n${docs}dashboard-stall.png\n`);
