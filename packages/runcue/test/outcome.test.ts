// The decision after a failed attempt, as a table.
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../src/errors.js";
import { decideOutcome } from "../src/engine/outcome.js";
import { RetryPolicy } from "../src/engine/retry-policy.js";
import { Permanent, RateLimited, Retry } from "../src/steering.js";

const threeAttempts = new RetryPolicy({ attempts: 3, delay: 100, backoff: "fixed" }, "t");
const once = new RetryPolicy(undefined, "t");
const random = (): number => 0.5;

describe("decideOutcome", () => {
  it.each([
    ["a plain error with attempts left retries after the backoff", new Error("x"), 1, threeAttempts, { kind: "retry", delayMs: 100 }],
    ["a plain error on the last attempt fails", new Error("x"), 3, threeAttempts, { kind: "fail" }],
    ["a plain error with no retries fails", new Error("x"), 1, once, { kind: "fail" }],
    ["Permanent fails even with attempts left", new Permanent("no"), 1, threeAttempts, { kind: "fail" }],
    ["Retry with a delay uses it", new Retry({ delay: "2s" }), 1, threeAttempts, { kind: "retry", delayMs: 2000 }],
    ["Retry on the last attempt fails", new Retry(), 3, threeAttempts, { kind: "fail" }],
    ["RateLimited pushes back whatever the attempt", new RateLimited({ retryAfter: "30s" }), 3, threeAttempts, { kind: "pushback", pauseMs: 30_000, service: undefined }],
    ["RateLimited names its service", new RateLimited({ retryAfter: 5, service: "api" }), 1, once, { kind: "pushback", pauseMs: 5, service: "api" }],
    ["a RateLimited from another copy (by code) pushes back", { name: "RateLimited", code: "ERR_RATE_LIMITED", retryAfter: 70 }, 1, once, { kind: "pushback", pauseMs: 70 }],
    ["a Permanent from another copy (by code) fails", { code: "ERR_PERMANENT", message: "no" }, 1, threeAttempts, { kind: "fail" }],
    ["a ConfigurationError fails even with attempts left (it would fail the same way again)", new ConfigurationError("ERR_INVALID_OPTION", "bad"), 1, threeAttempts, { kind: "fail" }],
  ] as const)("%s", (_name, thrown, attempt, policy, expected) => {
    expect(decideOutcome(thrown, attempt, policy, random)).toMatchObject(expected);
  });

  it("a foreign RateLimited with an invalid retryAfter fails with a ConfigurationError naming it", () => {
    const outcome = decideOutcome({ code: "ERR_RATE_LIMITED", retryAfter: "soon" }, 1, once, random);
    expect(outcome.kind).toBe("fail");
    expect(outcome.error).toBeInstanceOf(ConfigurationError);
    expect(outcome.error.message).toMatch(/"soon"/);
  });

  it("any thrown value becomes an Error whose cause is the value", () => {
    const value = Object.create(null) as object;
    const outcome = decideOutcome(value, 1, once, random);
    expect(outcome.error).toBeInstanceOf(Error);
    expect(outcome.error.cause).toBe(value);
  });
});
