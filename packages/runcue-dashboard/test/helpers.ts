// Reads a dashboard's server-sent events with Node's fetch: each frame parsed into its fields.
import type { DashboardSnapshot } from "../src/index.js";

/** One server-sent event. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
  /** `retry:` when the frame set one. */
  retry: number | undefined;
  /** When it arrived (performance.now()). */
  receivedAt: number;
}

/** An open event stream: events arrive in `events`; `next()` waits for the next one matching. */
export class EventStream {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  readonly #controller = new AbortController();
  #waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void; reject: (e: Error) => void }[] = [];
  #ended = false;
  status = 0;

  static async open(url: string, init: RequestInit = {}): Promise<EventStream> {
    const stream = new EventStream();
    const res = await fetch(url, { ...init, signal: stream.#controller.signal });
    stream.status = res.status;
    if (res.ok && res.body) void stream.#read(res.body);
    return stream;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          this.#frame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // aborted by close()
    }
    this.#ended = true;
    for (const w of this.#waiters) w.reject(new Error("the event stream ended"));
    this.#waiters = [];
  }

  #frame(text: string): void {
    const e: SseEvent = { event: "message", id: undefined, data: "", retry: undefined, receivedAt: performance.now() };
    let any = false;
    for (const line of text.split("\n")) {
      if (line.startsWith(":")) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(":");
      const field = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^ /, "");
      any = true;
      if (field === "event") e.event = value;
      else if (field === "id") e.id = value;
      else if (field === "data") e.data += value;
      else if (field === "retry") e.retry = Number(value);
    }
    if (!any) return;
    this.events.push(e);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** The snapshots received so far. */
  snapshots(): DashboardSnapshot[] {
    return this.events.filter((e) => e.event === "snapshot").map((e) => JSON.parse(e.data) as DashboardSnapshot);
  }

  /** Resolves with the next event (after those already received) for which `match` holds. */
  next(match: (e: SseEvent) => boolean = () => true, timeoutMs = 5000): Promise<SseEvent> {
    if (this.#ended) return Promise.reject(new Error("the event stream ended"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms (got ${this.events.map((x) => x.event).join(", ")})`)), timeoutMs);
      this.#waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)), reject: (err) => (clearTimeout(timer), reject(err)) });
    });
  }

  /** Waits for a snapshot for which `match` holds (the ones already received count too). */
  async snapshot(match: (s: DashboardSnapshot) => boolean, timeoutMs = 5000): Promise<DashboardSnapshot> {
    const seen = this.snapshots().find(match);
    if (seen) return seen;
    const e = await this.next((x) => x.event === "snapshot" && match(JSON.parse(x.data) as DashboardSnapshot), timeoutMs);
    return JSON.parse(e.data) as DashboardSnapshot;
  }

  get ended(): boolean {
    return this.#ended;
  }

  close(): void {
    this.#controller.abort();
  }
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
