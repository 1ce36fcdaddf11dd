// Each published package's `prepack` (npm runs it on `npm pack` and `npm publish`, in the package's
// directory): a clean build, the files every tarball carries, and a check that every entry point
// package.json names exists, so a tarball can never ship without its code or its types.
//
//   node ../../scripts/prepack.js [--root-readme]
//
// --root-readme: the package's README is the repository's (the library shows the whole guide).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = process.cwd();
const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));

function fail(message) {
  process.stderr.write(`prepack ${pkg.name}: ${message}\n`);
  process.exit(1);
}

// A clean build: files of deleted sources must not linger in dist/ and ship.
rmSync(join(dir, "dist"), { recursive: true, force: true });
rmSync(join(dir, "tsconfig.tsbuildinfo"), { force: true });
let tsc;
try {
  tsc = createRequire(join(dir, "package.json")).resolve("typescript/bin/tsc");
} catch {
  fail("typescript is not installed; run `npm ci` in the repository first");
}
try {
  execFileSync(process.execPath, [tsc, "-b", dir], { stdio: "inherit" });
} catch {
  fail("the TypeScript build failed (errors above)");
}

const shared = ["LICENSE", "CHANGELOG.md", ...(process.argv.includes("--root-readme") ? ["README.md"] : [])];
for (const file of shared) copyFileSync(join(root, file), join(dir, file));

/** Every file path package.json points at: main, types, bin and each target of the exports map. */
function entryPoints(value) {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap(entryPoints);
}
const targets = entryPoints([pkg.main, pkg.types, pkg.bin, pkg.exports]);
if (!targets.some((t) => t.endsWith(".d.ts"))) fail("package.json names no type declarations (types, or a \"types\" export)");
const missing = targets.filter((t) => !existsSync(join(dir, t)));
if (missing.length > 0) fail(`entry points missing after the build: ${missing.join(", ")}`);
for (const file of ["LICENSE", "README.md", "CHANGELOG.md"]) {
  if (!pkg.files?.includes(file)) fail(`"files" in package.json must list ${file}`);
}
