import { Cue, VirtualClock, type CueOptions } from "runcue";

/** A cue on a fresh virtual clock starting at t = 0. */
export function virtualCue(options: Omit<CueOptions, "clock"> = {}): { cue: Cue; clock: VirtualClock } {
  const clock = new VirtualClock(0);
  return { cue: new Cue({ ...options, clock }), clock };
}

/** Lets queued macrotasks and promise callbacks run (real time). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The most starts in any window of `interval` (half-open [t, t + interval)). */
export function maxInWindow(starts: number[], interval: number): number {
  const s = [...starts].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < s.length; hi++) {
    while ((s[hi] as number) - (s[lo] as number) >= interval) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** The largest sum of weights in any window of `interval` (half-open), as an observer would add them: `[time, weight]` pairs. */
export function maxWeightInWindow(entries: [number, number][], interval: number): number {
  const s = [...entries].sort((a, b) => a[0] - b[0]);
  let best = 0;
  for (let i = 0; i < s.length; i++) {
    let sum = 0;
    for (let j = i; j < s.length && (s[j] as [number, number])[0] - (s[i] as [number, number])[0] < interval; j++) sum += (s[j] as [number, number])[1];
    best = Math.max(best, sum);
  }
  return best;
}

/**
 * For a package README whose examples must work pasted: the packages its ```ts blocks import
 * (`node:` built-ins aside), and those of them no `npm install ...` line of the README names.
 */
export function importsNotInstalled(readme: string): { imported: Set<string>; missing: string[] } {
  const installed = new Set([...readme.matchAll(/^npm install (.+)$/gm)].flatMap((m) => m[1]!.split("#")[0]!.trim().split(/\s+/)).filter((w) => !w.startsWith("-")));
  const packageOf = (specifier: string): string => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
  const imported = new Set([...readme.matchAll(/```ts\n([\s\S]*?)```/g)].flatMap((m) => [...m[1]!.matchAll(/from "([^"]+)"/g)].map((i) => packageOf(i[1]!))));
  return { imported, missing: [...imported].filter((name) => !name.startsWith("node:") && !installed.has(name)) };
}
