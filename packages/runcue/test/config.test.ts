import { describe, expect, it } from "vitest";
import { ConfigurationError, Cue, parseDuration, parseRate } from "runcue";

describe("rate strings", () => {
  it.each([
    ["60/s", 60, 1000], ["5/sec", 5, 1000], ["1/second", 1, 1000], ["2/seconds", 2, 1000],
    ["60/m", 60, 60_000], ["60/min", 60, 60_000], ["60/minute", 60, 60_000], ["3/mins", 3, 60_000], ["60/minutes", 60, 60_000],
    ["100/h", 100, 3_600_000], ["100/hr", 100, 3_600_000], ["100/hour", 100, 3_600_000], ["100/hours", 100, 3_600_000],
    ["1000/d", 1000, 86_400_000], ["1000/day", 1000, 86_400_000], ["1000/days", 1000, 86_400_000], [" 7 / MIN ", 7, 60_000],
  ])("%s means %i per %i ms", (text, limit, interval) => {
    expect(parseRate(text)).toEqual([{ limit, intervalMs: interval, label: text }]);
  });

  it("a list of rates means all must hold", () => {
    expect(parseRate(["60/min", "1000/day"]).map((r) => [r.limit, r.intervalMs])).toEqual([[60, 60_000], [1000, 86_400_000]]);
  });

  it("accepts { limit, interval } objects, labelled for messages", () => {
    expect(parseRate({ limit: 60, interval: "60s" })[0]).toEqual({ limit: 60, intervalMs: 60_000, label: "60 per 1m" });
    expect(parseRate({ limit: 5, interval: 1500 })[0]!.label).toBe("5 per 1.5s");
    expect(parseRate({ limit: 1, interval: 120_000 })[0]!.label).toBe("1 per 2m");
  });

  it.each(["60", "60/min/x", "sixty/min", "1.5/min", "-1/min", "/min", ""])("rejects %j with Invalid rate format", (text) => {
    expect(() => parseRate(text)).toThrow(/Invalid rate format/);
  });

  it.each(["60/fortnight", "60/msec", "60/"])("rejects %j with Unknown rate unit", (text) => {
    expect(() => parseRate(text)).toThrow(/Unknown rate unit/);
  });

  it("rejects a zero count instead of blocking forever", () => {
    expect(() => parseRate("0/min")).toThrow(/Invalid rate format.*positive integer/);
    expect(() => parseRate({ limit: 0, interval: 1000 })).toThrow(/positive integer/);
  });

  it("errors are ConfigurationErrors with a code", () => {
    try {
      parseRate("60/eon");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).code).toBe("ERR_UNKNOWN_RATE_UNIT");
      expect((error as Error).name).toBe("ConfigurationError");
    }
  });
});

describe("durations", () => {
  it.each([[250, 250], ["250ms", 250], ["30s", 30_000], ["5m", 300_000], ["1h", 3_600_000], ["1.5s", 1500], ["2d", 172_800_000]])("%j is %i ms", (value, ms) => {
    expect(parseDuration(value, "x")).toBe(ms);
  });

  it.each(["5 minutes", "-1s", "abc", -5, Number.NaN, Infinity])("rejects %j naming the option", (value) => {
    expect(() => parseDuration(value, "pendingTimeout")).toThrow(/Invalid duration for pendingTimeout/);
  });

  it("constructor options are validated", () => {
    expect(() => new Cue({ pendingTimeout: "soon" })).toThrow(/pendingTimeout/);
    expect(() => new Cue({ checkConcurrency: 0 })).toThrow(/checkConcurrency/);
    expect(() => new Cue({ recheckInterval: 0 })).toThrow(/recheckInterval/);
  });
});

describe("services and tasks", () => {
  it("rejects zero or negative concurrency", () => {
    const cue = new Cue();
    expect(() => cue.service("a", { concurrent: 0 })).toThrow(/Invalid concurrent.*positive integer/);
    expect(() => cue.service("b", { concurrent: -1 })).toThrow(/positive integer/);
    expect(() => cue.service("c", { concurrent: 1.5 })).toThrow(/positive integer/);
  });

  it("rejects a malformed rate on the service", () => {
    const cue = new Cue();
    expect(() => cue.service("a", { rate: "60 per min" })).toThrow(/Invalid rate format/);
    expect(() => cue.service("b", { rate: "60/lightyear" })).toThrow(/Unknown rate unit/);
  });

  it("rejects a duplicate service name", () => {
    const cue = new Cue();
    cue.service("a");
    expect(() => cue.service("a", {})).toThrow(/already registered/);
    expect(cue.service("a").name).toBe("a"); // a name alone returns the registered service's handle
  });

  it("uses naming an unregistered service throws Unknown service", () => {
    const cue = new Cue();
    cue.service("known");
    expect(() => cue.task("t", { uses: "missing" }, () => 1)).toThrow(/Unknown service: "missing".*registered: "known"/);
    expect(() => cue.task("t", { uses: ["known", "missing"] }, () => 1)).toThrow(/Unknown service/);
  });

  it("submit of an unknown task rejects with Unknown task", async () => {
    const cue = new Cue();
    cue.task("real", () => 1);
    await expect(cue.submit("nope")).rejects.toThrow(/Unknown task: "nope".*"real"/);
    await expect(cue.submit("nope")).rejects.toMatchObject({ code: "ERR_UNKNOWN_TASK" });
  });

  it("rejects bad task options", () => {
    const cue = new Cue();
    expect(() => cue.task("t", { retry: { attempts: 0 } }, () => 1)).toThrow(/retry.attempts/);
    expect(() => cue.task("t", { timeout: 0 }, () => 1)).toThrow(/timeout/);
    expect(() => cue.task("t", { retry: { attempts: 2, backoff: "linear" as "fixed" } }, () => 1)).toThrow(/backoff/);
  });

  it("rejects bad submit options without creating work", async () => {
    const cue = new Cue();
    cue.task("t", () => 1);
    await expect(cue.submit("t", {}, { delay: "later" })).rejects.toThrow(/Invalid duration for delay/);
    await expect(cue.submit("t", {}, { priority: Number.NaN })).rejects.toThrow(/Invalid priority/);
    expect(cue.status().pending).toBe(0);
  });
});
