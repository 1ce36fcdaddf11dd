// From clone to own project: every published package is packed as a release would pack it, from an
// unbuilt copy of the repository (so `prepack` must build), and the tarballs are installed into a
// new project outside the repository, where a new user's first steps must work: the README's
// TypeScript quick start (type-checked through the `exports` map, run with tsx), the quick start in
// JavaScript, and `npx runcue-sim --help`. TypeScript and tsx come from the repository's
// node_modules by absolute path; npm installs the tarballs' own dependencies from its cache when it
// can (`--prefer-offline`).
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(join(root, "package.json"));
const tsc = require.resolve("typescript/bin/tsc");
const tsxCli = require.resolve("tsx/cli");
/** Files at the repository's root that packing reads (the prepack script copies some into each package). */
const ROOT_FILES = ["package.json", "tsconfig.base.json", "README.md", "LICENSE", "CHANGELOG.md", "scripts"];

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  files?: string[];
  dependencies?: Record<string, string>;
  workspaces?: string[];
}

interface Packed {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

/**
 * The environment for npm and node children: without the variables `npm test` sets for its own
 * script (`npm_config_local_prefix` would point npm back at this repository).
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const k = key.toLowerCase();
    if (k.startsWith("npm_package_") || k.startsWith("npm_lifecycle_") || k === "npm_command" || k === "init_cwd") continue;
    if (["npm_config_local_prefix", "npm_config_call", "npm_config_workspace", "npm_config_workspaces", "npm_config_include_workspace_root", "npm_config_global"].includes(k)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", NODE_OPTIONS: "" };
}

function run(command: string, args: string[], cwd: string, what: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: childEnv(), timeout: 150_000 });
  if (result.error !== undefined || result.status !== 0) {
    const how = result.error !== undefined ? String(result.error) : `exit ${result.status ?? result.signal}`;
    throw new Error(`${what} failed (${how}): ${command} ${args.join(" ")}\n  in ${cwd}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  return result;
}

/** Every file path a package.json points at: main, types, bin and each target of the exports map. */
function entryPoints(value: unknown): string[] {
  if (typeof value === "string") return [value.replace(/^\.\//, "")];
  if (value === null || value === undefined || typeof value !== "object") return [];
  return Object.values(value).flatMap(entryPoints);
}

/**
 * An unbuilt copy of the repository, as a fresh clone would have it after `npm ci` but before any
 * build: the files git tracks or would track (so uncommitted work is tested too), without tests,
 * and a node_modules whose entries link to the repository's, except the workspaces themselves,
 * which link to the copy.
 */
function unbuiltCopy(into: string, published: { dir: string; pkg: PackageJson }[]): void {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ...ROOT_FILES, ...published.map((p) => p.dir)], { cwd: root, encoding: "utf8" });
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${root} (the pack test needs a git checkout): ${listed.stderr}`);
  const files = listed.stdout.split("\0").filter((f) => f !== "" && !f.split("/").includes("test") && existsSync(join(root, f)));
  for (const file of files) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    copyFileSync(join(root, file), join(into, file));
  }
  for (const { dir } of published) {
    if (existsSync(join(into, dir, "dist"))) throw new Error(`${dir}/dist is tracked by git: the copy is not unbuilt`);
  }
  // The root manifest lists only the published workspaces (the others were not copied).
  const rootPkg = readJson<PackageJson>(join(root, "package.json"));
  writeFileSync(join(into, "package.json"), JSON.stringify({ ...rootPkg, workspaces: published.map((p) => p.dir), scripts: {} }, null, 2));

  const modules = join(into, "node_modules");
  mkdirSync(modules);
  const workspaceNames = new Set(readJson<PackageJson>(join(root, "package.json")).workspaces!.map((w) => readJson<PackageJson>(join(root, w, "package.json")).name));
  for (const entry of readdirSync(join(root, "node_modules"))) {
    if (entry.startsWith(".") || workspaceNames.has(entry)) continue;
    symlinkSync(join(root, "node_modules", entry), join(modules, entry));
  }
  for (const { dir, pkg } of published) symlinkSync(relative(modules, join(into, dir)), join(modules, pkg.name));
}

describe("packing and installing into a new project", () => {
  let work = "";
  let project = "";
  const rootPkg = readJson<PackageJson>(join(root, "package.json"));
  const published = rootPkg.workspaces!
    .map((dir) => ({ dir, pkg: readJson<PackageJson>(join(root, dir, "package.json")) }))
    .filter((p) => p.pkg.private !== true);
  let packed: Packed[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "runcue-pack-"));
    const repoCopy = join(work, "repo");
    const tarballs = join(work, "tarballs");
    project = join(work, "project");
    mkdirSync(repoCopy);
    mkdirSync(tarballs);
    mkdirSync(project);
    unbuiltCopy(repoCopy, published);
    // The README's command; npm runs each package's prepack, which builds it.
    const pack = run("npm", ["pack", ...published.flatMap((p) => ["--workspace", p.dir]), "--pack-destination", tarballs, "--json"], repoCopy, "npm pack");
    packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as Packed[];

    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "runcue-pack-check", private: true, type: "module" }, null, 2));
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...packed.map((p) => join(tarballs, p.filename))], project, "npm install of the tarballs");
  }, 240_000);

  // Removing the installed project can take longer than the default 10 s hook timeout on a loaded machine.
  afterAll(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it("packs every published package, runcue and runcue-sim among them", () => {
    expect(published.map((p) => p.pkg.name)).toEqual(expect.arrayContaining(["runcue", "runcue-sim"]));
    expect(packed.map((p) => p.name).sort()).toEqual(published.map((p) => p.pkg.name).sort());
  });

  it("each tarball holds its build, its types, every entry point, LICENSE, README and CHANGELOG, and no tests", () => {
    for (const { pkg } of published) {
      const files = packed.find((p) => p.name === pkg.name)!.files.map((f) => f.path);
      const expected = [...new Set(["package.json", "LICENSE", "README.md", "CHANGELOG.md", ...entryPoints([pkg.main, pkg.types, pkg.bin, pkg.exports])])];
      const missing = expected.filter((f) => !files.includes(f));
      expect(missing, `${pkg.name} tarball lacks ${missing.join(", ")} (has: ${files.join(", ")})`).toEqual([]);
      expect(files.filter((f) => f.startsWith("dist/") && f.endsWith(".js")).length, `${pkg.name}: no dist/*.js`).toBeGreaterThan(0);
      expect(files.filter((f) => f.startsWith("dist/") && f.endsWith(".d.ts")).length, `${pkg.name}: no dist/*.d.ts`).toBeGreaterThan(0);
      expect(files.filter((f) => /(^|\/)test\/|\.test\./.test(f)), `${pkg.name} ships tests`).toEqual([]);
      const installed = join(project, "node_modules", pkg.name);
      expect(readFileSync(join(installed, "LICENSE"), "utf8")).toBe(readFileSync(join(root, "LICENSE"), "utf8"));
      expect(readFileSync(join(installed, "CHANGELOG.md"), "utf8")).toBe(readFileSync(join(root, "CHANGELOG.md"), "utf8"));
    }
  });

  it("source and declaration maps point at files inside the tarball", () => {
    for (const { pkg } of published) {
      const installed = join(project, "node_modules", pkg.name);
      const maps = packed.find((p) => p.name === pkg.name)!.files.map((f) => f.path).filter((f) => f.endsWith(".map"));
      const dangling: string[] = [];
      for (const map of maps) {
        const { sources } = readJson<{ sources: string[] }>(join(installed, map));
        for (const source of sources) if (!existsSync(join(installed, dirname(map), source))) dangling.push(`${map} -> ${source}`);
      }
      expect(dangling, `${pkg.name}: maps pointing outside the tarball`).toEqual([]);
    }
  });

  it("installs one copy of runcue, from its tarball, which runcue-sim's dependency accepts", () => {
    expect(existsSync(join(project, "node_modules", "runcue-sim", "node_modules", "runcue")), "runcue-sim got its own nested runcue: its dependency range does not accept the packed version").toBe(false);
    const lock = readJson<{ packages: Record<string, { resolved?: string; version?: string }> }>(join(project, "package-lock.json"));
    expect(lock.packages["node_modules/runcue"]?.resolved).toMatch(/runcue-\d+\.\d+\.\d+.*\.tgz$/);
    expect(lock.packages["node_modules/runcue"]?.version).toBe(published.find((p) => p.pkg.name === "runcue")!.pkg.version);
  });

  it("the JavaScript quick start runs, then skips everything on a rerun", () => {
    copyFileSync(join(root, "test", "fixtures", "quick-start.mjs"), join(project, "quick-start.mjs"));
    const out = join(project, "out-js");
    mkdirSync(out);
    const first = run(process.execPath, ["quick-start.mjs", out], project, "node quick-start.mjs").stdout.trim().split("\n");
    expect(first).toEqual([1, 2, 3].map((id) => `done ${id}: ${join(out, `page-${id}.txt`)}`));
    const second = run(process.execPath, ["quick-start.mjs", out], project, "node quick-start.mjs (rerun)").stdout.trim().split("\n");
    expect(second).toEqual([1, 2, 3].map((id) => `skipped ${id}: output exists`));
  }, 60_000);

  it("only the exports map's entry points can be imported", () => {
    const deep = spawnSync(process.execPath, ["--input-type=module", "-e", 'await import("runcue/dist/index.js")'], { cwd: project, encoding: "utf8", env: childEnv() });
    expect(deep.status).not.toBe(0);
    expect(deep.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
    const sim = run(process.execPath, ["--input-type=module", "-e", 'const m = await import("runcue-sim"); console.log(typeof m.runSimulation)'], project, "import runcue-sim");
    expect(sim.stdout.trim()).toBe("function");
  }, 60_000);

  it("the README's TypeScript quick start type-checks against the installed types (node16 and bundler resolution) and runs with tsx", () => {
    copyFileSync(join(root, "examples", "quick-start.ts"), join(project, "quick-start.ts"));
    // runcue-sim's library types resolve too (without them this is TS7016 under strict).
    writeFileSync(join(project, "uses-sim.ts"), 'import { runSimulation } from "runcue-sim";\nexport const simulate: typeof runSimulation = runSimulation;\n');
    const compilerOptions = { target: "ES2022", lib: ["ES2022"], strict: true, noEmit: true, types: ["node"], typeRoots: [join(root, "node_modules", "@types")] };
    const resolutions = [
      // The shipped .d.ts files must compile too (skipLibCheck off), checked once: it is the slow part.
      ["node16", { module: "node16", moduleResolution: "node16", skipLibCheck: false }],
      ["bundler", { module: "esnext", moduleResolution: "bundler", skipLibCheck: true }],
    ] as const;
    for (const [name, resolution] of resolutions) {
      writeFileSync(join(project, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...compilerOptions, ...resolution }, files: ["quick-start.ts", "uses-sim.ts"] }, null, 2));
      run(process.execPath, [tsc, "-p", `tsconfig.${name}.json`], project, `tsc with moduleResolution ${name}`);
    }
    const out = join(project, "out-ts");
    mkdirSync(out);
    const first = run(process.execPath, [tsxCli, "quick-start.ts", out], project, "tsx quick-start.ts").stdout.trim().split("\n");
    expect(first).toEqual([1, 2, 3].map((id) => `done ${id}: ${join(out, `page-${id}.txt`)}`));
    const second = run(process.execPath, [tsxCli, "quick-start.ts", out], project, "tsx quick-start.ts (rerun)").stdout.trim().split("\n");
    expect(second).toEqual([1, 2, 3].map((id) => `skipped ${id}: output exists`));
  }, 180_000);

  it("npx runcue-sim --help works in the new project", () => {
    const link = join(project, "node_modules", ".bin", "runcue-sim");
    expect(lstatSync(link).isSymbolicLink(), "npm made no node_modules/.bin/runcue-sim").toBe(true);
    // --no-install: never fetch a package of that name from the registry instead.
    const help = run("npx", ["--no-install", "runcue-sim", "--help"], project, "npx runcue-sim --help");
    expect(help.stdout).toMatch(/^Usage: runcue-sim /);
    expect(help.stderr).toBe("");
  }, 60_000);
});
