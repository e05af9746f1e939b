/**
 * The drop-in component's `lib` module: our engine's functions, and the ones
 * `@convex-dev/migrations` 0.3.6 exposed under the same names, with their
 * arguments and answers, so their CLI forms keep working:
 *
 *   npx convex run --component migrations lib:getStatus --watch
 *   npx convex run --component migrations lib:cancel '{name: "migrations:myMigration"}'
 *
 * and so does a batch of theirs still scheduled when the switch is deployed
 * (it calls `lib:migrate`, which now continues the migration on our engine).
 */
import { makeFunctionReference } from "convex/server";
import { ConvexError, v } from "convex/values";
import { checkWholeNumber, rolloutError } from "../../shared/errors.js";
import {
  isOurCursor,
  neverRan,
  toLegacyStatus,
  vLegacyStatus,
  type LegacyStatus,
} from "../../shared/legacy.js";
import { vMigrationAddress, type DryRunReport } from "../../shared/validators.js";
import type { Doc } from "../../component/_generated/dataModel.js";
import { mutation, query, type QueryCtx } from "../../component/_generated/server.js";
import { executeBatch } from "../../component/batch.js";
import {
  cancelLegacyWorker,
  isLegacyRow,
  legacyRow,
  legacyStatus,
} from "../../component/legacy.js";
import { isOurRow } from "../../component/ledger.js";
import { planNextBatches } from "../../component/lib.js";
import {
  cancelEveryRun,
  cancelRun,
  latestRun,
  stopRun,
  toStatus,
  withLiveState,
} from "../../component/runs.js";
import { startMigration } from "../../component/start.js";

export { dryRun, history, start, status, step } from "../../component/lib.js";

/** How many migrations `getStatus` lists when not given names (theirs: 100 by default). */
const DEFAULT_LIMIT = 100;
/** The most it lists, whatever `limit` says, so it stays one cheap read. */
const MAX_LIMIT = 1_000;

/** A run's status in their shape, as status reads it now. */
async function statusOfRun(ctx: QueryCtx, run: Doc<"runs">): Promise<LegacyStatus> {
  return toLegacyStatus(await toStatus(ctx, await withLiveState(ctx, run)));
}

/** One migration's status in their shape: ours, theirs not carried over yet, or never ran. */
async function statusOfName(ctx: QueryCtx, name: string): Promise<LegacyStatus> {
  const run = await latestRun(ctx, name);
  if (run !== null) return await statusOfRun(ctx, run);
  const legacy = await legacyRow(ctx, name);
  if (legacy !== null) return await legacyStatus(ctx, legacy);
  return neverRan(name);
}

/**
 * Their `lib:migrate`: start or resume a migration and run its first batch
 * now, in this transaction, then schedule the rest (with `oneBatchOnly`, run
 * one batch and stop it there, resumable). A dry run throws
 * `ConvexError({ kind: "DRY RUN", status })` after rolling its batch back.
 *
 * A cursor in their form (a batch of theirs scheduled before the switch
 * passes its own) means "where it stands": the saved position is used, which
 * the carry-over took from their row. `null` starts over, as does `reset`.
 */
export const migrate = mutation({
  args: {
    name: v.string(),
    fnHandle: v.string(),
    cursor: v.optional(v.union(v.string(), v.null())),
    batchSize: v.optional(v.number()),
    oneBatchOnly: v.optional(v.boolean()),
    next: v.optional(v.array(vMigrationAddress)),
    dryRun: v.boolean(),
    reset: v.optional(v.boolean()),
  },
  returns: vLegacyStatus,
  handler: async (ctx, args): Promise<LegacyStatus> => {
    if (args.batchSize !== undefined && !(args.batchSize > 0)) {
      throw rolloutError(
        "InvalidBatchSize",
        `Batch size must be greater than 0 (got ${args.batchSize}); leave it out for the migration's own.`,
        { batchSize: args.batchSize },
      );
    }
    if (!args.fnHandle.startsWith("function://")) {
      throw rolloutError(
        "InvalidArgument",
        `Invalid fnHandle "${args.fnHandle}". Do not call lib:migrate from the CLI or the ` +
          `dashboard: run the migration itself (npx convex run migrations:myMigration) or a ` +
          `runner (migrations.runner()).`,
      );
    }
    const migration = { name: args.name, fnHandle: args.fnHandle };
    const cursor = args.reset
      ? null
      : args.cursor === null || isOurCursor(args.cursor)
        ? args.cursor
        : undefined;
    if (args.dryRun) {
      const report = await planNextBatches(ctx, {
        migration,
        cursor,
        batchSize: args.batchSize,
        reset: args.reset,
      });
      // As theirs: the count as if the batch had committed on top of where it stands.
      const current = await statusOfName(ctx, args.name);
      const resumes = cursor === undefined && !current.isDone;
      const before = resumes ? current.processed : 0;
      throw new ConvexError({ kind: "DRY RUN", status: dryRunStatus(report, args, before) });
    }
    const { started, status } = await startMigration(ctx, {
      migration,
      cursor,
      reset: args.reset,
      batchSize: args.batchSize,
      next: args.next ?? [],
      cliModule: moduleOf(args.name),
      // Held by this call: its first batch runs below, then the scheduler takes over.
      schedule: false,
    });
    const run = started ? await latestRun(ctx, status.name) : null;
    if (run?.state === "running" && run.jobId === undefined) {
      await executeBatch(ctx, run, { schedule: args.oneBatchOnly !== true });
      const after = (await ctx.db.get("runs", run._id))!;
      if (args.oneBatchOnly && after.state === "running") await stopRun(ctx, after, "paused");
    }
    return await statusOfName(ctx, args.name);
  },
});

