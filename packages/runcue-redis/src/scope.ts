import type { KeyStatus, LimitBlock, WindowStatus } from "runcue";

/**
 * A service name or key as it appears in Redis keys: URI-encoded (so it holds no `:`, `{` or `}`),
 * or, when it is not well-formed UTF-16 (a lone surrogate, which `encodeURIComponent` refuses),
 * `%u` and its code units in hex (never the output of `encodeURIComponent`, so never a collision).
 */
export function encodeKey(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    let hex = "%u";
    for (let i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16).padStart(4, "0");
    return hex;
  }
}

/** One window as the scripts see it. */
export interface WindowSpec {
  measure: string | undefined;
  limit: number;
  intervalMs: number;
  label: string;
}

/**
 * What this process knows of one scope (a service, or one key of a service with `per`): the
 * leases it holds, and the shared state as the last script reply showed it, adjusted by this
 * process's own changes since. The synchronous contract methods answer from it.
 */
export class Scope {
  /** The Redis key prefix of the scope. */
  readonly prefix: string;
  /** The key (`per`, or a claimed submit key) of the scope, undefined for a service's own. */
  readonly key: string | undefined;
  /** Leases reserved and not yet committed or cancelled, oldest first. */
  reserved: string[] = [];
  /** Leases of started works, oldest first (a release frees any one: slots are alike). */
  committed: string[] = [];
  /** The lease reserved for a request (the grant may go to another work of the lane: then any lease). */
  readonly reservedFor = new WeakMap<object, string>();
  /** The lease a started request holds, to settle its `report`. */
  readonly leaseOf = new WeakMap<object, string>();
  /** Slots held across every process, at the last reply, less this process's frees since. */
  held = 0;
  /** Frees sent so far: a reply to an acquire sent before some of them does not count them yet. */
  frees = 0;
  /** Commits sent so far (a reservation became a start: a window full of reservations may fit one now). */
  commits = 0;
  /** Each window's use (starts or units, reservations included) across every process, at the last reply. */
  used: number[] = [];
  /** Until when a pushback pause holds (this process's clock), as last seen. */
  pausedUntil = 0;
  /** Why the last acquisition was refused, while it may still hold. */
  block: LimitBlock | undefined;
  /** True from a failed acquisition (Redis away) until the next reply: the block holds past its `until`. */
  unavailable = false;
  /** Leases granted in a batch, not handed out yet: valid until the end of the tick, then given back. */
  spare: string[] = [];
  /** The reservation (costs) every spare lease holds: only a request of the same cost takes one. */
  spareCost = "";
  /** Leases to ask for in one acquire: doubles while a tick's batch ran out with works still asking, up to 64. */
  batch = 1;
  /** A batch was granted this tick (its spare leases go back at the end of the tick). */
  batchOpen = false;
  /** The lane asked again this tick after the batch ran out. */
  starved = false;

  constructor(prefix: string, key?: string) {
    this.prefix = prefix;
    this.key = key;
  }

  /** Leases this process holds in the scope. */
  get local(): number {
    return this.reserved.length + this.committed.length;
  }

  /**
   * Keeps a batch's other leases for the lane's next works of this tick (handed out without a
   * round trip); at the end of the tick, gives back what is left (`giveBack`) and sizes the next
   * batch: twice as big when the lane still asked for more, as big as what was used when some
   * were left.
   */
  openBatch(spare: string[], costs: string, giveBack: (lease: string) => void): void {
    this.spare.push(...spare);
    this.spareCost = costs;
    if (this.batchOpen) return;
    this.batchOpen = true;
    const granted = spare.length + 1;
    setImmediate(() => {
      const left = this.spare.splice(0);
      for (const l of left) giveBack(l);
      this.batch = left.length > 0 ? Math.max(1, granted - left.length) : this.starved ? Math.min(64, this.batch * 2) : this.batch;
      this.batchOpen = false;
      this.starved = false;
    });
  }

  /** Takes the lease reserved for `request`, else the oldest reserved one. */
  takeReserved(request: object): string | undefined {
    const mine = this.reservedFor.get(request);
    const i = mine === undefined ? -1 : this.reserved.indexOf(mine);
    if (i >= 0) return this.reserved.splice(i, 1)[0];
    return this.reserved.shift();
  }

  /** True when the process holds nothing here and no pause it knows of is running. */
  idle(now: number): boolean {
    return this.local === 0 && this.pausedUntil <= now && (this.block?.until ?? 0) <= now;
  }

  /** Its status: shared use as of the last reply (other processes' starts included). */
  status(windows: readonly WindowSpec[], now: number): Omit<KeyStatus, "key"> {
    const rates: WindowStatus[] = windows.map((w, i) => {
      const used = Math.round((this.used[i] ?? 0) * 1000) / 1000;
      const fits = used + (w.measure === undefined ? 1 : 0) <= w.limit;
      const until = this.block?.until;
      return { limit: w.limit, intervalMs: w.intervalMs, used, label: w.label, measure: w.measure ?? null, nextFreeAt: fits ? now : until !== undefined && until > now ? until : Infinity };
    });
    return { active: this.held, rates, pausedUntil: this.pausedUntil > now ? this.pausedUntil : 0 };
  }
}
