/** Starting, resuming and chaining runs. */
import { checkBatchSize, checkWholeNumber, rolloutError } from "../shared/errors.js";
import { ADAPTIVE_START, shrunkBatchSize } from "../shared/limits.js";
import {
  MAX_BATCH_SIZE,
  type MigrationAddress,
  type OnError,
  type StartResult,
} from "../shared/validators.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { describeMigration } from "./appCalls.js";
import { scheduleBatch } from "./batch.js";
import { getRollout } from "./rolloutStatus.js";
import { latestRun, toStatus, withLiveState } from "./runs.js";

/** The longest pause between batches: an hour. */
export const MAX_DELAY_MS = 3_600_000;

export type RunSettings = {
  batchSize?: number;
  /** Pause between batches, in ms. */
  delayMs?: number;
  onError?: OnError;
  /** Who or what starts it, recorded in the run. */
  by?: string;
  /** An estimate of the documents in range, for the percentage and ETA. */
  estimatedTotal?: number;
};

export type StartRequest = RunSettings & {
  migration: MigrationAddress;
  /** Start here instead of the saved cursor; null is the start of the range. */
  cursor?: string | null;
  /** Start a new run from the beginning even if the last one finished. */
  reset?: boolean;
  /** A run over the failure ledger only, retrying the documents recorded there. */
  retryFailed?: boolean;
  /** Migrations to start in order after this one is done. */
  next: MigrationAddress[];
  cliModule: string;
  /** False when the caller drives the batches itself (`runToCompletion`). */
  schedule: boolean;
  /** The rollout whose backfill this is, when a rollout starts it. */
  rollout?: string;
};

export function checkSettings(settings: RunSettings): void {
  checkBatchSize(settings.batchSize, MAX_BATCH_SIZE);
  checkWholeNumber("delayMs", settings.delayMs, {
    min: 0,
    max: MAX_DELAY_MS,
    hint: `Milliseconds, at most an hour: pass e.g. '{"delayMs": 500}', or 0 for no pause.`,
  });
  checkWholeNumber("estimatedTotal", settings.estimatedTotal, { min: 0 });
}

/**
 * Starts a migration, resumes it, or leaves it alone:
 * - running: returns its status and starts nothing (a chain given now is kept,
 *   so a deploy's `runAll` still continues after a run someone started by hand);
 * - done, with no reset or cursor: moves on to the next migration of the chain;
 * - paused, failed or canceled: resumes the same run at its saved cursor;
 * - never run, reset, an explicit cursor, or a retry of the ledger: a new run.
 * Everything is checked before anything is written.
 */
export async function startMigration(
  ctx: MutationCtx,
  request: StartRequest,
): Promise<StartResult> {
  checkSettings(request);
  const saved = await latestRun(ctx, request.migration.name);
  const live = saved && (await withLiveState(ctx, saved));
  const retry = request.retryFailed === true;
  if (retry && live !== null && !live.isDone && !live.retryFailed) {
    throw rolloutError(
      "InvalidArgument",
      `${request.migration.name} has a run that is ${live.state}, not done: finish it ` +
        `(\`npx convex run ${request.migration.name}\`) before retrying its failures.`,
      { name: request.migration.name },
    );
  }
  // A retry of the ledger is a run of its own: it never resumes the main pass,
  // and a finished retry is followed by a new one.
  const resumable = live !== null && !(retry && (!live.retryFailed || live.isDone));
  const fresh = !resumable || request.reset === true || request.cursor !== undefined;
  const cursor = request.cursor !== undefined ? request.cursor : fresh ? null : live.cursor;
  // A retry run's cursor walks the ledger, not the table: check table cursors only.
  const resumingRetry = !fresh && live?.retryFailed === true;
  const description = await describeMigration(
    ctx,
    request.migration,
    retry || resumingRetry ? null : cursor,
  );
  // A chain with a name that leads nowhere would stop halfway; refuse it now.
  for (const migration of request.next) await describeMigration(ctx, migration, null);

  if (live?.state === "running") {
    if (request.next.length > 0 && live.next.length === 0) {
      await ctx.db.patch("runs", live._id, { next: request.next });
      return { started: false, status: await toStatus(ctx, { ...live, next: request.next }) };
    }
    return { started: false, status: await toStatus(ctx, live) };
  }
  if (!fresh && live.isDone) {
    const [head, ...rest] = request.next;
    if (head === undefined) return { started: false, status: await toStatus(ctx, live) };
    return await startMigration(ctx, {
      ...request,
      migration: head,
      next: rest,
      reset: false,
      retryFailed: false,
    });
  }

  const now = Date.now();
  const fixed = request.batchSize ?? description.batchSize;
  let run: Doc<"runs">;
  if (fresh) {
    const runId = await ctx.db.insert("runs", {
      name: request.migration.name,
      fnHandle: request.migration.fnHandle,
      state: "running",
      isDone: false,
      cursor,
      batchSize: fixed ?? ADAPTIVE_START,
      adaptive: fixed === null,
      delayMs: request.delayMs ?? 0,
      onError: request.onError ?? description.onError,
      retryFailed: retry || undefined,
      processed: 0,
      changed: 0,
      failed: 0,
      batches: 0,
      recent: [],
      estimatedTotal: request.estimatedTotal ?? estimateFrom(live, retry),
      by: request.by,
      startedAt: now,
      attemptStartedAt: now,
      next: request.next,
      resetChain: (request.reset === true && request.next.length > 0) || undefined,
      cliModule: request.cliModule,
      attempt: 1,
      rollout: request.rollout ?? (await rolloutToCarry(ctx, live, cursor, retry)),
    });
    run = (await ctx.db.get("runs", runId))!;
    if (run.rollout !== undefined && request.rollout === undefined) {
      await adoptBackfill(ctx, run.rollout, runId);
    }
  } else {
    run = await resumeRun(ctx, live, saved!, request);
  }
  await pointAtRun(ctx, request.migration.name, run._id, now);
  if (request.schedule) {
    const jobId = await scheduleBatch(ctx, run, 0);
    await ctx.db.patch("runs", run._id, { jobId });
  }
  return { started: true, status: await toStatus(ctx, run) };
}

