import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { SseClient, frame } from "../src/sse.js";

/** A response whose socket buffer is full while `full` is true, as `write()` reports it. */
class FakeResponse extends EventEmitter {
  written: string[] = [];
  full = false;
  ended = false;
  write(chunk: string): boolean {
    this.written.push(chunk);
    return !this.full;
  }
  end(cb?: () => void): void {
    this.ended = true;
    cb?.();
  }
}

describe("a client whose socket is not draining", () => {
  it("skips frames until drain, then gets only the newest one: memory stays one frame however slow the browser", () => {
    const res = new FakeResponse();
    const client = new SseClient(res as unknown as ServerResponse, () => {});
    client.send("a");
    res.full = true;
    client.send("b"); // accepted by write(), which then reports a full buffer
    expect(client.blocked).toBe(true);
    for (let i = 0; i < 100_000; i++) client.send(`skipped ${i}`);
    client.comment("heartbeat"); // not written while full either
    expect(res.written).toEqual(["a", "b"]);
    res.full = false;
    res.emit("drain");
    expect(res.written).toEqual(["a", "b", "skipped 99999"]);
    expect(client.blocked).toBe(false);
    client.comment("heartbeat");
    expect(res.written.at(-1)).toBe(": heartbeat\n\n");
  });

  it("writes nothing once the connection closed, and tells its owner", async () => {
    const res = new FakeResponse();
    let closed = 0;
    const client = new SseClient(res as unknown as ServerResponse, () => closed++);
    res.emit("close");
    client.send("late");
    expect(res.written).toEqual([]);
    expect(closed).toBe(1);
    await client.end();
    expect(res.ended).toBe(false);
  });
});

it("frames an event with its name, id and one data line", () => {
  expect(frame("snapshot", 7, '{"a":1}')).toBe('event: snapshot\nid: 7\ndata: {"a":1}\n\n');
});
