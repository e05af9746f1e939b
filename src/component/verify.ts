/**
 * Verify passes: a rollout's verify function checked over every document of
 * its backfill's table, in batches, like a migration that writes nothing.
 * The rollout's row holds the pass; each batch reads and writes only that row.
 */
import { v } from "convex/values";
import type { FunctionHandle } from "convex/server";
import { describeError } from "../shared/errors.js";
import {
  MAX_MISMATCH_IDS,
  type Step,
  type VerifyBatchResult,
  type VerifyStatus,
} from "../shared/validators.js";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { describeMigration } from "./appCalls.js";
import { cancelPendingJob, jobEnding } from "./jobs.js";

/** Documents per verify batch when the backfill fixes no batch size. */
export const VERIFY_BATCH_SIZE = 1_000;

export const verifyBatch = internalMutation({
  args: { rolloutId: v.id("rollouts"), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { rolloutId, attempt }) => {
    const rollout = await ctx.db.get("rollouts", rolloutId);
    const pass = rollout?.verify;
    // Canceled, finished, or replaced by a newer pass: nothing to do.
    if (!rollout || pass?.state !== "running" || pass.attempt !== attempt) return null;
    let result: VerifyBatchResult;
    try {
      result = await ctx.runMutation(
        rollout.backfill.fnHandle as FunctionHandle<"mutation", { step: Step }, VerifyBatchResult>,
        {
          step: {
            kind: "verify",
            rollout: rollout.name,
            cursor: pass.cursor,
            batchSize: pass.batchSize,
          },
        },
      );
    } catch (error) {
      await ctx.db.patch("rollouts", rolloutId, {
        verify: {
          ...pass,
          state: "failed",
          error: describeError(error),
          endedAt: Date.now(),
          jobId: undefined,
        },
      });
      return null;
    }
    const progress = {
      ...pass,
      checked: pass.checked + result.checked,
      mismatches: pass.mismatches + result.mismatches,
      firstMismatchIds: [...pass.firstMismatchIds, ...result.mismatchIds].slice(
        0,
        MAX_MISMATCH_IDS,
      ),
      cursor: result.continueCursor,
      batches: pass.batches + 1,
    };
    if (result.isDone) {
      await ctx.db.patch("rollouts", rolloutId, {
        verify: { ...progress, state: "done", endedAt: Date.now(), jobId: undefined },
      });
    } else {
      const jobId = await ctx.scheduler.runAfter(0, internal.verify.verifyBatch, {
        rolloutId,
        attempt,
      });
      await ctx.db.patch("rollouts", rolloutId, { verify: { ...progress, jobId } });
    }
    return null;
  },
});

/** Starts a new verify pass from the start of the table, replacing any earlier one. */
export async function startVerifyPass(ctx: MutationCtx, rollout: Doc<"rollouts">): Promise<void> {
  const { batchSize: fixed } = await describeMigration(ctx, rollout.backfill, null);
  // Verify only reads, and its pages are capped like an adaptive run's.
  const batchSize = fixed ?? VERIFY_BATCH_SIZE;
  await stopVerifyPass(ctx, rollout);
  const attempt = (rollout.verify?.attempt ?? 0) + 1;
  const jobId = await ctx.scheduler.runAfter(0, internal.verify.verifyBatch, {
    rolloutId: rollout._id,
    attempt,
  });
  await ctx.db.patch("rollouts", rollout._id, {
    verify: {
      state: "running",
      checked: 0,
      mismatches: 0,
      firstMismatchIds: [],
      cursor: null,
      batches: 0,
      startedAt: Date.now(),
      batchSize,
      attempt,
      jobId,
    },
  });
}

/** Cancels a running verify pass. */
export async function stopVerifyPass(ctx: MutationCtx, rollout: Doc<"rollouts">): Promise<void> {
  const pass = rollout.verify;
  if (pass?.state !== "running") return;
  await cancelPendingJob(ctx, pass.jobId);
  await ctx.db.patch("rollouts", rollout._id, {
    verify: { ...pass, state: "canceled", endedAt: Date.now(), jobId: undefined },
  });
}

/** The pass as it really stands: a running pass whose scheduled batch failed as a whole is failed. */
export async function liveVerifyStatus(
  ctx: QueryCtx,
  rollout: Doc<"rollouts">,
): Promise<VerifyStatus | null> {
  const pass = rollout.verify;
  if (pass === undefined) return null;
  const { batchSize: _b, attempt: _a, jobId, ...status } = pass;
  if (status.state !== "running") return status;
  const ending = await jobEnding(ctx, jobId);
  if (ending?.state !== "failed") return status;
  return {
    ...status,
    state: "failed",
    error: `A scheduled verify batch failed: ${ending.error}`,
    endedAt: ending.endedAt,
  };
}