/** Resumes a paused, failed or canceled run in place: same row, same counts, its cursor. */
export async function resumeRun(
  ctx: MutationCtx,
  live: Doc<"runs">,
  saved: Doc<"runs">,
  settings: RunSettings & {
    migration?: MigrationAddress;
    next?: MigrationAddress[];
    cliModule?: string;
  },
): Promise<Doc<"runs">> {
  // A batch that failed as a whole may have hit a limit: an adaptive run resumes smaller.
  const failedAsWhole = saved.state === "running" && live.state === "failed";
  const shrink = live.adaptive && failedAsWhole && settings.batchSize === undefined;
  const batchSize =
    settings.batchSize ?? (shrink ? shrunkBatchSize(live.batchSize) : live.batchSize);
  const patch = {
    // The handle may have changed with a deploy; the name is what identifies it.
    fnHandle: settings.migration?.fnHandle ?? live.fnHandle,
    state: "running" as const,
    batchSize,
    ceiling: shrink ? Math.max(1, Math.floor(live.batchSize / 2)) : live.ceiling,
    adaptive: settings.batchSize === undefined && live.adaptive,
    delayMs: settings.delayMs ?? live.delayMs,
    onError: settings.onError ?? live.onError,
    estimatedTotal: settings.estimatedTotal ?? live.estimatedTotal,
    attemptStartedAt: Date.now(),
    endedAt: undefined,
    error: undefined,
    failedDocumentId: undefined,
    next: settings.next && settings.next.length > 0 ? settings.next : live.next,
    cliModule: settings.cliModule ?? live.cliModule,
    attempt: live.attempt + 1,
    recent: [],
    jobId: undefined,
  };
  await ctx.db.patch("runs", live._id, patch);
  return { ...live, ...patch };
}

/**
 * A new full pass of a migration that is the current backfill of a rollout in
 * `backfill` (someone ran it again with `reset`) becomes that rollout's
 * backfill: it started after dual writes went live and covers the whole
 * table, and the run it replaces will never finish. Answers the rollout's name.
 */
async function rolloutToCarry(
  ctx: MutationCtx,
  previous: Doc<"runs"> | null,
  cursor: string | null,
  retry: boolean,
): Promise<string | undefined> {
  if (previous?.rollout === undefined || cursor !== null || retry) return undefined;
  const rollout = await getRollout(ctx, previous.rollout);
  const current = rollout?.phase === "backfill" && rollout.backfillRunId === previous._id;
  return current ? previous.rollout : undefined;
}

async function adoptBackfill(ctx: MutationCtx, name: string, runId: Id<"runs">) {
  const rollout = (await getRollout(ctx, name))!;
  await ctx.db.patch("rollouts", rollout._id, { backfillRunId: runId, updatedAt: Date.now() });
}

/** The size of the last full pass, as an estimate for the next one. */
function estimateFrom(previous: Doc<"runs"> | null, retry: boolean): number | undefined {
  if (previous === null || !previous.isDone) return undefined;
  return retry ? previous.failed : previous.retryFailed ? undefined : previous.processed;
}

async function pointAtRun(ctx: MutationCtx, name: string, runId: Id<"runs">, now: number) {
  const row = await ctx.db
    .query("migrations")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
  if (row) await ctx.db.patch("migrations", row._id, { runId, updatedAt: now });
  else await ctx.db.insert("migrations", { name, runId, updatedAt: now });
}
