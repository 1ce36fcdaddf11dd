/** What a benchmark case is given and what it hands back. */
import type { RedisConnection } from "./redis.js";
import type { Table } from "./table.js";

/** Run-wide settings every case reads. */
export interface CaseContext {
  /** Small sizes and one or two repetitions (CI). */
  readonly quick: boolean;
  /** BullMQ connection, or undefined when `REDIS_URL` is not set. */
  readonly redis: RedisConnection | undefined;
  /** Progress output (stderr), so tables on stdout stay clean. */
  log(message: string): void;
}

/** One target of issue 4, checked on figures measured in this run. */
export interface Target {
  /** What is required, e.g. "runcue ≥ fastest peer". */
  readonly requirement: string;
  /** The measured figure(s), e.g. "512k vs fastq 498k jobs/s (1.03×)". */
  readonly figure: string;
  readonly pass: boolean;
}

/** What a case produced: tables for people, targets, and the raw numbers for the JSON file. */
export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly tables: readonly Table[];
  readonly targets: readonly Target[];
  readonly notes: readonly string[];
  /** Medians and samples behind the tables. */
  readonly data: Record<string, unknown>;
}

/** A benchmark case: one workload, every library on it, in this process (or its children). */
export interface BenchCase {
  /** The name `--case` takes. */
  readonly id: string;
  readonly title: string;
  run(ctx: CaseContext): Promise<CaseResult>;
}

/** Builds a target from a comparison. */
export function target(requirement: string, figure: string, pass: boolean): Target {
  return { requirement, figure, pass };
}

/** "PASS" or "MISS". */
export function verdict(pass: boolean): "PASS" | "MISS" {
  return pass ? "PASS" : "MISS";
}
