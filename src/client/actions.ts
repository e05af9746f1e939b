/** Driving migrations from an action: every batch in turn, or a whole-table plan. */
import { createFunctionHandle, getFunctionName, makeFunctionReference } from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import { checkWholeNumber, describeError, isRolloutError } from "../shared/errors.js";
import { addToPlan, emptyPlan, type Plan } from "../shared/plan.js";
import type { DryRunReport, MigrationStatus } from "../shared/validators.js";
import { moduleOf } from "./names.js";
import type { MigrationArgs, MigrationRef, RunActionCtx } from "./types.js";

/**
 * Runs a migration to the end from an action (or a test), one transaction per
 * batch, without the scheduler. Answers the final status; a run that is
 * already running on the scheduler is left to it and its status answered.
 *
 * ```ts
 * export const backfillNow = internalAction({
 *   handler: async (ctx) => runToCompletion(ctx, components.rollouts, internal.migrations.setDefault),
 * });
 * ```
 */
export async function runToCompletion(
  ctx: RunActionCtx,
  component: ComponentApi,
  ref: MigrationRef,
  options: Pick<
    MigrationArgs,
    | "cursor"
    | "batchSize"
    | "reset"
    | "onError"
    | "retryFailed"
    | "estimatedTotal"
    | "parallelism"
    | "by"
  > & { cliModule?: string } = {},
): Promise<MigrationStatus> {
  const name = getFunctionName(ref);
  const { cliModule, ...runOptions } = options;
  const { status } = await ctx.runMutation(component.lib.start, {
    migration: { name, fnHandle: await createFunctionHandle(ref) },
    ...runOptions,
    cliModule: cliModule ?? moduleOf(name),
    schedule: false,
  });
  return await stepToEnd(ctx, component, status);
}

/**
 * Steps a run that `lib.start` began with `schedule: false`, one batch per
 * transaction, until it is no longer running; answers its last status. A run
 * the scheduler drives is left to it.
 */
export async function stepToEnd(
  ctx: RunActionCtx,
  component: ComponentApi,
  status: MigrationStatus,
): Promise<MigrationStatus> {
  let current = status;
  while (current.state === "running") {
    let stepped: MigrationStatus;
    try {
      stepped = await ctx.runMutation(component.lib.step, { name: current.name });
    } catch (error) {
      // The step's whole transaction failed (a limit its bookkeeping reached, a
      // timeout), so nothing of it was recorded: record it, as the monitor would
      // for a scheduled batch, and go on with what that decides (smaller, or failed).
      if (isRolloutError(error)) throw error;
      stepped = await ctx.runMutation(component.lib.step, {
        name: current.name,
        failed: describeError(error),
      });
    }
    // A step that neither ran a batch nor retried (smaller, or after an error)
    // met a run the scheduler drives: it advances on its own; do not spin on it.
    const moved =
      stepped.batches !== current.batches ||
      stepped.batchSize !== current.batchSize ||
      stepped.error !== current.error;
    if (!moved && stepped.state === "running") return stepped;
    current = stepped;
  }
  return current;
}

/**
 * A plan report over the whole range (or `maxBatches` batches), from an
 * action: each dry-run transaction covers what fits in it and is rolled back,
 * and the reports are added up here. Nothing is written anywhere.
 */
export async function planToEnd(
  ctx: RunActionCtx,
  component: ComponentApi,
  name: string,
  options: Pick<MigrationArgs, "cursor" | "batchSize" | "reset"> & { maxBatches?: number },
): Promise<DryRunReport> {
  checkWholeNumber("maxBatches", options.maxBatches, {
    min: 1,
    hint: "Leave it out for the whole table.",
  });
  const migration = {
    name,
    fnHandle: await createFunctionHandle(makeFunctionReference<"mutation">(name)),
  };
  let plan: Plan | ReturnType<typeof emptyPlan> = emptyPlan(options.cursor ?? null);
  let cursor = options.cursor;
  let from: string | null | undefined;
  const limit = options.maxBatches ?? Number.POSITIVE_INFINITY;
  while (!plan.isDone && plan.batches < limit) {
    const part = await ctx.runMutation(component.lib.dryRun, {
      migration,
      cursor,
      batchSize: options.batchSize,
      reset: options.reset,
      maxBatches: Math.min(100, limit - plan.batches),
    });
    from ??= part.cursor;
    plan = merge(plan, part);
    cursor = part.continueCursor;
  }
  return { ...(plan as Plan), name, cursor: from ?? null, dryRun: true };
}

function merge(plan: Plan | ReturnType<typeof emptyPlan>, part: DryRunReport): Plan {
  const added = addToPlan(plan, part);
  return { ...added, batches: plan.batches + part.batches };
}
