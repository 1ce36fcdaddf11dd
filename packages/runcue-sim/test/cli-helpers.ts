import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../..", import.meta.url));
export const cli = join(root, "packages/runcue-sim/dist/cli.js");

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The CLI runs from dist/ (`npm test` builds first); this rebuilds only if the sources are newer. */
export function ensureBuilt(): void {
  const stale = !existsSync(cli) || newestIn(join(root, "packages/runcue-sim/src")) > statSync(cli).mtimeMs || newestIn(join(root, "packages/runcue/src")) > statSync(cli).mtimeMs;
  if (stale) execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/runcue", "packages/runcue-sim"], { cwd: root });
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` in `cwd`, stdout and stderr piped. */
export function sim(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Result {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the CLI and sends it SIGINT (as Ctrl+C does) `afterMs` after its output (stdout and
 * stderr) first satisfies `ready`: a slow start on a loaded machine cannot make the signal come
 * before the CLI listens for it.
 */
export async function interrupted(cwd: string, args: readonly string[], ready: (output: string) => boolean, afterMs: number): Promise<Result> {
  const child = spawn(process.execPath, [cli, ...args], { cwd });
  let stdout = "";
  let stderr = "";
  let timer: NodeJS.Timeout | undefined;
  const seen = (): void => {
    if (timer === undefined && ready(stdout + stderr)) timer = setTimeout(() => child.kill("SIGINT"), afterMs);
  };
  child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; seen(); });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; seen(); });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (timer !== undefined) clearTimeout(timer);
  return { code, stdout, stderr };
}

/** True when util-linux's `script` is there to give the CLI a terminal (a pty). */
export const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

/** What a run on a terminal (a pty of `columns` × `rows`) wrote, as the terminal received it (escape codes included, `\r\n` made `\n`). */
export interface TtyRun {
  code: number | null;
  raw: string;
}

/**
 * Runs the CLI on a pseudo-terminal of the given size (via `script`), with `env` (TERM and
 * NO_COLOR, say). With `ctrlCWhen`, types Ctrl+C into the terminal (as a user would) once the
 * screen shows that text;
 * with `resizeTo`, narrows the terminal then.
 */
export async function onTerminal(cwd: string, args: readonly string[], options: { columns: number; rows: number; env?: NodeJS.ProcessEnv; ctrlCWhen?: string; resizeTo?: { columns: number; afterMs: number } }): Promise<TtyRun> {
  const quoted = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  // Resizing the pty from inside it: the kernel then sends SIGWINCH to the program, as a terminal window does.
  const resize = options.resizeTo === undefined ? "" : `(sleep ${options.resizeTo.afterMs / 1000}; stty cols ${options.resizeTo.columns} < /dev/tty) & `;
  const child = spawn("script", ["-qec", `stty cols ${options.columns} rows ${options.rows}; ${resize}exec ${quoted}`, "/dev/null"], { cwd, env: { ...process.env, ...options.env } });
  let raw = "";
  let timer: NodeJS.Timeout | undefined;
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    raw += d;
    // Ctrl+C a few frames after the screen first shows `ctrlCWhen`.
    if (options.ctrlCWhen !== undefined && timer === undefined && stripVTControlCharacters(raw).includes(options.ctrlCWhen)) {
      timer = setTimeout(() => child.stdin.write("\u0003"), 500);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (timer !== undefined) clearTimeout(timer);
  return { code, raw: raw.replace(/\r\n/g, "\n") };
}

/** What is left on the normal screen: the output after the live display left the alternate screen, without escape codes. */
export function afterLiveDisplay(raw: string): string {
  const leave = raw.lastIndexOf("\u001b[?1049l");
  return stripVTControlCharacters(leave === -1 ? raw : raw.slice(leave));
}

/** `ready` for {@link interrupted}: true once the output has `n` lines matching `line`. */
export function lines(line: RegExp, n = 1): (output: string) => boolean {
  return (output) => output.split("\n").filter((l) => line.test(l)).length >= n;
}
