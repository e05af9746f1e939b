/**
 * State left by `@convex-dev/migrations` 0.3.6, for the drop-in component.
 *
 * The drop-in is installed under the name that package used ("migrations"),
 * and Convex keeps a component's tables with its name: after the switch, this
 * component's `migrations` table still holds their rows, one per migration
 * name (cursor, isDone, processed, latestStart, latestEnd, error, workerId of
 * the next scheduled batch). The drop-in's schema accepts those rows beside
 * ours. Until one of our runs takes a name over, status reads their row as
 * they did; the first start of that name carries it over into a run of ours
 * (`carryOver`): done stays done, and a migration half done continues from
 * their cursor, so no document is migrated twice.
 *
 * In the `rollouts` component this table only ever holds our rows, and every
 * function here finds nothing.
 */
import type { Value } from "convex/values";
import { cursorFromLegacy, type LegacyStatus } from "../shared/legacy.js";
import { canonicalName } from "../shared/names.js";
import type { MigrationAddress } from "../shared/validators.js";
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { describeMigration } from "./appCalls.js";
import { jobRecord } from "./drivers.js";

/** A row of their `migrations` table. */
export type LegacyRow = {
  _id: Id<"migrations">;
  _creationTime: number;
  name: string;
  cursor: string | null;
  isDone: boolean;
  workerId?: Id<"_scheduled_functions">;
  error?: string;
  processed: number;
  latestStart: number;
  latestEnd?: number;
};

/** What they passed to their scheduled batch, `lib:migrate`, of which we read two fields. */
type LegacyWorkerArgs = {
  batchSize?: number;
  next?: MigrationAddress[];
};

/** True for a row of theirs; ours always point at a run. */
export function isLegacyRow(row: unknown): row is LegacyRow {
  if (typeof row !== "object" || row === null) return false;
  const r = row as Record<string, unknown>;
  return (
    r.runId === undefined &&
    typeof r.name === "string" &&
    typeof r.isDone === "boolean" &&
    typeof r.processed === "number" &&
    typeof r.latestStart === "number"
  );
}

/** Their row for this name, if it has not been carried over. */
export async function legacyRow(ctx: QueryCtx, name: string): Promise<LegacyRow | null> {
  const row: unknown = await ctx.db
    .query("migrations")
    .withIndex("by_name", (q) => q.eq("name", canonicalName(name)))
    .unique();
  return isLegacyRow(row) ? row : null;
}

async function workerOf(ctx: QueryCtx, row: LegacyRow) {
  if (row.workerId === undefined) return null;
  const job = await ctx.db.system.get("_scheduled_functions", row.workerId);
  if (job === null) return null;
  const args = (job.args[0] ?? {}) as LegacyWorkerArgs & Record<string, Value>;
  return { kind: job.state.kind, args };
}

/** Their row as their `getStatus` answered it. */
export async function legacyStatus(ctx: QueryCtx, row: LegacyRow): Promise<LegacyStatus> {
  const worker = await workerOf(ctx, row);
  const state = row.isDone
    ? "success"
    : row.error !== undefined || worker?.kind === "failed"
      ? "failed"
      : worker?.kind === "canceled"
        ? "canceled"
        : worker?.kind === "pending" || worker?.kind === "inProgress"
          ? "inProgress"
          : "unknown";
  const status: LegacyStatus = {
    name: row.name,
    cursor: row.isDone ? null : row.cursor,
    processed: row.processed,
    isDone: row.isDone,
    state,
    latestStart: row.latestStart,
  };
  if (row.error !== undefined) status.error = row.error;
  if (row.latestEnd !== undefined) status.latestEnd = row.latestEnd;
  if (worker?.args.batchSize !== undefined) status.batchSize = worker.args.batchSize;
  if (worker?.args.next !== undefined) status.next = worker.args.next.map((n) => n.name);
  return status;
}

/** Cancels their next batch if it is still waiting: after the switch it would run our code. */
export async function cancelLegacyWorker(ctx: MutationCtx, row: LegacyRow): Promise<boolean> {
  const job = await jobRecord(ctx, row.workerId);
  if (job?.kind !== "pending") return false;
  await ctx.scheduler.cancel(row.workerId!);
  return true;
}

/**
 * Their cursor in our form, `<table>|<their cursor>`, checked against the
 * migration's table and range (an `InvalidCursor` says what to do). Our batches
 * read a JSON-array cursor with convex-helpers' paginator, as theirs did, and
 * Convex's own cursor (theirs before 0.3.5) with `paginate`.
 */
async function resumeCursorOf(
  ctx: MutationCtx,
  migration: MigrationAddress,
  row: LegacyRow,
  table: string,
): Promise<string> {
  const cursor = cursorFromLegacy(table, row.cursor!);
  await describeMigration(ctx, migration, cursor);
  return cursor;
}

/** Where a dry run of a migration they left half done starts: their cursor, or null. */
export async function legacyResumeCursor(
  ctx: MutationCtx,
  migration: MigrationAddress,
): Promise<string | null> {
  const row = await legacyRow(ctx, migration.name);
  if (row === null || row.isDone || row.cursor === null) return null;
  const { table } = await describeMigration(ctx, migration, null);
  return await resumeCursorOf(ctx, migration, row, table);
}

/**
 * Takes their row for this migration over, before anything of ours runs it:
 * - done: a finished run of ours (so a chain or `runSerially` skips it, and
 *   `reset` or a cursor starts it again, as theirs did);
 * - half done (a cursor): a stopped run at their cursor, with their count, that
 *   a start resumes; failed if theirs failed;
 * - nothing done yet: their row is dropped and the start begins at the start.
 * Their next batch, if still scheduled, is canceled, and the chain it carried
 * is kept on the run. Their cursor is checked against the migration's table
 * and range before anything is written.
 */
export async function carryOver(
  ctx: MutationCtx,
  migration: MigrationAddress,
  cliModule: string,
): Promise<void> {
  const row = await legacyRow(ctx, migration.name);
  if (row === null) return;
  const worker = await workerOf(ctx, row);
  if (!row.isDone && row.cursor === null) {
    await cancelLegacyWorker(ctx, row);
    await ctx.db.delete("migrations", row._id);
    return;
  }
  let cursor: string | null = null;
  let batchSize = worker?.args.batchSize;
  if (!row.isDone) {
    const described = await describeMigration(ctx, migration, null);
    cursor = await resumeCursorOf(ctx, migration, row, described.table);
    batchSize ??= described.batchSize ?? undefined;
  }
  await cancelLegacyWorker(ctx, row);
  const now = Date.now();
  const runId = await ctx.db.insert("runs", {
    name: canonicalName(migration.name),
    fnHandle: migration.fnHandle,
    state: row.isDone ? "done" : row.error !== undefined ? "failed" : "canceled",
    isDone: row.isDone,
    cursor,
    batchSize: batchSize ?? 100,
    adaptive: false,
    fixedBatchSize: batchSize,
    delayMs: 0,
    onError: "stop",
    processed: row.processed,
    changed: 0,
    failed: 0,
    batches: 0,
    recent: [],
    by: "@convex-dev/migrations",
    startedAt: row.latestStart,
    attemptStartedAt: row.latestStart,
    endedAt: row.isDone ? (row.latestEnd ?? row.latestStart) : now,
    error: row.error,
    next: worker?.args.next ?? [],
    cliModule,
    attempt: 1,
    pass: 1,
    fullPass: true,
  });
  // Our row replaces theirs (same document), so one name never has two.
  await ctx.db.replace("migrations", row._id, {
    name: canonicalName(migration.name),
    runId,
    updatedAt: now,
    passes: 1,
  });
}
