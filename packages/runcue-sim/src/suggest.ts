/**
 * Edit distance (optimal string alignment: insertions, deletions, substitutions and swaps of
 * two neighbours each cost 1), for "did you mean". Fifteen lines; not worth a dependency.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const up = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = d;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The candidate `given` was most likely meant to be: the only one it is a prefix of (at least 3
 * characters), the longest one it starts with, or the nearest within a third of its length (at
 * least 1, case and `-`/`_` aside); undefined when none is close or two are equally close.
 */
export function closest(given: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[-_]/g, "");
  const g = norm(given);
  if (g === "") return undefined;
  const prefixed = candidates.filter((c) => g.length >= 3 && norm(c).startsWith(g));
  if (prefixed.length === 1) return prefixed[0];
  // A known name with something added (`--report-file`): the longest such name.
  const extended = candidates.filter((c) => norm(c).length >= 3 && g.startsWith(norm(c))).sort((a, b) => b.length - a.length);
  if (extended[0] !== undefined) return extended[0];
  const limit = Math.max(1, Math.floor(g.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const c of candidates) {
    const d = editDistance(g, norm(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) {
      tie = true;
    }
  }
  return bestDistance <= limit && !tie ? best : undefined;
}
