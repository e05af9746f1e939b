/** Adding up dry-run batches into one plan report. */
import type { DryRunReport } from "./validators.js";

/** How many before/after samples and errors a plan report keeps. */
export const PLAN_SAMPLES = 5;

/** What one rolled-back batch reports. */
export type PlanBatch = Pick<
  DryRunReport,
  | "continueCursor"
  | "isDone"
  | "examined"
  | "wouldChange"
  | "unchanged"
  | "wouldFail"
  | "errors"
  | "samples"
>;

export type Plan = Omit<DryRunReport, "name" | "cursor" | "dryRun">;

/** A plan that has covered nothing yet, starting at `cursor`. */
export function emptyPlan(
  cursor: string | null,
): Omit<Plan, "continueCursor"> & { continueCursor: string | null } {
  return {
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
  };
}

export function addToPlan(plan: Plan | ReturnType<typeof emptyPlan>, batch: PlanBatch): Plan {
  return {
    continueCursor: batch.continueCursor,
    isDone: batch.isDone,
    examined: plan.examined + batch.examined,
    wouldChange: plan.wouldChange + batch.wouldChange,
    unchanged: plan.unchanged + batch.unchanged,
    wouldFail: plan.wouldFail + batch.wouldFail,
    errors: [...plan.errors, ...batch.errors].slice(0, PLAN_SAMPLES),
    samples: [...plan.samples, ...batch.samples].slice(0, PLAN_SAMPLES),
    batches: plan.batches + 1,
    stoppedEarly: false,
  };
}
