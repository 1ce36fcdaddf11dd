import type { JointAcquire, Limiter } from "runcue";
import type { Link } from "./link.js";
import type { AcquirePart, LimitRequest, PartLimiter } from "./part.js";
import { ACQUIRE } from "./scripts.js";

/**
 * Acquires through Redis: one `ACQUIRE` script call for every limiter of a lane (each service,
 * each `per` key, a submit key's claim), granted in all or in none, so no process ever holds a
 * slot of one service while another refuses. A lone limiter's `tryAcquire` is the same call
 * with one part. One per store: every limiter of the store has it as its `joint`.
 */
export class Acquirer implements JointAcquire {
  readonly #link: Link;
  readonly #retryMs: number;

  /** @param retryMs how soon to ask again when pushing this process's state back failed. */
  constructor(link: Link, retryMs: number) {
    this.#link = link;
    this.#retryMs = retryMs;
  }

  tryAcquire(now: number, limiters: readonly Limiter[], keys: readonly (string | undefined)[], request: LimitRequest): true | Promise<true | number> {
    const parts = limiters as unknown as readonly PartLimiter[];
    // Spare leases of this cost in every part (a batch granted earlier this tick): no round trip.
    if (parts.every((l, i) => l.spare(keys[i], request, true))) {
      parts.forEach((l, i) => l.spare(keys[i], request, false));
      return true;
    }
    const link = this.#link;
    const asks = parts.map((l, i) => l.part(keys[i], request));
    const batch = Math.min(...asks.map((a) => a.batch));
    const args = [link.time(now), link.clientId, String(link.leaseMs), link.epoch, link.fresh(), String(asks.length), String(batch)];
    const scriptKeys = [link.ns];
    for (const a of asks) {
      scriptKeys.push(...a.keys);
      args.push(...a.args);
    }
    const sent = performance.now();
    return link.call(ACQUIRE, scriptKeys, args).then(
      (reply) => this.#answer(asks, request, now, reply as (string | number)[], sent),
      (error: unknown) => Math.max(...asks.map((a) => a.limiter.unavailable(a, now, error))),
    );
  }

  #answer(asks: AcquirePart[], request: LimitRequest, asked: number, reply: (string | number)[], sent: number): true | number | Promise<number> {
    const [granted, reason, retryAt, serverNow, epoch, at, ...sections] = reply;
    const link = this.#link;
    const now = link.serverTime ? (asks[0] as AcquirePart).limiter.now() : asked;
    // Server times become this process's times as durations from the reply (no clock compare).
    const local = (t: number): number => now + (t - Number(serverNow));
    link.sawTime(Number(serverNow));
    const stale = link.sawEpoch(String(epoch), String(reason));
    if (reason === "stale" || reason === "reseeding") {
      const until = Math.max(local(Number(retryAt)), asked + 1e-3);
      for (const a of asks) a.limiter.reseeding(a, until, now);
      // Stale: this process pushes its own state first, then waits out the period.
      return stale === undefined ? until : stale.then(() => until, () => now + this.#retryMs);
    }
    if (reason === "conflict") {
      const a = asks[Number(at) - 1] as AcquirePart;
      return a.limiter.conflicted(a, String(retryAt), now);
    }
    let i = 0;
    for (const a of asks) {
      const held = Number(sections[i++]);
      const n = Number(sections[i++]);
      a.limiter.saw(a, held, sections.slice(i, i + n).map(Number));
      i += n;
    }
    const count = Number(granted);
    if (count >= 1) {
      // Self-fencing: a grant that took most of a lease to arrive (an event-loop stall, a frozen
      // Redis) may belong to a process already reaped: give it back and ask again.
      if (link.serverTime && performance.now() - sent > link.leaseMs / 2) {
        for (const a of asks) a.limiter.givenBack(a, count, request);
        return now + 1e-3;
      }
      for (const a of asks) a.limiter.granted(a, count, request);
      return true;
    }
    const a = asks[Number(at) - 1] as AcquirePart;
    return a.limiter.refused(a, String(reason), Number(retryAt), asked, now, local);
  }
}
