import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ConfigurationError } from "../errors.js";
import type { Clock, TimerHandle } from "../time/clock.js";
import type { Stamp } from "./stamp.js";

/** What the state file records for a work at its last success. */
export interface WorkStamps {
  /** The task's `version`. */
  v: string | null;
  /** Input stamps by artifact key. */
  i: Record<string, Stamp>;
  /** Output stamps by artifact key. */
  o: Record<string, Stamp>;
}

const FLUSH_DELAY_MS = 200;
/** A flush waits at least this many times as long as the last one took: a large state is written less often, not continuously. */
const FLUSH_COST_FACTOR = 20;

/**
 * The state file of declared artifacts: one JSON document (`{ version: 1, works: { key: stamps } }`)
 * written atomically (a temp file renamed over it), debounced, and flushed on `stop()`; beside it
 * an append-only journal (`<state>.incomplete`) of works whose handler started and whose outputs
 * were not yet verified, written synchronously so a crash (even SIGKILL) leaves the marker.
 */
export class StateFile {
  readonly path: string;
  readonly #journal: string;
  readonly #clock: Clock;
  readonly #works = new Map<string, WorkStamps>();
  readonly #incomplete = new Set<string>();
  #timer: TimerHandle = undefined;
  #dirty = false;
  #writing: Promise<void> = Promise.resolve();
  /** How long the last write took (ms, on the cue's clock). */
  #lastCost = 0;

  constructor(path: string, clock: Clock) {
    this.path = path;
    this.#journal = `${path}.incomplete`;
    this.#clock = clock;
    let text: string | undefined;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") throw error;
    }
    if (text !== undefined && text.trim() !== "") {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (error) {
        throw new ConfigurationError("ERR_INVALID_OPTION", `The artifacts state file ${path} is not JSON (${(error as Error).message}); delete it to start over`, { cause: error });
      }
      const works = (doc as { works?: Record<string, WorkStamps> }).works ?? {};
      for (const [k, v] of Object.entries(works)) this.#works.set(k, v);
    }
    try {
      for (const line of readFileSync(this.#journal, "utf8").split("\n")) {
        if (line.startsWith("+")) this.#incomplete.add(line.slice(1));
        else if (line.startsWith("-")) this.#incomplete.delete(line.slice(1));
      }
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") throw error;
    }
  }

  get(key: string): WorkStamps | undefined {
    return this.#works.get(key);
  }

  set(key: string, stamps: WorkStamps): void {
    this.#works.set(key, stamps);
    this.#schedule();
  }

  isIncomplete(key: string): boolean {
    return this.#incomplete.has(key);
  }

  /** Marks a work's outputs incomplete (its handler starts); synchronous so a crash keeps it. */
  markIncomplete(key: string): void {
    if (this.#incomplete.has(key)) return;
    this.#incomplete.add(key);
    this.#append(`+${key}\n`);
  }

  /** Its outputs were verified (or it ended without writing anything it owns). */
  clearIncomplete(key: string): void {
    if (!this.#incomplete.delete(key)) return;
    if (this.#incomplete.size === 0) {
      try {
        writeFileSync(this.#journal, "");
      } catch {
        this.#append(`-${key}\n`);
      }
    } else this.#append(`-${key}\n`);
  }

  #append(line: string): void {
    try {
      appendFileSync(this.#journal, line);
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") throw error;
      mkdirSync(dirname(this.#journal), { recursive: true });
      appendFileSync(this.#journal, line);
    }
  }

  #schedule(): void {
    this.#dirty = true;
    if (this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.flush().catch((error: unknown) => console.error(`runcue: cannot write the artifacts state file ${this.path}:`, error));
    }, Math.max(FLUSH_DELAY_MS, FLUSH_COST_FACTOR * this.#lastCost));
  }

  /** Writes the state now if it changed (temp file + rename); resolves when written. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (!this.#dirty) return this.#writing;
    this.#dirty = false;
    const began = this.#clock.now();
    const text = JSON.stringify({ version: 1, works: Object.fromEntries(this.#works) });
    const tmp = `${this.path}.${process.pid}.tmp`;
    this.#writing = this.#writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(tmp, text);
      await rename(tmp, this.path);
      this.#lastCost = this.#clock.now() - began;
    });
    return this.#writing;
  }
}
