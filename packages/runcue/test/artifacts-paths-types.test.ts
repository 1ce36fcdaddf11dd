// Issue 10: "work.paths.image, work.paths.text: resolved, typed". The overload of cue.task() for
// declared artifacts says "an unannotated handler's work.paths is typed from them". This compiles
// a small program with tsc (strict, the repository's settings) and expects no errors.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

const PROGRAM = `import { Cue, file } from "runcue";
const cue = new Cue();
// Templates: the handler is not annotated, so work.paths comes from the declarations.
cue.task("extract", {
  inputs: { image: file("pages/{page}.png") },
  outputs: { text: file("text/{page}.txt") },
}, async (work) => {
  const image: string = work.paths.image;
  const text: string = work.paths.text;
  void image; void text;
});
// A function of the params: params typed from it, and a list entry is a list of paths.
cue.task("summarize", {
  inputs: (p: { doc: string; pages: number }) => ({ texts: Array.from({ length: p.pages }, (_, i) => file(\`text/\${i + 1}.txt\`)) }),
  outputs: { summary: file("summaries/{doc}.md") },
}, async (work) => {
  const texts: readonly string[] = work.paths.texts;
  const summary: string = work.paths.summary;
  const doc: string = work.params.doc;
  void texts; void summary; void doc;
});
`;

it("an unannotated handler's work.paths is typed from its declared inputs and outputs", () => {
  const dir = mkdtempSync(join(tmpdir(), "runcue-paths-types-"));
  try {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(dir, "program.ts"), PROGRAM);
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      extends: join(repo, "tsconfig.base.json"),
      compilerOptions: { noEmit: true, typeRoots: [join(repo, "node_modules/@types")], paths: { runcue: [join(repo, "packages/runcue/src/index.ts")] }, allowImportingTsExtensions: true },
      include: ["program.ts"],
    }));
    const r = spawnSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { encoding: "utf8", timeout: 60_000, cwd: dir });
    expect(r.stdout, "tsc errors").toBe("");
    expect(r.status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
