import type { ServerResponse } from "node:http";

/**
 * One server-sent-events client. Frames are written only while its socket drains: when
 * `write()` reports a full buffer the client skips frames until `drain`, then gets the latest
 * one, so a slow or paused browser costs at most one frame of memory.
 */
export class SseClient {
  readonly #res: ServerResponse;
  #blocked = false;
  /** The newest frame that was skipped while blocked. */
  #missed: string | undefined;
  #closed = false;

  constructor(res: ServerResponse, onClose: () => void) {
    this.#res = res;
    res.on("drain", () => {
      this.#blocked = false;
      const missed = this.#missed;
      this.#missed = undefined;
      if (missed !== undefined) this.send(missed);
    });
    res.on("close", () => {
      this.#closed = true;
      onClose();
    });
  }

  /** True while frames are being skipped (the socket has not drained). */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Sends a frame, or keeps it as the one to send on `drain`. */
  send(frame: string): void {
    if (this.#closed) return;
    if (this.#blocked) {
      this.#missed = frame;
      return;
    }
    if (!this.#res.write(frame)) this.#blocked = true;
  }

  /** Sends a comment (a heartbeat) unless the socket is full. */
  comment(text: string): void {
    if (!this.#closed && !this.#blocked && !this.#res.write(`: ${text}\n\n`)) this.#blocked = true;
  }

  /** Ends the stream; resolves once what was written has been handed to the socket (or it closed). */
  end(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => {
      this.#res.once("close", resolve);
      this.#res.end(resolve);
    });
  }
}

/** An SSE frame: `event:`, `id:` and one `data:` line (JSON has no raw newlines). */
export function frame(event: string, id: number, data: string): string {
  return `event: ${event}\nid: ${id}\ndata: ${data}\n\n`;
}
