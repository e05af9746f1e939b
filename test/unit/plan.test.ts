/**
 * Adding dry-run batches into one plan report (src/shared/plan.ts): counts
 * add up, the report continues from the last batch, and samples and errors
 * stay at the first few.
 */
import { describe, expect, test } from "vitest";
import { PLAN_SAMPLES, addToPlan, emptyPlan, type PlanBatch } from "../../src/shared/plan.js";

/** A batch of `examined` documents, `changed` of them changed and `failed` failing. */
function batch(n: number, examined: number, changed: number, failed: number): PlanBatch {
  return {
    continueCursor: `posts|after-${n}`,
    isDone: false,
    examined,
    wouldChange: changed,
    unchanged: examined - changed - failed,
    wouldFail: failed,
    errors: Array.from({ length: failed }, (_, i) => ({ id: `e${n}.${i}`, error: "boom" })),
    samples: Array.from({ length: changed }, (_, i) => ({
      id: `s${n}.${i}`,
      before: { n },
      after: { n: n + 1 },
    })),
  };
}

describe("emptyPlan", () => {
  test.each([null, "posts|abc"])("starts at %j with nothing covered", (cursor) => {
    expect(emptyPlan(cursor)).toEqual({
      continueCursor: cursor,
      isDone: false,
      examined: 0,
      wouldChange: 0,
      unchanged: 0,
      wouldFail: 0,
      errors: [],
      samples: [],
      batches: 0,
      stoppedEarly: false,
    });
  });
});

describe("addToPlan", () => {
  test.each<[string, PlanBatch[], Record<string, number>]>([
    [
      "one batch",
      [batch(1, 100, 40, 2)],
      { examined: 100, wouldChange: 40, unchanged: 58, wouldFail: 2, batches: 1 },
    ],
    [
      "three batches",
      [batch(1, 100, 40, 2), batch(2, 100, 0, 0), batch(3, 37, 37, 0)],
      { examined: 237, wouldChange: 77, unchanged: 158, wouldFail: 2, batches: 3 },
    ],
    [
      "an empty batch still counts as a batch",
      [batch(1, 0, 0, 0)],
      { examined: 0, wouldChange: 0, unchanged: 0, wouldFail: 0, batches: 1 },
    ],
  ])("%s: the counts add up", (_name, batches, totals) => {
    const plan = batches.reduce(addToPlan, emptyPlan(null));
    expect(plan).toMatchObject(totals);
    expect(plan.examined).toBe(plan.wouldChange + plan.unchanged + plan.wouldFail);
  });

  test("the plan continues where its last batch stopped, and is done when that one is", () => {
    const first = addToPlan(emptyPlan("posts|start"), batch(1, 10, 0, 0));
    expect(first).toMatchObject({ continueCursor: "posts|after-1", isDone: false });
    const last = addToPlan(first, { ...batch(2, 3, 0, 0), isDone: true });
    expect(last).toMatchObject({ continueCursor: "posts|after-2", isDone: true });
  });

  test(`samples and errors keep the first ${PLAN_SAMPLES}, in batch order`, () => {
    const plan = [batch(1, 10, 3, 3), batch(2, 10, 3, 3), batch(3, 10, 3, 3)].reduce(
      addToPlan,
      emptyPlan(null),
    );
    expect(plan.samples.map((s) => s.id)).toEqual(["s1.0", "s1.1", "s1.2", "s2.0", "s2.1"]);
    expect(plan.errors.map((e) => e.id)).toEqual(["e1.0", "e1.1", "e1.2", "e2.0", "e2.1"]);
  });

  test("adding never marks a plan as stopped early (only the dry run's own limit check does)", () => {
    const stopped = { ...addToPlan(emptyPlan(null), batch(1, 5, 0, 0)), stoppedEarly: true };
    expect(addToPlan(stopped, batch(2, 5, 0, 0)).stoppedEarly).toBe(false);
  });

  test("adding does not change the plan it adds to", () => {
    const plan = addToPlan(emptyPlan(null), batch(1, 10, 3, 3));
    const copy = structuredClone(plan);
    addToPlan(plan, batch(2, 10, 3, 3));
    expect(plan).toEqual(copy);
  });
});
