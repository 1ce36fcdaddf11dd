import type { Work } from "runcue";
import type { Random } from "../random.js";
import { simulate, type Scenario } from "./scenario.js";

/** Chance that a `check` invalidates some of its document's API artifacts. */
export const REBUILD_CHANCE = 0.2;

interface Doc {
  id: string;
  api: string[];
  local: string[];
}

interface Plan {
  docs: Doc[];
  api: string[];
  local: string[];
  /** The API artifact a local artifact is derived from, if any. */
  localDependsOn: Map<string, string>;
}

function id(prefix: string, n: number): string {
  return `${prefix}_${String(n).padStart(3, "0")}`;
}

/** Which artifacts each document needs; only needed artifacts exist. Arrays, not sets, so the order is the seed's. */
function planDocuments(count: number, rng: Random): Plan {
  const apiPool = Array.from({ length: Math.max(2 * count, 10) }, (_, i) => id("api", i + 1));
  const localPool = Array.from({ length: Math.max(2 * count, 8) }, (_, i) => id("local", i + 1));
  const docs = Array.from({ length: count }, (_, i) => ({
    id: id("doc", i + 1),
    api: rng.sample(apiPool, rng.int(2, 4)),
    local: rng.sample(localPool, rng.int(1, 3)),
  }));
  const api = [...new Set(docs.flatMap((d) => d.api))];
  const local = [...new Set(docs.flatMap((d) => d.local))];
  const localDependsOn = new Map<string, string>();
  for (const artifact of local) if (rng.chance(0.3)) localDependsOn.set(artifact, rng.pick(api));
  return { docs, api, local, localDependsOn };
}

interface Fetch {
  artifact: string;
  /** How many times this artifact has been fetched before (0 the first time). */
  round: number;
}

interface DocRound {
  doc: string;
  /** Which publish of the document this is (0 the first time). */
  round: number;
}

/**
 * Documents that need several API and local artifacts, a `publish` per document and a `check`
 * that sometimes invalidates 1–2 of the document's API artifacts: they are refetched and the
 * document republished (rebuild cycles). Invalidation does not cascade to derived local
 * artifacts or to other documents already verified. A fetch that fails for good (3 attempts)
 * leaves the documents that need it blocked.
 */
