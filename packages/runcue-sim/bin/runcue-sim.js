#!/usr/bin/env node
// The `runcue-sim` command. This file is committed so that npm can link the bin when it installs
// the workspace, before the `prepare` script has built dist/ (a bin pointing into dist/ itself was
// skipped by that first install: `runcue-sim: not found`).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("runcue-sim: not built yet (dist/cli.js is missing); run `npm run build` in the runcue repository\n");
  process.exit(1);
}
await import(cli.href);
