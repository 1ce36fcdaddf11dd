/** Repetitions that are fair on a noisy machine: every library once per round, rotating the order. */
import { collectGarbage } from "./time.js";

/** One contender: a run that resolves with one figure (usually milliseconds), and an optional warm-up. */
export interface Contender {
  readonly name: string;
  readonly run: () => Promise<number>;
  /** Runs once before the first round so the JIT has seen the code (untimed). */
  readonly warmup?: () => Promise<unknown>;
}

/**
 * Runs `rounds` rounds; in each, every contender once, starting one further along each round so no
 * library always runs first or right after the same neighbour. Collects garbage before every run.
 * Returns every figure per contender name, in round order.
 */
export async function interleave(rounds: number, contenders: readonly Contender[], onRun?: (name: string, round: number, value: number) => void): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (const c of contenders) {
    if (c.warmup === undefined) continue;
    collectGarbage();
    await c.warmup();
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(round + k) % contenders.length] as Contender;
      collectGarbage();
      const value = await c.run();
      (samples.get(c.name) as number[]).push(value);
      onRun?.(c.name, round, value);
    }
  }
  return samples;
}
