import { clearLine, cursorTo, moveCursor } from "node:readline";
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
 * A frame writer over Node's own terminal helpers (`node:readline` moveCursor, cursorTo,
 * clearLine): it moves up over the last frame and overwrites it line by line, clearing what is
 * left of each line and any lines the new frame no longer has. It never erases the whole
 * display (tmux and some terminals push an erased screen into their scrollback). Lines are cut
 * to the terminal's width and the frame to its height, so the cursor can always get back up.
 */
export function createFrameWriter(out: Output): FrameWriter {
  const stream = out as unknown as Writable;
  let lines = 0;
  return {
    render(frame) {
      const width = out.columns ?? 100;
      const height = Math.max(3, (out.rows ?? Infinity) - 1);
      let rows = frame.split("\n").map((l) => cut(l, width));
      if (rows.length > height) rows = [...rows.slice(0, height - 1), "…"];
      if (lines > 0) moveCursor(stream, 0, -lines);
      cursorTo(stream, 0);
      for (const row of rows) {
        out.write(row);
        clearLine(stream, 1);
        out.write("\n");
      }
      const extra = lines - rows.length;
      for (let i = 0; i < extra; i++) {
        clearLine(stream, 0);
        out.write("\n");
      }
      if (extra > 0) moveCursor(stream, 0, -extra);
      lines = rows.length;
    },
    done() {
      lines = 0;
    },
  };
}

/** A line no wider than `width` visible characters; a styled line too wide loses its colours. */
function cut(line: string, width: number): string {
  const chars = [...stripVTControlCharacters(line)];
  if (chars.length < width) return line;
  return `${chars.slice(0, Math.max(0, width - 2)).join("")}…`;
}
