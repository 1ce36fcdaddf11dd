import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { afterLiveDisplay, ensureBuilt, hasScript, onTerminal } from "./cli-helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "runcue-sim-tty-"));
beforeAll(ensureBuilt, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Colour codes (SGR): ESC [ ... m. */
const SGR = new RegExp(`${String.fromCharCode(27)}\\[[\\d;]*m`);
const width = (line: string): number => [...line].length;
const title = hasScript ? "runcue-sim on a terminal" : "runcue-sim on a terminal (SKIPPED: util-linux script is missing to make a pty)";

describe.skipIf(!hasScript)(title, () => {
  // A fanout whose failed parts block their aggregates: stalls after about a second, stops 2 s later.
  const stalling = ["--scenario", "fanout", "-n", "10", "-e", "0.1", "--seed", "5", "--timeout", "2"];

  it("at 60 columns no line is wider than the terminal and every count stays on screen", async () => {
    const run = await onTerminal(tmp, stalling, { columns: 60, rows: 40, env: { TERM: "xterm-256color" } });
    expect(run.code).toBe(3);
    for (const line of stripVTControlCharacters(run.raw).split("\n")) expect(width(line), line).toBeLessThanOrEqual(60);
    const end = afterLiveDisplay(run.raw);
    for (const count of ["queued 0", "waiting 5", "running 0", "retrying 0", "✓ completed 59", "↷ skipped 0", "✗ failed 6", "65/70", "stopped, 5 pending", "Blocked when the run stopped", "5 pending (not_ready 5)", "✓ 44", "✗ 6"]) {
      expect(end).toContain(count);
    }
    expect(end).toMatch(/service +limit +completed +failed +retried\n/);
    expect(end).not.toMatch(/ETA done|\bdone\b|· finished/);
  });

  it("Ctrl+C during a rate-limit wait: the last frame keeps the wait's reason and says the run was interrupted with work pending", async () => {
    const run = await onTerminal(tmp, ["-r", "5/min", "-n", "20", "-l", "20", "--seed", "1"], { columns: 100, rows: 40, env: { TERM: "xterm-256color" }, ctrlCWhen: "nothing can start for" });
    expect(run.code).toBe(130);
    const end = afterLiveDisplay(run.raw);
    expect(end).toMatch(/Waiting when the run stopped: nothing can start for [\d.]+s, 15 pending \(rate_limited 15\)/);
    expect(end).toContain("work #6 item_0006 and 14 more like it: rate_limited - Service 'api' rate 5/min used (5/5)");
    expect(end).toContain("stopped, 15 pending");
    expect(end).toContain("interrupted (Ctrl+C) with 15 works pending");
    expect(end).not.toMatch(/not started|ETA done|· finished/);
  });

  it("while it waits on a rate window, the ETA is never shorter than the wait", async () => {
    const run = await onTerminal(tmp, ["-r", "5/min", "-n", "20", "-l", "20", "--seed", "1"], { columns: 100, rows: 40, env: { TERM: "xterm-256color" }, ctrlCWhen: "nothing can start for" });
    const text = stripVTControlCharacters(run.raw);
    const frames = text.split("runcue-sim single_queue").slice(1);
    let checked = 0;
    for (const frame of frames) {
      const eta = /ETA (\d+)m (\d+)s/.exec(frame);
      const wait = /nothing can start for ([\d.]+)s/.exec(frame);
      if (eta === null || wait === null) continue;
      checked++;
      expect(Number(eta[1]) * 60 + Number(eta[2])).toBeGreaterThanOrEqual(Number(wait[1]));
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("with TERM=dumb prints plain lines: no escape code, no carriage return", async () => {
    const run = await onTerminal(tmp, ["--scenario", "pipeline", "-n", "60", "-l", "20", "--seed", "2"], { columns: 80, rows: 24, env: { TERM: "dumb" } });
    expect(run.code).toBe(0);
    expect(run.raw).not.toContain("\u001b");
    expect(run.raw).not.toContain("\r");
    expect(run.raw).toMatch(/^\[180\/180\] Q:0 R:0 ✓:180 ✗:0 \(100%\) [\d.]+\/s$/m);
    expect(run.raw).toContain("Results: pipeline · seed 2 · real clock");
  });

  it("--no-color and NO_COLOR drop the colours but keep the live display; without them it is coloured", async () => {
    const args = ["-n", "30", "-l", "20", "--seed", "1"];
    const coloured = await onTerminal(tmp, args, { columns: 100, rows: 40, env: { TERM: "xterm-256color" } });
    expect(coloured.raw).toMatch(SGR);
    for (const run of [
      await onTerminal(tmp, [...args, "--no-color"], { columns: 100, rows: 40, env: { TERM: "xterm-256color" } }),
      await onTerminal(tmp, args, { columns: 100, rows: 40, env: { TERM: "xterm-256color", NO_COLOR: "1" } }),
    ]) {
      expect(run.code).toBe(0);
      expect(run.raw).toContain("\u001b[?1049h"); // still the live display
      expect(run.raw).not.toMatch(SGR);
      expect(afterLiveDisplay(run.raw)).toContain("Results: single_queue");
    }
  });

  it("redraws on a resize: the screen is cleared and later frames fit the new width", async () => {
    // The terminal narrows from 110 to 60 columns 1.5 s into the run (the kernel sends SIGWINCH).
    const run = await onTerminal(tmp, ["--scenario", "pipeline", "-n", "200", "-c", "2", "--seed", "2", "--duration", "3.5"], { columns: 110, rows: 40, env: { TERM: "xterm-256color" }, resizeTo: { columns: 60, afterMs: 1500 } });
    expect(run.code).toBe(0);
    const clear = run.raw.indexOf("\u001b[H\u001b[2J");
    expect(clear).toBeGreaterThan(0);
    const before = stripVTControlCharacters(run.raw.slice(0, clear)).split("\n");
    const after = stripVTControlCharacters(run.raw.slice(clear)).split("\n");
    expect(Math.max(...before.map(width))).toBeGreaterThan(60);
    for (const line of after) expect(width(line), line).toBeLessThanOrEqual(60);
  });
});
