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
  vStatus,
  type MigrationStatus,
  type RolloutStatus,
} from "../shared/validators.js";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, query, type QueryCtx } from "./_generated/server.js";
import { describeMigration, dryRunBatchInApp } from "./appCalls.js";
import { executeBatch } from "./batch.js";
import { getRollout, rolloutStatus, storedRolloutStatus } from "./rolloutStatus.js";
import { cancelRun, latestRun, toStatus, withLiveState } from "./runs.js";
import { startMigration } from "./start.js";

/** Status lists at most this many migrations, so it stays cheap however much ran. */
export const MAX_STATUS_LIMIT = 100;

const vCursorArg = v.optional(v.union(v.string(), v.null()));
const vDeclaredRollout = v.object({
  name: v.string(),
  backfill: vMigrationAddress,
  hasVerify: v.boolean(),
  cliModule: v.string(),
});

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
  args: {
    names: v.optional(v.array(v.string())),
    limit: v.optional(v.number()),
    /** Rollouts the app declares, so those nobody has moved yet show, in `schema`. */
    declared: v.optional(v.array(vDeclaredRollout)),
  },
  returns: vStatus,
  handler: async (ctx, { names, limit = 20, declared = [] }) => {
    checkLimit("limit", limit);
    checkLimit("names", names?.length ?? 0);
    checkLimit("declared rollouts", declared.length);
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
    const migrations: MigrationStatus[] = [];
    for (const run of runs) if (run) migrations.push(toStatus(await withLiveState(ctx, run)));

    const rollouts: RolloutStatus[] = [];
    const shown = new Set<string>();
    for (const rollout of await ctx.db
      .query("rollouts")
      .withIndex("by_updatedAt")
      .order("desc")
      .take(limit)) {
      shown.add(rollout.name);
      rollouts.push(await storedRolloutStatus(ctx, rollout));
    }
    for (const d of declared) {
      if (shown.has(d.name)) continue;
      // Declared rollouts beyond `limit` may be stored without being listed above.
      rollouts.push(await rolloutStatus(ctx, await getRollout(ctx, d.name), d));
    }
    return { migrations, rollouts };
  },
});

function checkLimit(what: string, value: number) {
  const minimum = what === "limit" ? 1 : 0;
  if (!Number.isInteger(value) || value < minimum || value > MAX_STATUS_LIMIT) {
    throw rolloutError(
      "InvalidArgument",
      `${what} must be a whole number from ${minimum} to ${MAX_STATUS_LIMIT}; got ${value}. ` +
        `Status lists the most recent ones: ask for fewer, or by name.`,
      { [what]: Number.isFinite(value) ? value : String(value) },
    );
  }
}

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
