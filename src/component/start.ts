/** Starting, resuming and chaining runs. */
import { checkBatchSize } from "../shared/errors.js";
import { MAX_BATCH_SIZE, type MigrationAddress, type StartResult } from "../shared/validators.js";
import { internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { describeMigration } from "./appCalls.js";
import { latestRun, toStatus, withLiveState } from "./runs.js";

export type StartRequest = {
  migration: MigrationAddress;
  /** Start here instead of the saved cursor; null is the start of the range. */
  cursor?: string | null;
  batchSize?: number;
  /** Start a new run from the beginning even if the last one finished. */
  reset?: boolean;
  /** Migrations to start in order after this one is done. */
  next: MigrationAddress[];
  cliModule: string;
  /** False when the caller drives the batches itself (`runToCompletion`). */
  schedule: boolean;
  /** The rollout whose backfill this is, when a rollout starts it. */
  rollout?: string;
};

/**
 * Starts a migration, resumes it, or leaves it alone:
 * - running: returns its status and starts nothing (a chain given now is kept,
 *   so a deploy's `runAll` still continues after a run someone started by hand);
 * - done, with no reset or cursor: moves on to the next migration of the chain;
 * - failed or canceled: resumes the same run at its saved cursor;
 * - never run, reset, or an explicit cursor: a new run.
 * Everything is checked before anything is written.
 */
export async function startMigration(
  ctx: MutationCtx,
  request: StartRequest,
): Promise<StartResult> {
  checkBatchSize(request.batchSize, MAX_BATCH_SIZE);
  const saved = await latestRun(ctx, request.migration.name);
  const live = saved && (await withLiveState(ctx, saved));
  const fresh = live === null || request.reset === true || request.cursor !== undefined;
  const cursor = request.cursor !== undefined ? request.cursor : fresh ? null : live.cursor;
  const description = await describeMigration(ctx, request.migration, cursor);
  // A chain with a name that leads nowhere would stop halfway; refuse it now.
  for (const migration of request.next) await describeMigration(ctx, migration, null);

  if (live?.state === "running") {
    if (request.next.length > 0 && live.next.length === 0) {
      await ctx.db.patch("runs", live._id, { next: request.next });
      return { started: false, status: toStatus({ ...live, next: request.next }) };
    }
    return { started: false, status: toStatus(live) };
  }
  if (!fresh && live.isDone) {
    const [head, ...rest] = request.next;
    if (head === undefined) return { started: false, status: toStatus(live) };
    return await startMigration(ctx, { ...request, migration: head, next: rest, reset: false });
  }

  const now = Date.now();
  const batchSize = request.batchSize ?? (fresh ? description.batchSize : live.batchSize);
  let runId: Id<"runs">;
  let attempt: number;
  if (fresh) {
    attempt = 1;
    runId = await ctx.db.insert("runs", {
      name: request.migration.name,
      fnHandle: request.migration.fnHandle,
      state: "running",
      isDone: false,
      cursor,
      batchSize,
      processed: 0,
      changed: 0,
      batches: 0,
      startedAt: now,
      attemptStartedAt: now,
      next: request.next,
      cliModule: request.cliModule,
      attempt,
      rollout: request.rollout,
    });
  } else {
    runId = live._id;
    attempt = live.attempt + 1;
    await ctx.db.patch("runs", runId, {
      // The handle may have changed with a deploy; the name is what identifies it.
      fnHandle: request.migration.fnHandle,
      state: "running",
      batchSize,
      attemptStartedAt: now,
      endedAt: undefined,
      error: undefined,
      failedDocumentId: undefined,
      next: request.next.length > 0 ? request.next : live.next,
      cliModule: request.cliModule,
      attempt,
      jobId: undefined,
    });
  }
  await pointAtRun(ctx, request.migration.name, runId, now);
  if (request.schedule) {
    const jobId = await ctx.scheduler.runAfter(0, internal.batch.runBatch, { runId, attempt });
    await ctx.db.patch("runs", runId, { jobId });
  }
  const run = await ctx.db.get("runs", runId);
  return { started: true, status: toStatus(run!) };
}

async function pointAtRun(ctx: MutationCtx, name: string, runId: Id<"runs">, now: number) {
  const row = await ctx.db
    .query("migrations")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
  if (row) await ctx.db.patch("migrations", row._id, { runId, updatedAt: now });
  else await ctx.db.insert("migrations", { name, runId, updatedAt: now });
}
