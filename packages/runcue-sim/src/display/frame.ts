import { clearScreenDown, cursorTo, moveCursor } from "node:readline";
import type { Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import type { Output } from "./display.js";

/** Redraws a block of lines in place at the bottom of a terminal. */
export interface FrameWriter {
  /** Replaces the previous frame with `frame`. */
  render(frame: string): void;
  /** Leaves the last frame on screen; later output goes below it. */
  done(): void;
}

/**
 * A frame writer over Node's own terminal helpers (`node:readline` cursorTo, moveCursor,
 * clearScreenDown): it moves up over the last frame, clears, and writes the new one. Lines are
 * cut to the terminal width so wrapping never throws the line count off.
 */
export function createFrameWriter(out: Output): FrameWriter {
  const stream = out as unknown as Writable;
  let lines = 0;
  return {
    render(frame) {
      const width = out.columns ?? 100;
      const rows = frame.split("\n").map((l) => cut(l, width));
      if (lines > 0) moveCursor(stream, 0, -lines);
      cursorTo(stream, 0);
      clearScreenDown(stream);
      out.write(`${rows.join("\n")}\n`);
      lines = rows.length;
    },
    done() {
      lines = 0;
    },
  };
}

/** A line no wider than `width` visible characters; a styled line too wide loses its colours. */
function cut(line: string, width: number): string {
  const plain = stripVTControlCharacters(line);
  const chars = [...plain];
  if (chars.length < width) return line;
  return chars.slice(0, Math.max(0, width - 2)).join("") + "…";
}
