// An LLM API with two limits on the same key: 500 requests and 90,000 tokens per minute. Each
// call's tokens are estimated before it starts and reported once the answer says what it used.
// Two API keys share the program; each gets its own budget. Runs on virtual time.
// Run it: npx tsx examples/llm-limits.ts
import { Cue, RateLimited, VirtualClock, sleep, type Work } from "runcue";

interface Prompt {
  apiKey: string;
  text: string;
}

/** Stands in for the provider: answers after 800 ms and says how many tokens it used. */
async function callApi(prompt: Prompt, clock: VirtualClock, signal: AbortSignal): Promise<{ text: string; usage: { total_tokens: number } }> {
  await sleep(clock, 800, signal);
  const used = Math.round(prompt.text.length / 4) + 600; // the answer's tokens count too
  return { text: `summary of ${prompt.text.length} characters`, usage: { total_tokens: used } };
}

/** A rough estimate before the call: prompt tokens plus the longest answer we allow. */
const estimate = (prompt: Prompt): number => Math.ceil(prompt.text.length / 4) + 1000;

export async function runLlm(prompts: Prompt[]): Promise<{ byKey: Record<string, number>; minutes: number; tokensPerKey: Record<string, number> }> {
  const clock = new VirtualClock();
  const cue = new Cue({ clock });
  const openai = cue.service("openai", {
    rate: ["500/min", "90000 tokens/min"], // a window may count a measure instead of starts
    concurrent: 20,
    burst: 10, // at most 10 starts in any 1.2 s: the server sees no burst of 500
    per: (work) => (work.params as Prompt).apiKey, // each key has its own budget
  });
  const tokensPerKey: Record<string, number> = {};
  const complete = cue.task("complete", { uses: "openai", cost: (work: Work<Prompt>) => ({ tokens: estimate(work.params) }) }, async (work: Work<Prompt>) => {
    const res = await callApi(work.params, clock, work.signal);
    if (res.usage.total_tokens < 0) throw RateLimited.fromResponse({ status: 429, headers: { "retry-after": "20" } });
    work.report({ tokens: res.usage.total_tokens }); // settle the estimate: refund the difference
    tokensPerKey[work.params.apiKey] = (tokensPerKey[work.params.apiKey] ?? 0) + res.usage.total_tokens;
    return res.text;
  });
  const byKey: Record<string, number> = {};
  complete.on("complete", ({ work }) => {
    const key = work.params.apiKey;
    byKey[key] = (byKey[key] ?? 0) + 1;
  });
  cue.start();
  for (const prompt of prompts) await complete.submit(prompt);
  await clock.runUntilIdle(() => cue.idle());
  const status = openai.status();
  await cue.stop();
  if (status.keys === undefined) throw new Error("expected per-key status");
  return { byKey, minutes: Math.ceil(clock.now() / 60_000), tokensPerKey };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const prompts = Array.from({ length: 240 }, (_, i) => ({ apiKey: i % 3 === 0 ? "key-b" : "key-a", text: "x".repeat(2000 + (i % 7) * 500) }));
  const { byKey, minutes, tokensPerKey } = await runLlm(prompts);
  console.log(`completed per key: ${JSON.stringify(byKey)} in ${minutes} virtual minute(s); tokens used: ${JSON.stringify(tokensPerKey)}`);
}
