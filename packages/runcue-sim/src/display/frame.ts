import { createLogUpdate } from "log-update";
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
 * A frame writer over log-update, which erases just the previous frame's lines and writes the
 * new one (never the whole display: tmux and some terminals push an erased screen into their
 * scrollback). Lines are cut to the terminal's width and the frame to its height first, so a
 * frame never wraps or scrolls and the previous one can always be erased exactly.
 */
export function createFrameWriter(out: Output): FrameWriter {
  const update = createLogUpdate(out as unknown as NodeJS.WriteStream & Writable, { showCursor: true });
  return {
    render(frame) {
      const width = out.columns ?? 100;
      const height = Math.max(3, (out.rows ?? Infinity) - 1);
      let rows = frame.split("\n").map((l) => cut(l, width));
      if (rows.length > height) rows = [...rows.slice(0, height - 1), "…"];
      update(rows.join("\n"));
    },
    done() {
      update.done();
    },
  };
}

/** A line no wider than `width` visible characters; a styled line too wide loses its colours. */
function cut(line: string, width: number): string {
  const chars = [...stripVTControlCharacters(line)];
  if (chars.length < width) return line;
  return `${chars.slice(0, Math.max(0, width - 2)).join("")}…`;
}
