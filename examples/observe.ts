// Watching a cue without touching its handlers: one event map for every lifecycle step, and a
// middleware around every handler call (what tracing and logging packages build on).
// Run it: npx tsx examples/observe.ts
import { Cue, RateLimited, VirtualClock, sleep, type Work } from "runcue";

/** Runs a small rate-limited job on virtual time and returns what the listeners saw. */
export async function observe(): Promise<{ lines: string[]; timings: Map<string, number> }> {
  const clock = new VirtualClock();
  const cue = new Cue({ clock });
  cue.service("api", { rate: "2/s", concurrent: 2 });
  let calls = 0;
  cue.task("fetch", { uses: "api", retry: { attempts: 2, delay: "100ms" } }, async (work: Work<{ page: number }>) => {
    calls++;
    if (calls === 2) throw new RateLimited({ retryAfter: "1s" }); // the server said 429 once
    await sleep(clock, 300, work.signal);
    return `page ${work.params.page}`;
  });

  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(`${String(clock.now()).padStart(5)}ms ${line}`);
  };
  cue.on("submit", ({ work }) => log(`submit ${work.id}`));
  cue.on("start", ({ work }) => log(`start ${work.id} (attempt ${work.attempt})`));
  cue.on("complete", ({ work, durationMs }) => log(`complete ${work.id} in ${durationMs}ms`));
  cue.on("retry", ({ work, delayMs, pushback }) => log(`retry ${work.id} in ${delayMs}ms${pushback ? " (pushback)" : ""}`));
  cue.on("pause", ({ service, until }) => log(`pause ${service} until ${until}ms`));
  cue.on("wait", ({ services, reason, until }) => log(`wait ${services.join("+")} ${reason} until ${until}ms`));
  cue.on("idle", () => log("idle"));

  // Time every handler call, on the cue's clock, without changing any handler.
  const timings = new Map<string, number>();
  cue.use(async ({ work, attempt }, next) => {
    const started = clock.now();
    try {
      return await next();
    } finally {
      timings.set(`${work.id}#${attempt}`, clock.now() - started);
    }
  });

  cue.start();
  for (let page = 1; page <= 4; page++) await cue.submit("fetch", { page });
  await clock.runUntilIdle(() => cue.idle());
  await cue.stop();
  return { lines, timings };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, timings } = await observe();
  for (const line of lines) console.log(line);
  console.log(`handler calls timed by the middleware: ${[...timings].map(([k, ms]) => `${k}=${ms}ms`).join(" ")}`);
}
