/**
 * The batch loop: one batch per transaction, the cursor saved with it. Every
 * kind of run goes through it: a pass over the range, a retry of the failure
 * ledger, and a rollout's verify pass.
 *
 * Bookkeeping per batch is one read and one write of the run's own document
 * plus the scheduled successor, whatever the size of the migrated table;
 * documents that throw with `onError: "skip"` add one ledger write each.
 */
import { v } from "convex/values";
import { describeError, isRolloutError } from "../shared/errors.js";
import { isLimitError, nestedBatchLimits, type Usage } from "../shared/limits.js";
import {
  MAX_MISMATCH_IDS,
  type BatchResult,
  type VerifyBatchResult,
} from "../shared/validators.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { runStepInApp, type WorkStep } from "./appCalls.js";
import { afterBatchFailure, nextSizeAfterSuccess, type BatchFailure } from "./decisions.js";
import { nextDriver } from "./drivers.js";
import { clearRetried, ledgerPage, recordFailures, settleBefore } from "./ledger.js";
import { transactionUsage } from "./metrics.js";
import { getRollout } from "./rolloutStatus.js";
import { RATE_WINDOW } from "./runs.js";
import { afterRamp, sliceDone, sliceFailed } from "./slices.js";
import { startMigration } from "./start.js";
import { startVerifyPass } from "./verify.js";

export const runBatch = internalMutation({
  args: { runId: v.id("runs"), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { runId, attempt }) => {
    const run = await ctx.db.get("runs", runId);
    // Canceled, paused, finished, or superseded by a resume or a recovery: nothing to do.
    if (run === null || run.state !== "running" || run.attempt !== attempt) return null;
    await executeBatch(ctx, run, { schedule: true });
    return null;
  },
});

/** What the app is asked to do for this run's next batch. */
async function nextStep(ctx: MutationCtx, run: Doc<"runs">) {
  if (run.kind === "verify") {
    const step: WorkStep = {
      kind: "verify",
      rollout: run.rollout!,
      cursor: run.cursor,
      batchSize: run.batchSize,
    };
    return { step, ledger: null };
  }
  if (run.retryFailed) {
    const ledger = await ledgerPage(ctx, run);
    return { step: { kind: "retry", ids: ledger.ids } satisfies WorkStep, ledger };
  }
  const step: WorkStep = {
    kind: "batch",
    cursor: run.cursor,
    batchSize: run.batchSize,
    dryRun: false,
    onError: run.onError,
    capReads: run.adaptive,
    // A slice of a parallel run reads its own part of the table only.
    ...(run.slice ? { range: { lo: run.slice.lo, hi: run.slice.hi, stop: run.slice.stop } } : {}),
  };
  return { step, ledger: null };
}

/**
 * Runs the run's next batch and records it, in this transaction. The app's
 * batch runs as a nested call under limits below what this transaction has
 * left, so a batch that reaches one is rolled back on its own and the run
 * still records it here: a smaller retry of the same cursor, or after a
 * backoff, or (when migrateOne threw on a document and the run stops on
 * errors, or retries ran out) the run fails with the reason.
 * `schedule: false` is an action stepping the run (`runToCompletion`).
 */
export async function executeBatch(
  ctx: MutationCtx,
  run: Doc<"runs">,
  { schedule }: { schedule: boolean },
): Promise<void> {
  const { step, ledger } = await nextStep(ctx, run);
  let outcome;
  try {
    outcome = await runStepInApp(ctx, run.fnHandle, step, await batchLimits(ctx));
  } catch (error) {
    await applyFailure(ctx, run, classify(error), { schedule });
    return;
  }
  const now = Date.now();
  const { failures } = outcome;
  let result: BatchResult;
  let verified: Partial<Doc<"runs">> = {};
  if (step.kind === "verify") {
    const check = outcome.result as unknown as VerifyBatchResult;
    result = { ...check, processed: check.checked, changed: 0 };
    verified = {
      mismatches: (run.mismatches ?? 0) + check.mismatches,
      firstMismatchIds: [...(run.firstMismatchIds ?? []), ...check.mismatchIds].slice(
        0,
        MAX_MISMATCH_IDS,
      ),
    };
  } else if (ledger) {
    result = { ...outcome.result, continueCursor: ledger.cursor, isDone: ledger.isDone };
    await clearRetried(ctx, run, ledger.ids, failures);
  } else {
    result = outcome.result;
    await recordFailures(ctx, run.name, failures, run.pass);
  }
  const progress = {
    ...verified,
    cursor: result.continueCursor,
    processed: run.processed + result.processed,
    changed: run.changed + result.changed,
    // Every document this batch skipped counts for this run, even one the ledger already held.
    failed: run.failed + failures.length,
    batches: run.batches + 1,
    recent: [...run.recent, { at: now, processed: result.processed }].slice(-RATE_WINDOW),
    batchSize: ledger
      ? run.batchSize
      : nextSizeAfterSuccess(
          run,
          // Only an adaptive run sizes itself by what the batch used.
          run.adaptive ? await batchUsage(ctx) : NO_USAGE,
          result.processed,
        ),
    retries: undefined,
    error: undefined,
    ...(run.slice
      ? { slice: { ...run.slice, position: result.lastKey ?? run.slice.position } }
      : {}),
    ...(result.reached !== undefined ? { reached: result.reached } : {}),
  };
  if (!result.isDone) {
    await ctx.db.patch("runs", run._id, {
      ...progress,
      ...(await nextDriver(ctx, run, { schedule })),
    });
    // The one slice an adaptive parallel run starts with: is its size found yet?
    if (run.slice?.ramping)
      await afterRamp(ctx, { ...run, ...progress }, run.batchSize, { schedule });
    return;
  }
  const ended = {
    ...progress,
    state: "done" as const,
    isDone: true,
    endedAt: now,
    jobId: undefined,
    leaseUntil: undefined,
  };
  await ctx.db.patch("runs", run._id, ended);
  if (run.parent !== undefined) {
    // A slice: the run is done only with its last live slice.
    const finished = await sliceDone(ctx, { ...run, ...ended }, { schedule });
    if (finished !== null) await afterRunDone(ctx, finished);
    return;
  }
  await afterRunDone(ctx, run);
}

