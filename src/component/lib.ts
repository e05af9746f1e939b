/**
 * The component's public surface: the functions the client calls. They are
 * reachable only from the app's server code (components expose nothing to
 * browsers), and the app exposes them only through internal functions.
 */
import { v } from "convex/values";
import { checkBatchSize, rolloutError } from "../shared/errors.js";
import {
  MAX_BATCH_SIZE,
  vDryRunReport,
  vMigrationAddress,
  vMigrationStatus,
  vStartResult,
  type MigrationStatus,
} from "../shared/validators.js";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { describeMigration, dryRunBatchInApp } from "./appCalls.js";
import { executeBatch } from "./batch.js";
import { latestRun, toStatus, withLiveState } from "./runs.js";
import { startMigration } from "./start.js";

/** Status lists at most this many migrations, so it stays cheap however much ran. */
export const MAX_STATUS_LIMIT = 100;

const vCursorArg = v.optional(v.union(v.string(), v.null()));

export const start = mutation({
  args: {
    migration: vMigrationAddress,
    cursor: vCursorArg,
    batchSize: v.optional(v.number()),
    reset: v.optional(v.boolean()),
    next: v.optional(v.array(vMigrationAddress)),
    cliModule: v.string(),
    /** False when the caller drives the batches itself with `step`. */
    schedule: v.optional(v.boolean()),
  },
  returns: vStartResult,
  handler: async (ctx, args) =>
    await startMigration(ctx, {
      ...args,
      next: args.next ?? [],
      schedule: args.schedule ?? true,
    }),
});

/**
 * A plan report of the next batch (or the batch at `cursor`): it runs the real
 * code path in the app and rolls it back. This mutation writes nothing of its own.
 */
export const dryRun = mutation({
  args: {
    migration: vMigrationAddress,
    cursor: vCursorArg,
    batchSize: v.optional(v.number()),
    reset: v.optional(v.boolean()),
  },
  returns: vDryRunReport,
  handler: async (ctx, args) => {
    checkBatchSize(args.batchSize, MAX_BATCH_SIZE);
    const saved = await latestRun(ctx, args.migration.name);
    const resumable = saved !== null && !saved.isDone && args.reset !== true;
    const cursor = args.cursor !== undefined ? args.cursor : resumable ? saved.cursor : null;
    const description = await describeMigration(ctx, args.migration, cursor);
    const batchSize = args.batchSize ?? (resumable ? saved.batchSize : description.batchSize);
    const report = await dryRunBatchInApp(ctx, args.migration.fnHandle, cursor, batchSize);
    return { ...report, name: args.migration.name, cursor, dryRun: true as const };
  },
});

/**
 * Runs the next batch of a run that `start` left unscheduled, inside this
 * transaction. `runToCompletion` calls it in a loop from an action.
 */
export const step = mutation({
  args: { name: v.string() },
  returns: vMigrationStatus,
  handler: async (ctx, { name }) => {
    const run = await requireRun(ctx, name);
    if (run.state === "running" && run.jobId === undefined) {
      await executeBatch(ctx, run, { schedule: false });
    }
    return toStatus((await ctx.db.get("runs", run._id))!);
  },
});

export const cancel = mutation({
  args: { name: v.string() },
  returns: vMigrationStatus,
  handler: async (ctx, { name }) => toStatus(await cancelRun(ctx, await requireRun(ctx, name))),
});

export const cancelAll = mutation({
  args: {},
  returns: v.array(vMigrationStatus),
  handler: async (ctx) => {
    const statuses: MigrationStatus[] = [];
    for (const row of await ctx.db.query("migrations").take(MAX_STATUS_LIMIT)) {
      const run = await ctx.db.get("runs", row.runId);
      if (run?.state === "running") statuses.push(toStatus(await cancelRun(ctx, run)));
    }
    return statuses;
  },
});

export const status = query({
  args: { names: v.optional(v.array(v.string())), limit: v.optional(v.number()) },
  returns: v.array(vMigrationStatus),
  handler: async (ctx, { names, limit = 20 }) => {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_STATUS_LIMIT) {
      throw rolloutError(
        "InvalidArgument",
        `limit must be a whole number from 1 to ${MAX_STATUS_LIMIT}; got ${limit}.`,
        { limit: Number.isFinite(limit) ? limit : String(limit) },
      );
    }
    if (names !== undefined && names.length > MAX_STATUS_LIMIT) {
      throw rolloutError(
        "InvalidArgument",
        `Ask for at most ${MAX_STATUS_LIMIT} names at once; got ${names.length}.`,
      );
    }
    const runs: (Doc<"runs"> | null)[] = [];
    if (names !== undefined) {
      for (const name of names) runs.push(await latestRun(ctx, name));
    } else {
      const rows = await ctx.db
        .query("migrations")
        .withIndex("by_updatedAt")
        .order("desc")
        .take(limit);
      for (const row of rows) runs.push(await ctx.db.get("runs", row.runId));
    }
    const statuses: MigrationStatus[] = [];
    for (const run of runs) if (run) statuses.push(toStatus(await withLiveState(ctx, run)));
    return statuses;
  },
});

async function requireRun(ctx: QueryCtx, name: string): Promise<Doc<"runs">> {
  const run = await latestRun(ctx, name);
  if (run === null) {
    throw rolloutError(
      "UnknownMigration",
      `No migration named "${name}" has run here. Names look like "migrations:setDefault" ` +
        `(file:export); run \`npx convex run migrations:status\` to list those that have.`,
      { name },
    );
  }
  return await withLiveState(ctx, run);
}

/** Stops a running run after the batch in flight. Idempotent on a run that is not running. */
async function cancelRun(ctx: MutationCtx, run: Doc<"runs">): Promise<Doc<"runs">> {
  if (run.state !== "running") return run;
  if (run.jobId !== undefined) {
    const job = await ctx.db.system.get("_scheduled_functions", run.jobId);
    if (job?.state.kind === "pending") await ctx.scheduler.cancel(run.jobId);
  }
  const patch = { state: "canceled" as const, endedAt: Date.now(), jobId: undefined };
  await ctx.db.patch("runs", run._id, patch);
  return { ...run, ...patch };
}
