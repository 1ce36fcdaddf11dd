#!/usr/bin/env node
/**
 * The `runcue-sim` command: reads flags, runs the simulation, sets the exit code. A thin
 * adapter; the work happens in the runner.
 */
import { readFileSync } from "node:fs";
import { helpText, parseCommand, scenarioList, UsageError } from "./args.js";
import { resolveConfig } from "./config.js";
import { restoreTerminal } from "./display/frame.js";
import { freshSeed } from "./random.js";
import { runSimulation } from "./runner.js";

/** A closed pipe (`runcue-sim | head`) ends the run quietly instead of crashing. */
function exitOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

/** This package's version, from its package.json (next to dist/ in the repo and when installed). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

async function main(argv: readonly string[]): Promise<number> {
  exitOnClosedPipe(process.stdout);
  exitOnClosedPipe(process.stderr);
  let command;
  try {
    command = parseCommand(argv, process.stdout.isTTY === true, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`runcue-sim: ${error.message} (see --help)\n`);
    return 2;
  }
  if (command.kind === "help") {
    process.stdout.write(helpText());
    return 0;
  }
  if (command.kind === "version") {
    process.stdout.write(`runcue-sim ${version()}\n`);
    return 0;
  }
  if (command.kind === "list") {
    process.stdout.write(scenarioList());
    return 0;
  }
  const config = resolveConfig({ ...command.options, seed: command.seed ?? freshSeed() });
  const interrupt = new AbortController();
  const onSignal = (): void => {
    // A second Ctrl+C leaves at once.
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const summary = await runSimulation(config, { stdout: process.stdout, stderr: process.stderr }, { interrupt: interrupt.signal });
    return summary.exitCode;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    restoreTerminal();
    process.stderr.write(`runcue-sim: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
