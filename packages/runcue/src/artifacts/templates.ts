import { isAbsolute, relative, resolve, sep } from "node:path";
import { ConfigurationError, describeValue } from "../errors.js";
import type { PathSpec } from "./descriptors.js";

const PLACEHOLDER = /\{([^{}/]+)\}/g;

/** The placeholder names of a template, in order. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/**
 * Fills a template from params, or calls a path function with them.
 * @throws ConfigurationError for a placeholder that is not a param (naming the params there are),
 * a param that is not a string, number or boolean, or a function that does not return a non-empty string.
 */
export function fillSpec(spec: PathSpec, params: unknown, what: string): string {
  if (typeof spec === "function") {
    let out: unknown;
    try {
      out = (spec as (p: unknown) => unknown)(params);
    } catch (error) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `The path function of ${what} threw: ${String((error as Error)?.message ?? error)}`, { cause: error });
    }
    if (typeof out !== "string" || out.length === 0) throw new ConfigurationError("ERR_INVALID_OPTION", `The path function of ${what} returned ${describeValue(out)} (expected a non-empty string)`);
    return out;
  }
  if (!spec.includes("{")) return spec;
  const p = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
  return spec.replace(PLACEHOLDER, (_, name: string) => {
    const v = Object.prototype.hasOwnProperty.call(p, name) ? p[name] : undefined;
    if (v === undefined) {
      const names = Object.keys(p);
      throw new ConfigurationError("ERR_INVALID_OPTION", `Template "${spec}" of ${what} has placeholder {${name}}, which is not a param (params: ${names.length ? names.join(", ") : "none"})`);
    }
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean" && typeof v !== "bigint") {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Param "${name}" fills template "${spec}" of ${what} but is ${describeValue(v)} (expected a string, number or boolean)`);
    }
    return String(v);
  });
}

/**
 * Resolves a filled path against the root.
 * @throws ConfigurationError when a root is set and a relative path escapes it.
 */
export function resolvePath(path: string, root: string, rootSet: boolean, what: string): string {
  if (isAbsolute(path)) return resolve(path);
  const abs = resolve(root, path);
  if (rootSet) {
    const rel = relative(root, abs);
    if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new ConfigurationError("ERR_INVALID_OPTION", `Path "${path}" of ${what} escapes artifacts.root "${root}" (relative paths must stay inside the root; use an absolute path for files outside it)`);
    }
  }
  return abs;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A regex matching what a template can fill to (each placeholder one path segment or part of one), with a group per placeholder. */
export function templateRegex(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  let src = "";
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    src += escapeRegex(template.slice(last, m.index));
    src += "([^/]+)";
    names.push(m[1] as string);
    last = (m.index as number) + m[0].length;
  }
  src += escapeRegex(template.slice(last));
  return { regex: new RegExp(`^${src}$`), names };
}

/** A regex for a glob pattern: `**` any depth, `*` within a segment, `?` one character, `[...]` a class. */
export function globRegex(pattern: string): RegExp {
  let src = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        const slash = pattern[i + 2] === "/";
        src += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else src += "[^/]*";
    } else if (c === "?") src += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) src += "\\[";
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
        src += body.startsWith("!") ? `[^/${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else src += escapeRegex(c);
  }
  return new RegExp(`^${src}$`);
}

/** The directory a glob can be listed from: the longest leading part without wildcards. */
export function globBase(pattern: string): string {
  const parts = pattern.split("/");
  const fixed: string[] = [];
  for (const part of parts) {
    if (/[*?[]/.test(part)) break;
    fixed.push(part);
  }
  if (fixed.length === parts.length) fixed.pop();
  return fixed.join("/") || "/";
}