export const dynamic: Scenario = {
  name: "dynamic",
  description: "Documents needing API and local artifacts; checks invalidate artifacts, causing rebuild cycles",
  setup(ctx) {
    const { config } = ctx;
    const plan = planDocuments(config.count, ctx.random("dynamic:plan"));
    const docs = new Map(plan.docs.map((d) => [d.id, d]));
    const valid = new Set<string>();
    const published = new Set<string>();
    const fetches = new Map<string, number>();

    ctx.service("api", { concurrent: config.concurrent, ...(config.rate === undefined ? {} : { rate: config.rate }) });
    ctx.service("local", { concurrent: 2 * config.concurrent });
    ctx.service("publisher", { concurrent: 2 });
    ctx.service("checker", { concurrent: 1 });

    const retryDelay = Math.max(50, 2 * config.latencyMs);
    const apiFetch = ctx.task("api_fetch", {
      uses: "api",
      retry: { attempts: 3, delay: retryDelay, jitter: 0.2 },
      stale: (w: Work<Fetch>) => !valid.has(w.params.artifact),
    }, async (w: Work<Fetch>) => {
      const { artifact, round } = w.params;
      const result = await simulate(ctx, ctx.random(`api_fetch:${artifact}:${round}:${w.attempt}`), w.signal, { error: `API error fetching ${artifact}` });
      valid.add(artifact);
      return result;
    });

    const localProcess = ctx.task("local_process", {
      uses: "local",
      ready: (w: Work<{ artifact: string }>) => {
        const dep = plan.localDependsOn.get(w.params.artifact);
        return dep === undefined || valid.has(dep);
      },
      stale: (w: Work<{ artifact: string }>) => !valid.has(w.params.artifact),
    }, async (w: Work<{ artifact: string }>) => {
      const { artifact } = w.params;
      const result = await simulate(ctx, ctx.random(`local_process:${artifact}:${w.attempt}`), w.signal, { scale: 0.2, outliers: false, errorRate: 0.3 * config.errorRate, error: `Local error processing ${artifact}` });
      valid.add(artifact);
      return result;
    });

    /** Resolves false when a fetch of this artifact was already pending (the dedupe key joined it). */
    const submitFetch = async (artifact: string): Promise<boolean> => {
      const round = fetches.get(artifact) ?? 0;
      const { created } = await ctx.submit(apiFetch, { artifact, round }, artifact, { key: `api_fetch:${artifact}` });
      if (created) fetches.set(artifact, round + 1);
      return created;
    };

    const check = ctx.task("check", { uses: "checker", ready: (w: Work<DocRound>) => published.has(w.params.doc) }, async (w: Work<DocRound>) => {
      const { doc, round } = w.params;
      const rng = ctx.random(`check:${doc}:${round}:${w.attempt}`);
      const result = await simulate(ctx, rng, w.signal, { scale: 0.3, outliers: false, errorRate: 0 });
      const needs = (docs.get(doc) as Doc).api;
      if (needs.length === 0 || !rng.chance(REBUILD_CHANCE)) return { ...result, note: "verified" };
      const stale = rng.sample(needs, rng.int(1, Math.min(2, needs.length)));
      for (const artifact of stale) {
        valid.delete(artifact);
        ctx.invalidated(w, artifact);
      }
      published.delete(doc);
      // The refetches, a publish and its check; a refetch already pending is shared.
      ctx.plan(stale.length, "api_fetch");
      ctx.plan(1, "publish");
      ctx.plan(1, "check");
      for (const artifact of stale) if (!(await submitFetch(artifact))) ctx.plan(-1, "api_fetch");
      await ctx.submit(publish, { doc, round: round + 1 }, doc);
      return { ...result, note: `rebuild: ${stale.join(", ")}` };
    });

    const publish = ctx.task("publish", {
      uses: "publisher",
      ready: (w: Work<DocRound>) => {
        const d = docs.get(w.params.doc) as Doc;
        return d.api.every((a) => valid.has(a)) && d.local.every((l) => valid.has(l));
      },
      stale: (w: Work<DocRound>) => !published.has(w.params.doc),
    }, async (w: Work<DocRound>) => {
      const { doc, round } = w.params;
      const result = await simulate(ctx, ctx.random(`publish:${doc}:${round}:${w.attempt}`), w.signal, { scale: 0.5, outliers: false, errorRate: 0 });
      published.add(doc);
      await ctx.submit(check, { doc, round }, doc);
      return result;
    });

    const failures = new Map<string, string>();
    ctx.cue.onFailure((w, error) => {
      if (w.task === "api_fetch" || w.task === "local_process") failures.set((w.params as { artifact: string }).artifact, error.message);
    });
    const describe = (artifact: string): string => {
      const failure = failures.get(artifact);
      return failure === undefined ? artifact : `${artifact} (failed: ${failure})`;
    };
    ctx.explain((w) => {
      if (w.task === "local_process") {
        const dep = plan.localDependsOn.get((w.params as { artifact: string }).artifact);
        return dep === undefined ? undefined : `waiting for ${describe(dep)}`;
      }
      if (w.task === "publish") {
        const d = docs.get((w.params as DocRound).doc) as Doc;
        const missing = [...d.api, ...d.local].filter((a) => !valid.has(a));
        return `${d.id} waiting for ${missing.map(describe).join(", ")}`;
      }
      return undefined;
    });
    ctx.plan(plan.api.length, "api_fetch");
    ctx.plan(plan.local.length, "local_process");
    ctx.plan(plan.docs.length, "publish");
    ctx.plan(plan.docs.length, "check");
    return [
      ...plan.api.map((artifact) => () => submitFetch(artifact)),
      ...plan.local.map((artifact) => () => ctx.submit(localProcess, { artifact }, artifact)),
      ...plan.docs.map((d) => () => ctx.submit(publish, { doc: d.id, round: 0 }, d.id)),
    ];
  },
};
