/**
 * Verify passes: a rollout's verify function checked over every document of
 * its backfill's table. A pass is a run of kind "verify", named after the
 * rollout: the same batch loop, drivers, retries and monitor as a migration,
 * with a check that writes nothing instead of migrateOne. Its progress is on
 * its run's row; the rollout's row only points at it, and app code reads
 * neither (see phase in rollouts.ts).
 */
import type { VerifyStatus } from "../shared/validators.js";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { describeMigration } from "./appCalls.js";
import { ensureMonitor, nextDriver } from "./drivers.js";
import { stopRun } from "./runs.js";

/**
 * The first verify batch when the backfill fixes no batch size. A check only
 * reads, and its pages are capped like an adaptive run's, so it starts larger
 * than a migration; later batches size themselves like any adaptive run.
 */
export const VERIFY_BATCH_SIZE = 1_000;

/** Starts a new verify pass from the start of the table, replacing any earlier one. */
export async function startVerifyPass(ctx: MutationCtx, rollout: Doc<"rollouts">): Promise<void> {
  const { batchSize: fixed } = await describeMigration(ctx, rollout.backfill, null);
  await stopVerifyPass(ctx, rollout);
  const now = Date.now();
  const runId = await ctx.db.insert("runs", {
    name: rollout.name,
    kind: "verify",
    rollout: rollout.name,
    fnHandle: rollout.backfill.fnHandle,
    state: "running",
    isDone: false,
    cursor: null,
    batchSize: fixed ?? VERIFY_BATCH_SIZE,
    adaptive: fixed === null,
    fixedBatchSize: fixed ?? undefined,
    delayMs: 0,
    onError: "stop",
    processed: 0,
    changed: 0,
    failed: 0,
    mismatches: 0,
    firstMismatchIds: [],
    batches: 0,
    recent: [],
    startedAt: now,
    attemptStartedAt: now,
    next: [],
    cliModule: rollout.cliModule,
    attempt: 1,
  });
  const driver = await nextDriver(ctx, { _id: runId, attempt: 1, delayMs: 0 }, { schedule: true });
  await ctx.db.patch("runs", runId, driver);
  await ctx.db.patch("rollouts", rollout._id, { verifyRunId: runId });
  await ensureMonitor(ctx);
}

/** Cancels the rollout's running verify pass, if any. */
export async function stopVerifyPass(ctx: MutationCtx, rollout: Doc<"rollouts">): Promise<void> {
  const run = await verifyRunOf(ctx, rollout);
  if (run) await stopRun(ctx, run, "canceled");
}

export async function verifyRunOf(
  ctx: QueryCtx,
  rollout: Doc<"rollouts"> | null,
): Promise<Doc<"runs"> | null> {
  return rollout?.verifyRunId ? await ctx.db.get("runs", rollout.verifyRunId) : null;
}

/** A verify pass as status and the gate see it. */
export function verifyStatusOf(run: Doc<"runs">): VerifyStatus {
  return {
    state: run.state,
    checked: run.processed,
    mismatches: run.mismatches ?? 0,
    firstMismatchIds: run.firstMismatchIds ?? [],
    cursor: run.cursor,
    batches: run.batches,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    error: run.error,
  };
}
