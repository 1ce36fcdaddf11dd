// A strict reader of the Prometheus text exposition format (version 0.0.4), enough to check what
// the package publishes: every sample belongs to a family with # HELP and # TYPE before it.

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its help, type and samples. */
export interface Family {
  name: string;
  help: string;
  type: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text; throws on any line that is not HELP, TYPE, a sample of the current family, or blank. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const help = /^# HELP (\S+) (.+)$/.exec(line);
    if (help) {
      current = { name: help[1]!, help: help[2]!, type: "", samples: [] };
      if (families.has(current.name)) throw new Error(`family ${current.name} appears twice`);
      families.set(current.name, current);
      continue;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      if (current === undefined || current.name !== type[1]) throw new Error(`# TYPE ${type[1]} without its # HELP first`);
      current.type = type[2]!;
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`unparseable line: ${line}`);
    if (current === undefined || current.type === "") throw new Error(`sample before any # HELP/# TYPE: ${line}`);
    const name = sample[1]!;
    const base = current.type === "histogram" ? name.replace(/_(bucket|sum|count)$/, "") : name;
    if (base !== current.name) throw new Error(`sample ${name} inside family ${current.name}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? "").matchAll(LABEL)) labels[m[1]!] = m[2]!;
    const value = sample[3] === "+Inf" ? Infinity : sample[3] === "-Inf" ? -Infinity : Number(sample[3]);
    if (Number.isNaN(value) && sample[3] !== "NaN") throw new Error(`bad value in ${line}`);
    current.samples.push({ name, labels, value });
  }
  return families;
}

/** The value of the sample `name` whose labels include `match`; undefined when none. */
export function sampleValue(families: Map<string, Family>, name: string, match: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
