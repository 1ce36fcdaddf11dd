// A rate-limited pipeline with the live dashboard on: fetch each document (a web API at 20/s),
// extract it (an LLM API at 8/s, 5 at a time, with errors, retries and the odd HTTP 429), then
// summarize it once its extract exists. One scan is unreadable: its extract fails for good, so its
// summary waits for an input that never comes, and the dashboard shows the stall and why.
// Run: npm run demo:dashboard   (or: npx tsx examples/dashboard.ts [--port 8080] [--count 200] [--seed 7] [--exit])
import { Cue, Permanent, RateLimited, sleep, type Work } from "runcue";
import { serveDashboard, type Dashboard } from "runcue-dashboard";

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Documents to process. @default 200 */
  count?: number;
  /** The dashboard's port (0: any free one). @default 0 */
  port?: number;
  /** How long without progress counts as a stall. @default "5s" */
  stallAfter?: number | string;
  /** Random source for latencies and errors. @default Math.random */
  random?: () => number;
}

/** A running demo: its cue, its dashboard, and a promise that resolves when only the unreadable document's summary is left. */
export interface Demo {
  cue: Cue;
  dashboard: Dashboard;
  settled: Promise<void>;
}

type Doc = Work<{ doc: number }>;

/** A seeded random source (mulberry32): the same latencies and errors, in the order they are drawn, for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts the pipeline and its dashboard. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const { count = 200, port = 0, stallAfter = "5s", random = Math.random } = options;
  const unreadable = Math.min(13, count);
  const cue = new Cue({ stallWarnAfter: stallAfter });
  cue.service("web", { rate: "20/s", concurrent: 8 });
  cue.service("llm", { rate: "8/s", concurrent: 5 });
  cue.service("disk", { concurrent: 2 });

  // The artifacts: which documents are fetched, extracted and summarized (files, in a real program).
  const fetched = new Set<number>();
  const extracted = new Set<number>();
  const summarized = new Set<number>();
  const latency = (min: number, max: number, work: Doc): Promise<void> => sleep(cue.clock, min + random() * (max - min), work.signal);

  const fetchDoc = cue.task("fetch", { uses: "web", retry: { attempts: 3, delay: "500ms" }, stale: (w: Doc) => !fetched.has(w.params.doc) }, async (work: Doc) => {
    await latency(100, 300, work);
    if (random() < 0.03) throw new Error("ECONNRESET while downloading");
    fetched.add(work.params.doc);
  });
  const extract = cue.task("extract", {
    uses: "llm",
    retry: { attempts: 3, delay: "1s" },
    ready: (w: Doc) => fetched.has(w.params.doc),
    stale: (w: Doc) => !extracted.has(w.params.doc),
  }, async (work: Doc) => {
    await latency(300, 900, work);
    if (work.params.doc === unreadable) throw new Permanent(`document ${unreadable} is an unreadable scan`);
    if (random() < 0.01) throw new RateLimited({ retryAfter: "3s" }); // HTTP 429: the whole service pauses
    if (random() < 0.05) throw new Error("HTTP 500 from the model API");
    extracted.add(work.params.doc);
  });
  const summarize = cue.task("summarize", {
    uses: "disk",
    ready: (w: Doc) => extracted.has(w.params.doc),
    stale: (w: Doc) => !summarized.has(w.params.doc),
  }, async (work: Doc) => {
    await latency(20, 60, work);
    summarized.add(work.params.doc);
  });

  cue.on("fail", () => {}); // the dashboard lists failures; keep the terminal quiet
  cue.on("stall", () => {});
  const dashboard = await serveDashboard(cue, { port, title: "document pipeline (runcue demo)" });
  cue.start();
  // Submitted in reverse: readiness, not submission order, sequences the stages.
  for (let doc = 1; doc <= count; doc++) await summarize.submit({ doc });
  for (let doc = 1; doc <= count; doc++) await extract.submit({ doc });
  for (let doc = 1; doc <= count; doc++) await fetchDoc.submit({ doc });
  const settled = new Promise<void>((resolve) => {
    const check = (): void => {
      // Only the unreadable document's summary is left: nothing runs, nothing else waits (a fetch
      // may still be in a retry delay when the last other summary completes).
      const { running, pending } = cue.status();
      if (summarized.size === count - 1 && running === 0 && pending === 1) resolve();
    };
    cue.on("complete", check);
    cue.on("fail", check);
    cue.on("stall", check);
  });
  return { cue, dashboard, settled };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const port = Number(arg("--port") ?? 0);
  const count = Number(arg("--count") ?? 200);
  const seed = arg("--seed") === undefined ? undefined : Number(arg("--seed"));
  if (!Number.isInteger(port) || port < 0 || !Number.isInteger(count) || count < 1 || (seed !== undefined && !Number.isInteger(seed))) {
    console.error(`usage: npx tsx examples/dashboard.ts [--port N] [--count N] [--seed N] [--exit] (got --port ${String(arg("--port"))}, --count ${String(arg("--count"))}, --seed ${String(arg("--seed"))})`);
    process.exit(2);
  }
  const { cue, dashboard, settled } = await startDemo({ port, count, ...(seed === undefined ? {} : { random: seededRandom(seed) }) });
  console.log(`dashboard: ${dashboard.url}`);
  console.log(`processing ${count} documents; open the page to watch (Ctrl+C to stop)`);
  const stop = async (): Promise<void> => {
    await cue.stop({ timeout: "2s" }); // the dashboard closes when the cue stops
    await dashboard.closed;
  };
  process.once("SIGINT", () => void stop());
  await settled;
  const { totals } = cue.summary();
  console.log(`done: ${totals.completed} completed, ${totals.failed} failed, ${totals.retried} retried; 1 summary waits for the unreadable scan`);
  if (process.argv.includes("--exit")) {
    for (const work of await cue.list({ state: "pending" })) await cue.cancel(work.id);
    await stop();
  } else {
    console.log("the dashboard stays up (it shows the stall and why); Ctrl+C to exit");
  }
}
