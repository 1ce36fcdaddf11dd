import { availableParallelism } from "node:os";
import { Cue } from "runcue";

const cue = new Cue();
cue.service("cpu", { concurrent: availableParallelism() });
// No handler argument: hash-worker.mjs's default export is the handler, run in worker threads.
const hash = cue.task<{ text: string }, string>("hash", {
  uses: "cpu",
  worker: new URL("./hash-worker.mjs", import.meta.url),
  // isolation: "process",  // the same module in child processes instead
  timeout: "30s",
});

const digests: string[] = [];
hash.on("complete", ({ work, result }) => {
  digests.push(`${work.params.text} ${result.slice(0, 16)}`);
});
cue.on("fail", ({ work, error }) => console.error(`${work.id} failed: ${error.message}`));

cue.start();
for (const text of ["alpha", "beta", "gamma", "delta"]) await hash.submit({ text });
await cue.idle();
await cue.stop(); // ends the pool's threads: the program exits by itself
console.log(digests.sort().join("\n"));
