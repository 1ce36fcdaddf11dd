// A fresh clone's first `npm ci` (or `npm install`) must link every workspace's bin, so that
// `npx runcue-sim` works at once. npm links bins while it installs, before the `prepare` script
// builds dist/, and it takes each workspace's bin map from package-lock.json: a bin target inside
// dist/, or a lockfile whose bin map is older than package.json, means no link is made
// (`sh: 1: runcue-sim: not found`) until a second install.
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(root, file), "utf8")) as T;

interface Manifest {
  name: string;
  bin?: string | Record<string, string>;
  workspaces?: string[];
}

/** A package's bin map as npm normalizes it: `{ command: path }`, paths without a leading `./`. */
function bins(pkg: Manifest): Record<string, string> {
  const map = typeof pkg.bin === "string" ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
  return Object.fromEntries(Object.entries(map).map(([command, path]) => [command, path.replace(/^\.\//, "")]));
}

const withBins = readJson<Manifest>("package.json")
  .workspaces!.map((dir) => ({ dir, pkg: readJson<Manifest>(join(dir, "package.json")) }))
  .filter(({ pkg }) => Object.keys(bins(pkg)).length > 0);

describe("the repository's own install links every bin", () => {
  it("runcue-sim has a bin", () => {
    expect(withBins.map(({ pkg }) => pkg.name)).toContain("runcue-sim");
  });

  for (const { dir, pkg } of withBins) {
    it(`${pkg.name}: each bin target is a source file (not a build output), executable, with a node shebang`, () => {
      for (const [command, path] of Object.entries(bins(pkg))) {
        const file = join(dir, path);
        const ignored = spawnSync("git", ["check-ignore", "-q", file], { cwd: root });
        expect(ignored.status, `bin ${command} -> ${file} is ignored by git (a build output?): npm cannot link it before the build`).toBe(1);
        expect(readFileSync(join(root, file), "utf8").startsWith("#!/usr/bin/env node\n"), `${file} lacks "#!/usr/bin/env node"`).toBe(true);
        expect(statSync(join(root, file)).mode & 0o111, `${file} is not executable`).not.toBe(0);
      }
    });

    it(`${pkg.name}: package-lock.json has the same bin map as package.json (npm links from the lockfile)`, () => {
      const lock = readJson<{ packages: Record<string, { bin?: Record<string, string> }> }>("package-lock.json");
      expect(lock.packages[dir]?.bin, `package-lock.json is stale for ${dir}: run npm install`).toEqual(bins(pkg));
    });
  }

  it("npx runcue-sim --help runs in the repository", () => {
    const help = spawnSync("npx", ["--no-install", "runcue-sim", "--help"], { cwd: root, encoding: "utf8" });
    expect(help.stderr).toBe("");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: runcue-sim /);
  }, 30_000);
});