/** A run went over its whole range: settle the ledger, continue the chain, start a rollout's verify. */
async function afterRunDone(ctx: MutationCtx, run: Doc<"runs">): Promise<void> {
  if (run.kind === "verify") return;
  if (run.fullPass && run.pass !== undefined) await settleBefore(ctx, run.name, run.pass);
  await startNextInChain(ctx, run);
  if (run.rollout !== undefined) await verifyAfterBackfill(ctx, run);
}

/** Why a batch threw, as the decisions see it. */
function classify(error: unknown): BatchFailure & { documentId?: string } {
  const message = describeError(error);
  if (isRolloutError(error)) {
    const documentId = error.data.documentId;
    return {
      kind: "fatal",
      error: message,
      documentId: typeof documentId === "string" ? documentId : undefined,
    };
  }
  return classifyMessage(message);
}

/** A failure known only by its message: a limit, or a batch that failed as a whole. */
export function classifyMessage(message: string): BatchFailure {
  if (isLimitError(message)) return { kind: "limit", error: message };
  return { kind: "batch", error: message };
}

/**
 * Records a batch that did not commit, as the decisions say: the run retries
 * (same cursor, maybe smaller, maybe after a backoff) or fails with the reason.
 * Also how the monitor recovers a run whose driver is gone. An action stepping
 * the run retries at once rather than wait out a backoff.
 */
export async function applyFailure(
  ctx: MutationCtx,
  run: Doc<"runs">,
  failure: BatchFailure & { documentId?: string },
  { schedule }: { schedule: boolean },
): Promise<void> {
  const decision = afterBatchFailure(run, failure);
  if (decision.kind === "fail") {
    await ctx.db.patch("runs", run._id, {
      state: "failed",
      error: decision.error,
      failedDocumentId: failure.documentId,
      endedAt: Date.now(),
      jobId: undefined,
      leaseUntil: undefined,
    });
    if (run.parent !== undefined) {
      await sliceFailed(ctx, {
        ...run,
        error: decision.error,
        failedDocumentId: failure.documentId,
      });
    }
    return;
  }
  // A new attempt: a batch of the old one, if it ever ran, stops at once.
  const retry = { _id: run._id, attempt: run.attempt + 1, delayMs: decision.delayMs };
  await ctx.db.patch("runs", run._id, {
    batchSize: decision.batchSize,
    ceiling: decision.ceiling,
    retries: decision.retries,
    error: decision.note,
    attempt: retry.attempt,
    ...(await nextDriver(ctx, retry, { schedule })),
  });
}

/**
 * The nested call's limits: what this transaction has left, less the
 * bookkeeping's share. A backend without transaction metrics runs the batch
 * under the transaction's own limits.
 */
async function batchLimits(ctx: MutationCtx): Promise<Usage | undefined> {
  const usage = await transactionUsage(ctx);
  return usage ? nestedBatchLimits(usage.remaining) : undefined;
}

/**
 * What this transaction has used so far: the batch's page and writes (its
 * sub-transaction's usage folds into ours when it commits) and our own small
 * reads. Unknown on a backend without transaction metrics: grow cautiously.
 */
async function batchUsage(ctx: MutationCtx): Promise<Usage> {
  return (await transactionUsage(ctx))?.used ?? NO_USAGE;
}

const NO_USAGE: Usage = {
  bytesRead: 0,
  documentsRead: 0,
  databaseQueries: 0,
  bytesWritten: 0,
  documentsWritten: 0,
};

/**
 * A run that finished starts the next migration of its chain (a `runAll`).
 * The next one is always scheduled: an action that stepped this run drives
 * only this run, and would leave the next one running with nothing driving it.
 */
async function startNextInChain(ctx: MutationCtx, run: Doc<"runs">) {
  const [head, ...rest] = run.next;
  if (head === undefined) return;
  try {
    await startMigration(ctx, {
      migration: head,
      next: rest,
      // As in @convex-dev/migrations, a chain started with reset starts every member over.
      reset: run.resetChain,
      cliModule: run.cliModule,
      schedule: true,
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
  const rollout = await getRollout(ctx, run.rollout!);
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
