/**
 * The batch loop: one batch per transaction, the cursor saved with it.
 *
 * Bookkeeping per batch is one read and one write of the run's own document
 * (plus the scheduled successor), whatever the size of the migrated table;
 * documents that throw with `onError: "skip"` add one ledger write each.
 */
import { v } from "convex/values";
import { describeError, isRolloutError } from "../shared/errors.js";
import { isLimitError, nextBatchSize, shrunkBatchSize, type Usage } from "../shared/limits.js";
import type { BatchResult } from "../shared/validators.js";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { runStepInApp, type WorkStep } from "./appCalls.js";
import { clearRetried, ledgerPage, recordFailures } from "./ledger.js";
import { RATE_WINDOW } from "./runs.js";
import { startMigration } from "./start.js";
import { startVerifyPass } from "./verify.js";

export const runBatch = internalMutation({
  args: { runId: v.id("runs"), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { runId, attempt }) => {
    const run = await ctx.db.get("runs", runId);
    // Canceled, paused, finished, or superseded by a resume: nothing to do.
    if (run === null || run.state !== "running" || run.attempt !== attempt) return null;
    await executeBatch(ctx, run, { schedule: true });
    return null;
  },
});

/** Schedules the run's next batch after its delay. */
export async function scheduleBatch(
  ctx: MutationCtx,
  run: Doc<"runs">,
  delayMs = run.delayMs,
): Promise<Id<"_scheduled_functions">> {
  return await ctx.scheduler.runAfter(delayMs, internal.batch.runBatch, {
    runId: run._id,
    attempt: run.attempt,
  });
}

/**
 * Runs the run's next batch and records it. A batch that throws is rolled back
 * on its own (its sub-transaction), so the saved cursor stays at the last batch
 * that committed. An adaptive run that hits a Convex limit retries the same
 * cursor with a smaller batch; otherwise the run stops as failed with the
 * error and, when `migrateOne` threw, the document it threw on.
 */
export async function executeBatch(
  ctx: MutationCtx,
  run: Doc<"runs">,
  { schedule }: { schedule: boolean },
): Promise<void> {
  const ledger = run.retryFailed ? await ledgerPage(ctx, run) : null;
  const step: WorkStep = ledger
    ? { kind: "retry", ids: ledger.ids }
    : {
        kind: "batch",
        cursor: run.cursor,
        batchSize: run.batchSize,
        dryRun: false,
        onError: run.onError,
        capReads: run.adaptive,
      };
  let outcome;
  try {
    outcome = await runStepInApp(ctx, run.fnHandle, step);
  } catch (error) {
    const message = describeError(error);
    if (run.adaptive && run.batchSize > 1 && isLimitError(message)) {
      // Same cursor, a smaller batch: the failed attempt wrote nothing. The
      // ceiling keeps the run from growing back into the same failure.
      const batchSize = shrunkBatchSize(run.batchSize);
      const ceiling = Math.max(1, Math.floor(run.batchSize / 2));
      const jobId = schedule ? await scheduleBatch(ctx, run, 0) : undefined;
      await ctx.db.patch("runs", run._id, { batchSize, ceiling, jobId });
      return;
    }
    await ctx.db.patch("runs", run._id, {
      state: "failed",
      error: message,
      failedDocumentId:
        isRolloutError(error, "MigrateOneFailed") && typeof error.data.documentId === "string"
          ? error.data.documentId
          : undefined,
      endedAt: Date.now(),
      jobId: undefined,
    });
    return;
  }
  const { failures } = outcome;
  const result: BatchResult = ledger
    ? { ...outcome.result, continueCursor: ledger.cursor, isDone: ledger.isDone }
    : outcome.result;
  // Every document this batch skipped counts for this run, even one the ledger already held.
  if (ledger) await clearRetried(ctx, run.name, ledger.ids, failures);
  else await recordFailures(ctx, run.name, failures);
  const now = Date.now();
  const progress = {
    cursor: result.continueCursor,
    processed: run.processed + result.processed,
    changed: run.changed + result.changed,
    failed: run.failed + failures.length,
    batches: run.batches + 1,
    recent: [...run.recent, { at: now, processed: result.processed }].slice(-RATE_WINDOW),
    batchSize:
      run.adaptive && !ledger
        ? Math.min(
            run.ceiling ?? Number.POSITIVE_INFINITY,
            nextBatchSize(run.batchSize, await batchUsage(ctx), result.processed),
          )
        : run.batchSize,
  };
  if (!result.isDone) {
    const jobId = schedule ? await scheduleBatch(ctx, run) : undefined;
    await ctx.db.patch("runs", run._id, { ...progress, jobId });
    return;
  }
  await ctx.db.patch("runs", run._id, {
    ...progress,
    state: "done",
    isDone: true,
    endedAt: now,
    jobId: undefined,
  });
  await startNextInChain(ctx, run, schedule);
  if (run.rollout !== undefined) await verifyAfterBackfill(ctx, run);
}

/**
 * What this transaction has used so far: the batch's page and writes (its
 * sub-transaction's usage folds into ours when it commits) and our own small
 * reads. Unknown on a backend without transaction metrics: grow cautiously.
 */
async function batchUsage(ctx: MutationCtx): Promise<Usage> {
  try {
    const metrics = await ctx.meta.getTransactionMetrics();
    return {
      bytesRead: metrics.bytesRead.used,
      documentsRead: metrics.documentsRead.used,
      databaseQueries: metrics.databaseQueries.used,
      bytesWritten: metrics.bytesWritten.used,
      documentsWritten: metrics.documentsWritten.used,
    };
  } catch {
    return {
      bytesRead: 0,
      documentsRead: 0,
      databaseQueries: 0,
      bytesWritten: 0,
      documentsWritten: 0,
    };
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
      // As in @convex-dev/migrations, a chain started with reset starts every member over.
      reset: run.resetChain,
      cliModule: run.cliModule,
      schedule,
      by: run.by,
    });
  } catch (error) {
    // This run did finish; say on it why the chain stopped rather than undo it.
    await ctx.db.patch("runs", run._id, {
      error: `Done, but the next migration ${head.name} could not start: ${describeError(error)}`,
    });
  }
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
