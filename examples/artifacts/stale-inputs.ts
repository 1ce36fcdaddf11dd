// Stale inputs with declared artifacts (issue 10): each transform declares its input and output
// file. In "changed" mode runcue records, at each success, a stamp of every input and output
// (size, modification time in ns, inode, and a content hash of small files) in a state file, and
// a work is stale when any differs. So rewriting an input redoes its transform at once, even
// within the same timestamp tick, with no need to date the file into the future; and touching an
// input without changing it redoes nothing.
// Run: npx tsx examples/artifacts/stale-inputs.ts [dir]
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, file, type Work } from "runcue";

/** Transforms `<name>.in` into `<name>.out` (upper case) for each name; returns the names that ran. */
export async function transformAll(dir: string, names: string[]): Promise<string[]> {
  const cue = new Cue({ artifacts: { freshness: "changed", state: join(dir, ".runcue", "state.json") } });
  const ran: string[] = [];
  const transform = cue.task("transform", {
    inputs: { input: file(join(dir, "{name}.in")) },
    outputs: { output: file(join(dir, "{name}.out")) },
  }, (work: Work<{ name: string }>) => {
    ran.push(work.params.name);
    writeFileSync(work.paths.output as string, readFileSync(work.paths.input as string, "utf8").toUpperCase());
  });
  for (const name of names) await transform.submit({ name });
  cue.start();
  await cue.idle();
  await cue.stop();
  return ran.sort();
}

/** Dates a file 10 s ahead without changing its content: by "mtime", it is now newer than its output. */
export function touch(path: string): void {
  const later = Date.now() / 1000 + 10;
  utimesSync(path, later, later);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), "runcue-artifacts-stale-"));
  const names = ["a", "b", "c"];
  for (const n of names) writeFileSync(join(dir, `${n}.in`), `input ${n}`);
  const ran = async (): Promise<string> => (await transformAll(dir, names)).join(" ") || "none";
  console.log(`first run, ran: ${await ran()}`);
  writeFileSync(join(dir, "b.in"), "input b, edited"); // right away: possibly the same mtime tick as b.out
  touch(join(dir, "c.in")); // newer, but the same content
  console.log(`b edited, c touched; ran: ${await ran()}`);
  console.log(`again, ran: ${await ran()}`);
}
