// Issue 10: "work.paths.image, work.paths.text: resolved, typed". Checked by `npm run typecheck`
// (these assertions are types; at run time they do nothing).
import { describe, expectTypeOf, it } from "vitest";
import { Cue, file } from "runcue";

describe("declared artifacts: types", () => {
  it("an unannotated handler's work.paths is typed from template declarations", () => {
    const cue = new Cue();
    cue.task("extract", {
      inputs: { image: file("pages/{page}.png") },
      outputs: { text: file("text/{page}.txt") },
    }, (work) => {
      expectTypeOf(work.paths.image).toEqualTypeOf<string>();
      expectTypeOf(work.paths.text).toEqualTypeOf<string>();
    });
  });

  it("a function of the params types the params, and a list entry is a list of paths", () => {
    const cue = new Cue();
    cue.task("summarize", {
      inputs: (p: { doc: string; pages: number }) => ({ texts: Array.from({ length: p.pages }, (_, i) => file(`text/${i + 1}.txt`)) }),
      outputs: { summary: file("summaries/{doc}.md") },
    }, (work) => {
      expectTypeOf(work.params).toEqualTypeOf<{ doc: string; pages: number }>();
      expectTypeOf(work.paths.texts).toEqualTypeOf<readonly string[]>();
      expectTypeOf(work.paths.summary).toEqualTypeOf<string>();
    });
  });
});
