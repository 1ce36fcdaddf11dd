import { describe, expectTypeOf, it } from "vitest";
import { Cue, type PriorityContext, type TaskHandle, type Work, type WorkState } from "runcue";

describe("types", () => {
  it("a task handle's submit checks params against the handler's Work<P>", () => {
    const cue = new Cue();
    const extract = cue.task("extract", async (work: Work<{ path: string }>) => ({ text: work.params.path }));
    expectTypeOf(extract).toEqualTypeOf<TaskHandle<{ path: string }, { text: string }, "extract">>();
    expectTypeOf(extract.submit).parameter(0).toEqualTypeOf<{ path: string }>();
    // @ts-expect-error wrong params type
    void extract.submit({ page: 1 });
    expectTypeOf(extract.submit({ path: "a.png" })).resolves.toEqualTypeOf<string>();
  });

  it("the work's fields have their documented types", () => {
    expectTypeOf<Work["state"]>().toEqualTypeOf<WorkState>();
    expectTypeOf<Work<{ a: number }, string>["result"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Work["signal"]>().toEqualTypeOf<AbortSignal>();
    expectTypeOf<Work["error"]>().toEqualTypeOf<Error | undefined>();
    expectTypeOf<PriorityContext["waitTime"]>().toEqualTypeOf<number>();
  });

  it("listeners get the positional arguments of the design", () => {
    const cue = new Cue();
    cue.onComplete((work, result, durationMs) => {
      expectTypeOf(work).toEqualTypeOf<Work>();
      expectTypeOf(result).toEqualTypeOf<unknown>();
      expectTypeOf(durationMs).toEqualTypeOf<number>();
    });
    cue.onStallWarning((ms, pending) => {
      expectTypeOf(ms).toEqualTypeOf<number>();
      expectTypeOf(pending).toEqualTypeOf<number>();
    });
    expectTypeOf(cue.onSkip(() => undefined)).toEqualTypeOf<() => void>();
  });
});
