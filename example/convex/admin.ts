/** Migrations started and watched from the app's own code rather than the CLI. */
import {
  runToCompletion,
  type MigrationStatus,
  type RunResult,
  type StartResult,
} from "convex-rollouts";
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import { internalAction, internalMutation, internalQuery } from "./_generated/server";
import { migrations } from "./migrations";

// Handlers that reference `internal` say their return type: it cannot be inferred
// through the generated `internal` object, whose type includes this very file.
export const startPlanBackfill = internalMutation({
  args: {},
  handler: async (ctx): Promise<RunResult> => {
    return await migrations.runOne(ctx, internal.migrations.setDefaultPlan, { batchSize: 50 });
  },
});

export const backfillPosts = internalMutation({
  args: {},
  handler: async (ctx): Promise<StartResult | null> => {
    return await migrations.runSerially(ctx, [
      internal.migrations.countPostWords,
      internal.migrations.archiveEmptyPosts,
    ]);
  },
});

export const planStatus = internalQuery({
  args: {},
  handler: async (ctx) => {
    return await migrations.getStatus(ctx, { migrations: ["migrations:setDefaultPlan"] });
  },
});

export const stopPlanBackfill = internalMutation({
  args: { everything: v.optional(v.boolean()) },
  handler: async (ctx, { everything }) => {
    if (everything) return await migrations.cancelAll(ctx);
    return [await migrations.cancel(ctx, "migrations:setDefaultPlan")];
  },
});

/** In an action (or a test): every batch in turn, without the scheduler. */
export const countWordsNow = internalAction({
  args: {},
  handler: async (ctx): Promise<MigrationStatus> => {
    return await runToCompletion(ctx, components.rollouts, internal.migrations.countPostWords);
  },
});
