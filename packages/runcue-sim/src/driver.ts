import type { VirtualClock } from "runcue";

/** How often the live displays refresh, in real milliseconds. */
export const FRAME_MS = 100;

/** Moves a run's time along until a promise settles, refreshing the display on the way. */
export interface Driver {
  run<T>(until: Promise<T>): Promise<T>;
}

/** Real time moves by itself: wait, and refresh the display every {@link FRAME_MS}. */
export class RealDriver implements Driver {
  readonly #frame: () => void;

  constructor(frame: () => void) {
    this.#frame = frame;
  }

  async run<T>(until: Promise<T>): Promise<T> {
    const timer = setInterval(this.#frame, FRAME_MS);
    try {
      return await until;
    } finally {
      clearInterval(timer);
    }
  }
}

function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Virtual time moves only when told: fire the clock's timers one after another (time jumps
 * to each) until the promise settles, refreshing the display every {@link FRAME_MS} of real
 * time. Signals (Ctrl+C) get their turn between timers.
 */
export class VirtualDriver implements Driver {
  readonly #clock: VirtualClock;
  readonly #frame: () => void;

  constructor(clock: VirtualClock, frame: () => void) {
    this.#clock = clock;
    this.#frame = frame;
  }

  async run<T>(until: Promise<T>): Promise<T> {
    let settled = false;
    until.then(() => { settled = true; }, () => { settled = true; });
    await nextMacrotask();
    let lastFrame = performance.now();
    while (!settled) {
      if (!(await this.#clock.step())) {
        await nextMacrotask();
        if (!settled) throw new Error("runcue-sim internal error: the virtual clock has no timers left but the run is not over");
        break;
      }
      const now = performance.now();
      if (now - lastFrame >= FRAME_MS) {
        lastFrame = now;
        this.#frame();
      }
    }
    return until;
  }
}
