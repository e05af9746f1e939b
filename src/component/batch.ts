/**
 * The batch loop: one batch per transaction, the cursor saved with it.
 *
 * Bookkeeping per batch is one read and one write of the run's own document
 * (plus the scheduled successor), whatever the size of the migrated table.
 */
import { v } from "convex/values";
import { describeError, isRolloutError } from "../shared/errors.js";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { runBatchInApp } from "./appCalls.js";
import { startMigration } from "./start.js";
import { startVerifyPass } from "./verify.js";

export const runBatch = internalMutation({
  args: { runId: v.id("runs"), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { runId, attempt }) => {
    const run = await ctx.db.get("runs", runId);
    // Canceled, finished, or superseded by a resume: this batch has nothing to do.
    if (run === null || run.state !== "running" || run.attempt !== attempt) return null;
    await executeBatch(ctx, run, { schedule: true });
    return null;
  },
});

/**
 * Runs the run's next batch and records it. A batch that throws is rolled back
 * on its own (its sub-transaction), so the saved cursor stays at the last batch
 * that committed, and the run stops as failed with the error and, when
 * `migrateOne` threw, the document it threw on.
 */
export async function executeBatch(
  ctx: MutationCtx,
  run: Doc<"runs">,
  { schedule }: { schedule: boolean },
): Promise<void> {
  let result;
  try {
    result = await runBatchInApp(ctx, run.fnHandle, run.cursor, run.batchSize);
  } catch (error) {
    await ctx.db.patch("runs", run._id, {
      state: "failed",
      error: describeError(error),
      failedDocumentId:
        isRolloutError(error, "MigrateOneFailed") && typeof error.data.documentId === "string"
          ? error.data.documentId
          : undefined,
      endedAt: Date.now(),
      jobId: undefined,
    });
    return;
  }
  const progress = {
    cursor: result.continueCursor,
    processed: run.processed + result.processed,
    changed: run.changed + result.changed,
    batches: run.batches + 1,
  };
  if (!result.isDone) {
    const jobId = schedule
      ? await ctx.scheduler.runAfter(0, internal.batch.runBatch, {
          runId: run._id,
          attempt: run.attempt,
        })
      : undefined;
    await ctx.db.patch("runs", run._id, { ...progress, jobId });
    return;
  }
  await ctx.db.patch("runs", run._id, {
    ...progress,
    state: "done",
    isDone: true,
    endedAt: Date.now(),
    jobId: undefined,
  });
  await startNextInChain(ctx, run, schedule);
  if (run.rollout !== undefined) await verifyAfterBackfill(ctx, run);
}

/**
 * When a rollout's backfill finishes, its verify pass starts on its own, so
 * the gate to readNew opens without another command.
 */
async function verifyAfterBackfill(ctx: MutationCtx, run: Doc<"runs">) {
  const rollout = await ctx.db
    .query("rollouts")
    .withIndex("by_name", (q) => q.eq("name", run.rollout!))
    .unique();
  if (rollout?.phase !== "backfill" || rollout.backfillRunId !== run._id) return;
  if (!rollout.hasVerify) return;
  try {
    await startVerifyPass(ctx, rollout);
  } catch (error) {
    // The backfill did finish; keep it, and say why verify did not start.
    await ctx.db.patch("runs", run._id, {
      error: `Done, but the verify pass of ${rollout.name} could not start: ${describeError(error)}`,
    });
  }
}

/** A run that finished starts the next migration of its chain (a `runAll`). */
async function startNextInChain(ctx: MutationCtx, run: Doc<"runs">, schedule: boolean) {
  const [head, ...rest] = run.next;
  if (head === undefined) return;
  try {
    await startMigration(ctx, {
      migration: head,
      next: rest,
      cliModule: run.cliModule,
      schedule,
    });
  } catch (error) {
    // This run did finish; say on it why the chain stopped rather than undo it.
    await ctx.db.patch("runs", run._id, {
      error: `Done, but the next migration ${head.name} could not start: ${describeError(error)}`,
    });
  }
}
