import { createLogUpdate } from "log-update";
import type { Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import type { Output } from "./display.js";

/** Escape codes of the alternate screen (as full-screen programs such as less and htop use). */
const ENTER_ALT_SCREEN = "\u001b[?1049h\u001b[H";
const LEAVE_ALT_SCREEN = "\u001b[?1049l";
const CLEAR_SCREEN = "\u001b[H\u001b[2J";
const HIDE_CURSOR = "\u001b[?25l";
const SHOW_CURSOR = "\u001b[?25h";

/** Frame writers on the alternate screen now: {@link restoreTerminal} takes them back. */
const live = new Set<() => void>();

/**
 * Leaves the alternate screen if a live display is on it, so that what is written next (an
 * internal error's message) stays on the user's screen. The process's `exit` does it too.
 */
export function restoreTerminal(): void {
  for (const restore of [...live]) restore();
}

/** Redraws a block of lines in place on a terminal. */
export interface FrameWriter {
  /** Replaces the previous frame with `frame`. */
  render(frame: string): void;
  /** The terminal changed size: forget the previous frame (it may have been reflowed) and clear the screen. */
  resized(): void;
  /** Leaves the live screen; later output goes to the normal screen. */
  done(): void;
}

/**
 * A frame writer for the live display. While the run lasts it draws on the terminal's
 * alternate screen, so a resize can clear that screen and redraw (a terminal reflows the old
 * frame's lines when it narrows, and no count of lines to erase is then right: stale lines
 * would stay) without clearing the user's own screen or pushing anything into the scrollback;
 * `done` returns to the normal screen, where the caller prints the last frame and the summary.
 * log-update redraws each frame, erasing just the previous one's lines. Lines are cut to the
 * terminal's width and the frame to its height first, so a frame never wraps or scrolls.
 */
export function createFrameWriter(out: Output): FrameWriter {
  const update = createLogUpdate(out as unknown as NodeJS.WriteStream & Writable, { showCursor: true });
  let active = false;
  const restore = (): void => {
    if (active) out.write(LEAVE_ALT_SCREEN + SHOW_CURSOR);
    active = false;
    live.delete(restore);
    process.off("exit", restore);
  };
  return {
    render(frame) {
      if (!active) {
        active = true;
        out.write(ENTER_ALT_SCREEN + HIDE_CURSOR);
        // Whatever ends the process (a second Ctrl+C, a crash) must not leave the terminal on the alternate screen.
        process.once("exit", restore);
        live.add(restore);
      }
      update(fitFrame(frame, out.columns ?? 100, out.rows));
    },
    resized() {
      if (!active) return;
      update.done(); // forgets the previous frame: nothing of it is erased line by line
      out.write(CLEAR_SCREEN);
    },
    done() {
      update.done();
      restore();
    },
  };
}

/** `frame` cut to `width` columns and `rows` lines (one left for the cursor). */
export function fitFrame(frame: string, width: number, rows: number | undefined): string {
  const height = Math.max(3, (rows ?? Infinity) - 1);
  let lines = frame.split("\n").map((l) => cut(l, width));
  if (lines.length > height) lines = [...lines.slice(0, height - 1), "…"];
  return lines.join("\n");
}

/** A line narrower than `width` visible characters; a styled line too wide loses its colours. */
function cut(line: string, width: number): string {
  const chars = [...stripVTControlCharacters(line)];
  if (chars.length < width) return line;
  return `${chars.slice(0, Math.max(0, width - 2)).join("")}…`;
}