/** What their dry run answered: the status as if the batch had committed. */
function dryRunStatus(
  report: DryRunReport,
  args: { name: string; batchSize?: number; next?: { name: string }[] },
  processedBefore: number,
): LegacyStatus {
  const status: LegacyStatus = {
    name: args.name,
    cursor: report.isDone ? null : report.continueCursor,
    processed: processedBefore + report.examined,
    isDone: report.isDone,
    state: report.isDone ? "success" : "inProgress",
    latestStart: Date.now(),
  };
  if (args.batchSize !== undefined) status.batchSize = args.batchSize;
  if (args.next !== undefined) status.next = args.next.map((n) => n.name);
  return status;
}

/** The module a migration is in, for the commands status prints: "migrations" for "migrations:x". */
function moduleOf(name: string): string {
  return name.includes(":") ? name.slice(0, name.indexOf(":")) : "migrations";
}

/**
 * Their `lib:getStatus`: one status per name, in the order given (`unknown`
 * for a name that never ran), or the `limit` (default 100) most recently
 * started, oldest first. A migration theirs ran and ours has not taken over
 * yet reads as theirs did.
 */
export const getStatus = query({
  args: { names: v.optional(v.array(v.string())), limit: v.optional(v.number()) },
  returns: v.array(vLegacyStatus),
  handler: async (ctx, { names, limit = DEFAULT_LIMIT }): Promise<LegacyStatus[]> => {
    const statuses: LegacyStatus[] = [];
    if (names !== undefined) {
      for (const name of names) statuses.push(await statusOfName(ctx, name));
      return statuses;
    }
    checkWholeNumber("limit", limit, { min: 1 });
    // Ours by the time they last started; theirs (no such time) after them.
    const rows = await ctx.db
      .query("migrations")
      .withIndex("by_updatedAt")
      .order("desc")
      .take(Math.min(limit, MAX_LIMIT));
    for (const row of rows) {
      if (isOurRow(row)) {
        const run = await ctx.db.get("runs", row.runId);
        if (run !== null) statuses.push(await statusOfRun(ctx, run));
      } else if (isLegacyRow(row)) {
        statuses.push(await legacyStatus(ctx, row));
      }
    }
    return statuses.reverse();
  },
});

/** Their `lib:cancel`: stops a migration after the batch in flight; its cursor is kept. */
export const cancel = mutation({
  args: { name: v.string() },
  returns: vLegacyStatus,
  handler: async (ctx, { name }): Promise<LegacyStatus> => {
    const run = await latestRun(ctx, name);
    if (run !== null) return await statusOfRun(ctx, await cancelRun(ctx, run));
    const legacy = await legacyRow(ctx, name);
    if (legacy === null) {
      throw rolloutError(
        "UnknownMigration",
        `Migration ${name} not found. Names look like "migrations:myMigration" (file:export); ` +
          `npx convex run --component migrations lib:getStatus lists those that ran.`,
        { name },
      );
    }
    const status = await legacyStatus(ctx, legacy);
    return (await cancelLegacyWorker(ctx, legacy)) ? { ...status, state: "canceled" } : status;
  },
});

/** Their `lib:cancelAll`: cancels every running (or paused) migration; answers those it stopped. */
export const cancelAll = mutation({
  // Theirs paged with it; ours cancels them all in one go, and accepts it for the same calls.
  args: { sinceTs: v.optional(v.number()) },
  returns: v.array(vLegacyStatus),
  handler: async (ctx): Promise<LegacyStatus[]> => {
    const statuses: LegacyStatus[] = [];
    for (const run of await cancelEveryRun(ctx)) statuses.push(await statusOfRun(ctx, run));
    for (const row of await legacyRows(ctx)) {
      if (await cancelLegacyWorker(ctx, row)) {
        statuses.push({ ...(await legacyStatus(ctx, row)), state: "canceled" });
      }
    }
    return statuses;
  },
});

/** Their rows not carried over yet: the rows with no `updatedAt`, which only ours have. */
async function legacyRows(ctx: QueryCtx) {
  const rows = await ctx.db
    .query("migrations")
    .withIndex("by_updatedAt", (q) => q.eq("updatedAt", undefined as unknown as number))
    .collect();
  return (rows as unknown[]).filter(isLegacyRow);
}

/** A page of `clearAll`: the rest is scheduled. */
const CLEAR_PAGE = 100;

/**
 * Their `lib:clearAll`: forgets what ran before `before` (default now), so a
 * migration that was done can run again from the start. A migration running
 * or paused is kept: forgetting it would let a second run start beside it.
 * The history of runs is kept.
 */
export const clearAll = mutation({
  args: {
    before: v.optional(v.number()),
    /** Set by the scheduled continuation: the rows left are strictly older than this. */
    below: v.optional(v.number()),
  },
  returns: v.null(),
  handler: async (ctx, { before, below }) => {
    const rows = await ctx.db
      .query("migrations")
      .withIndex("by_creation_time", (q) =>
        below !== undefined
          ? q.lt("_creationTime", below)
          : q.lte("_creationTime", before ?? Date.now()),
      )
      .order("desc")
      .take(CLEAR_PAGE);
    for (const row of rows) {
      if (isOurRow(row)) {
        const run = await ctx.db.get("runs", row.runId);
        if (run?.state === "running" || run?.state === "paused") continue;
      }
      await ctx.db.delete("migrations", row._id);
    }
    const last = rows.at(-1);
    if (rows.length === CLEAR_PAGE && last !== undefined) {
      await ctx.scheduler.runAfter(0, makeFunctionReference<"mutation">("lib:clearAll"), {
        below: last._creationTime,
      });
    }
    return null;
  },
});
