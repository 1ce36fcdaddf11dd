/** One start this process made, as Redis recorded it. */
interface Start {
  readonly prefix: string;
  /** Redis time of the commit (ms). */
  readonly at: number;
  /** Recorded costs, `"#=1,tokens=1200"`. */
  costs: string;
  /** How long it counts: the longest window of its scope, plus guards (ms). */
  readonly span: number;
}

/** A slot this process holds: reserved (with its cost) or running. */
interface Holding {
  readonly prefix: string;
  /** The reserved cost while not committed; `""` once started. */
  reserved: string;
}

/** What {@link Journal.payload} sends to the `RESEED` script. */
export interface ReseedPayload {
  starts: [string, string, number, string, number][];
  held: [string, string, string][];
  pauses: [string, number][];
}

/**
 * What this process knows of the shared state it contributed, kept so that it can push it back
 * when Redis loses its state (a restart without persistence, a `FLUSHALL`, a failover to an
 * empty replica) or reaps this process while it was cut off: its starts still inside their
 * windows, with the times Redis gave them; the slots it holds; its pauses.
 * Memory follows the starts inside the longest window (as Redis's own logs do).
 */
export class Journal {
  readonly #starts = new Map<string, Start>();
  readonly #holding = new Map<string, Holding>();
  readonly #pauses = new Map<string, number>();

  /** A lease was granted (a slot, and a reservation of `costs`). */
  granted(lease: string, prefix: string, costs: string): void {
    this.#holding.set(lease, { prefix, reserved: costs });
  }

  /** A lease's start was recorded by Redis at `at` (Redis time). */
  committed(lease: string, prefix: string, at: number, costs: string, span: number): void {
    const held = this.#holding.get(lease);
    if (held !== undefined) held.reserved = "";
    this.#starts.set(lease, { prefix, at, costs, span });
    this.#prune(at);
  }

  /** A started lease reported its real costs. */
  reported(lease: string, actual: Record<string, number>): void {
    const start = this.#starts.get(lease);
    if (start === undefined) return;
    const costs = new Map(start.costs.split(",").map((part) => part.split("=") as [string, string]));
    for (const [m, w] of Object.entries(actual)) if (costs.has(m)) costs.set(m, String(w));
    start.costs = [...costs].map(([m, w]) => `${m}=${w}`).join(",");
  }

  /** A lease ended (released, or cancelled: then its start never happened). */
  freed(lease: string, cancelled: boolean): void {
    this.#holding.delete(lease);
    if (cancelled) this.#starts.delete(lease);
  }

  /** A pause of the scope until `until` (Redis time). */
  paused(prefix: string, until: number): void {
    if (until > (this.#pauses.get(prefix) ?? 0)) this.#pauses.set(prefix, until);
  }

  /** Starts this process holds in its journal (for tests and status). */
  get size(): number {
    return this.#starts.size;
  }

  /** Drops starts whose windows all ended by `now` (Redis time), oldest first. */
  #prune(now: number): void {
    for (const [lease, start] of this.#starts) {
      if (start.at + start.span > now) break;
      this.#starts.delete(lease);
    }
  }

  /** What to push back at Redis time `now`. */
  payload(now: number): ReseedPayload {
    this.#prune(now);
    for (const [prefix, until] of this.#pauses) if (until <= now) this.#pauses.delete(prefix);
    return {
      starts: [...this.#starts].filter(([, s]) => s.at + s.span > now).map(([lease, s]) => [s.prefix, lease, s.at, s.costs, s.span]),
      held: [...this.#holding].map(([lease, h]) => [h.prefix, lease, h.reserved]),
      pauses: [...this.#pauses],
    };
  }
}
