// The worker module of examples/workers.ts: its default export is the task's handler, run in a
// worker thread. pbkdf2Sync keeps its thread busy (that is the point: not the cue's thread).
import { pbkdf2Sync } from "node:crypto";

export default function hash(work) {
  if (work.signal.aborted) throw work.signal.reason;
  return pbkdf2Sync(work.params.text, "runcue-example", 100_000, 32, "sha256").toString("hex");
}
