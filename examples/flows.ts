// Work whose product is a value, not a file: typed task handles, a pipeline (`then`), a fallback
// (`otherwise`), a completion dependency (`after`), `run` for a result, and a typed cue whose
// checks and listeners narrow params and result by task name, without a single cast.
// Run: npx tsx examples/flows.ts
import { Cue, Permanent, type Work } from "runcue";

export async function crawl(pages: Record<string, string>, print: (line: string) => void = console.log): Promise<string[]> {
  const cue = new Cue();
  cue.service("http", { rate: "20/s", concurrent: 4 });

  const fetchPage = cue.task("fetch", { uses: "http" }, async (work: Work<{ url: string }>) => {
    const html = pages[work.params.url];
    if (html === undefined) throw new Permanent(`404 ${work.params.url}`);
    return { html };
  });
  const parse = cue.task("parse", (work: Work<{ html: string }>) => {
    const links = [...work.params.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1] as string);
    if (links.length === 0) throw new Permanent("no links");
    return { links };
  });
  const guess = cue.task("guess", (work: Work<{ html: string }>) => ({ links: [`(guessed from ${work.params.html.length} characters)`] }));
  const report = cue.task("report", () => "report written");

  // The same cue, typed with its tasks: listeners and checks narrow by task name.
  const typed = cue.typed(fetchPage, parse, guess, report);
  const found: string[] = [];
  typed.on("complete", ({ work }) => {
    if (work.task === "parse" || work.task === "guess") found.push(...(work.result?.links ?? []));
  });
  typed.on("fail", ({ work, error }) => print(`${work.task} ${work.id} failed: ${error.message}`));

  cue.start();
  const ids: string[] = [];
  for (const url of Object.keys(pages).concat("/missing")) {
    // fetch, then parse its html; if parsing fails, guess instead (same params).
    ids.push(await fetchPage.submit({ url }, {
      then: [parse, ({ result }) => ({ html: result.html }), { otherwise: [guess] }],
    }));
  }
  // The report waits for every fetch; one 404 fails it with a DependencyError.
  const reportId = await report.submit(undefined, { after: ids.slice(0, -1) });
  print(`report: ${await report.run(undefined, { after: [reportId] })}`);
  // run(): submit and wait for the result, typed.
  const { links } = await parse.run({ html: `<a href="/direct">` });
  print(`direct parse: ${links.join(", ")}`);
  await cue.idle();
  await cue.stop();
  print(`links: ${found.sort().join(", ")}`);
  return found;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await crawl({ "/": `<a href="/a"> <a href="/b">`, "/a": `<a href="/">`, "/b": "no links here" });
}
