// examples/flows.ts is the README's typed flows example, verbatim; it runs here.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { crawl } from "./flows.js";

describe("examples/flows.ts", () => {
  it("is the README's flows example, verbatim", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /### Task handles, typed cues and flows[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(new URL("./flows.ts", import.meta.url), "utf8"));
  });

  it("fetch then parse, a guess where parsing fails, a 404 that fails only its own chain, a report after the fetches", async () => {
    const lines: string[] = [];
    const found = await crawl({ "/": `<a href="/a"> <a href="/b">`, "/a": `<a href="/">`, "/b": "no links here" }, (line) => lines.push(line));
    expect(found).toEqual(["(guessed from 13 characters)", "/", "/a", "/b", "/direct"]);
    expect(lines.filter((l) => l.includes("failed")).sort()).toEqual([expect.stringMatching(/^fetch \d+ failed: 404 \/missing$/), expect.stringMatching(/^parse \d+ failed: no links$/)]);
    expect(lines).toContain("report: report written");
    expect(lines).toContain("direct parse: /direct");
  });
});
