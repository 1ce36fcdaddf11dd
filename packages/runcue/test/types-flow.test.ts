// Type tests: `npm run typecheck` compiles this file; each @ts-expect-error must be an error,
// so a type that stops catching a wrong param fails the typecheck. The statements are compiled,
// never run (each test's body is a function that is type-checked and not called): submitting a
// wrong param or an unknown task on purpose would only make rejections at run time.
import { describe, expectTypeOf, it } from "vitest";
import { Cue, type NamedWork, type TaskHandle, type TasksOf, type Work } from "runcue";

/** Type-checks `body` without running it. */
function typeOnly(body: () => void): void {
  expectTypeOf(body).toBeFunction();
}

function setup() {
  const cue = new Cue();
  cue.service("http", { concurrent: 2 });
  const fetchPage = cue.task("fetch", { uses: "http" }, async (work: Work<{ url: string }>) => ({ html: `<p>${work.params.url}</p>` }));
  const parse = cue.task("parse", async (work: Work<{ html: string }>) => ({ links: [work.params.html] }));
  const ping = cue.task("ping", () => "pong");
  const count = cue.task("count", (work: Work<{ links: string[] }>) => work.params.links.length);
  return { cue, fetchPage, parse, ping, count };
}

describe("types that follow the work", () => {
  it("a handle carries its name, params and result; submit, run, wait and on are typed", () => {
    typeOnly(() => {
      const { fetchPage, ping } = setup();
      expectTypeOf(fetchPage).toEqualTypeOf<TaskHandle<{ url: string }, { html: string }, "fetch">>();
      expectTypeOf(fetchPage.run({ url: "u" })).resolves.toEqualTypeOf<{ html: string }>();
      expectTypeOf(fetchPage.wait("1")).resolves.toEqualTypeOf<NamedWork<"fetch", { url: string }, { html: string }>>();
      expectTypeOf<Awaited<ReturnType<typeof fetchPage.wait>>["result"]>().toEqualTypeOf<{ html: string } | undefined>();
      fetchPage.on("complete", ({ work, result }) => {
        expectTypeOf(work.params).toEqualTypeOf<{ url: string }>();
        expectTypeOf(result).toEqualTypeOf<{ html: string }>();
      });
      void ping.submit(); // no params needed
      void ping.run();
      // @ts-expect-error a wrong param is an error through the handle
      void fetchPage.submit({ link: "u" });
      // @ts-expect-error params are required when the handler takes them
      void fetchPage.submit();
      // @ts-expect-error run checks params too
      void fetchPage.run({ url: 1 });
    });
  });

  it("then, otherwise: mappings are typed from both tasks; a mismatched step is an error", () => {
    typeOnly(() => {
      const { fetchPage, parse, count } = setup();
      void fetchPage.submit({ url: "u" }, { then: [parse, ({ result }) => ({ html: result.html })] });
      void fetchPage.submit({ url: "u" }, { then: [parse, ({ result }) => ({ html: result.html }), { then: [count] }] });
      void parse.submit({ html: "" }, { otherwise: [parse] });
      void parse.submit({ html: "" }, { then: [count] }); // parse's result { links } is count's params
      // @ts-expect-error fetch's result { html } is not count's params { links }
      void fetchPage.submit({ url: "u" }, { then: [count] });
      // @ts-expect-error the mapping must return parse's params
      void fetchPage.submit({ url: "u" }, { then: [parse, ({ result }) => ({ htm: result.html })] });
      // @ts-expect-error a chained step is checked against the task before it
      void fetchPage.submit({ url: "u" }, { then: [parse, ({ result }) => ({ html: result.html }), { then: [parse] }] });
      // @ts-expect-error a fallback gets the same params: it must take them
      void parse.submit({ html: "" }, { otherwise: [count] });
      void fetchPage.submit({ url: "u" }, { after: ["1", "2"] });
    });
  });

  it("a typed cue narrows params and result by task name in checks, listeners, get, wait, list and submit", () => {
    typeOnly(() => {
      const { cue: base, fetchPage, parse, ping } = setup();
      const cue = base.typed(fetchPage, parse, ping);
      expectTypeOf(cue).toEqualTypeOf<Cue<TasksOf<[typeof fetchPage, typeof parse, typeof ping]>>>();
      cue.isReady((work) => {
        if (work.task === "fetch") expectTypeOf(work.params).toEqualTypeOf<{ url: string }>();
        else if (work.task === "parse") expectTypeOf(work.params).toEqualTypeOf<{ html: string }>();
        else expectTypeOf(work.task).toEqualTypeOf<"ping">();
        return true;
      });
      cue.isStale((work) => work.task !== "fetch" || work.params.url.length > 0);
      cue.on("complete", ({ work }) => {
        if (work.task === "parse") expectTypeOf(work.result).toEqualTypeOf<{ links: string[] } | undefined>();
        if (work.task === "ping") expectTypeOf(work.result).toEqualTypeOf<string | undefined>();
      });
      cue.on("fail", ({ work }) => {
        // @ts-expect-error "fetch" has no param `html`
        if (work.task === "fetch") void work.params.html;
      });
      void cue.wait("1").then((work) => {
        if (work.task === "fetch") expectTypeOf(work.result).toEqualTypeOf<{ html: string } | undefined>();
      });
      void cue.get("1").then((work) => expectTypeOf(work).toEqualTypeOf<Work<{ url: string }, { html: string }> & { readonly task: "fetch" } | Work<{ html: string }, { links: string[] }> & { readonly task: "parse" } | Work<unknown, string> & { readonly task: "ping" } | undefined>());
      void cue.list().then((works) => works.map((w) => w.task)).then((names) => expectTypeOf(names).toEqualTypeOf<("fetch" | "parse" | "ping")[]>());
      void cue.submit("fetch", { url: "u" });
      void cue.submit("ping");
      // @ts-expect-error a wrong param is an error through the typed cue
      void cue.submit("fetch", { html: "u" });
      // @ts-expect-error an unknown task name is an error through the typed cue
      void cue.submit("nope", {});
    });
  });

  it("an untyped cue keeps working: unknown params, any task name", () => {
    typeOnly(() => {
      const cue = new Cue();
      cue.isReady((work) => {
        expectTypeOf(work).toEqualTypeOf<Work>();
        return true;
      });
      void cue.submit("anything", { a: 1 });
      void cue.submit("anything");
      cue.on("complete", ({ result }) => {
        expectTypeOf(result).toEqualTypeOf<unknown>();
      });
    });
  });
});
