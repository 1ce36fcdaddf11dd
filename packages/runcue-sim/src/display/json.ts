import type { Summary } from "../summary.js";
import { type Display, type Output } from "./display.js";

/** `--json`: nothing during the run, the summary as one JSON document at the end. */
export class JsonDisplay implements Display {
  readonly #out: Output;

  constructor(out: Output) {
    this.#out = out;
  }

  end(summary: Summary): void {
    this.#out.write(`${JSON.stringify(summary, null, 2)}\n`);
  }
}
