/**
 * The component's public surface: the functions the client calls. They are
 * reachable only from the app's server code (components expose nothing to
 * browsers), and the app exposes them only through internal functions, or
 * through the public ones `operatorApi()` guards with the app's `authorize`.
 */
import { v } from "convex/values";
import { checkBatchSize, checkWholeNumber, describeError, rolloutError } from "../shared/errors.js";
import { ADAPTIVE_START } from "../shared/limits.js";
import {
  MAX_BATCH_SIZE,
  vDeclaredRollout,
  vDryRunReport,
  vMigrationAddress,
  vMigrationStatus,
  vOnError,
  vStartResult,
  vStatus,
  type DryRunReport,
  type MigrationAddress,
  type MigrationStatus,
  type RolloutStatus,
} from "../shared/validators.js";
import { mutation, query, type MutationCtx } from "./_generated/server.js";
import { describeMigration, dryRunBatchInApp } from "./appCalls.js";
import { applyFailure, classifyMessage, executeBatch } from "./batch.js";
import { legacyResumeCursor } from "./legacy.js";
import { transactionUsage } from "./metrics.js";
import { isOurRow } from "./ledger.js";
import {
  isRolloutName,
  namedRolloutStatus,
  rolloutStatus,
  storedRolloutStatus,
} from "./rolloutStatus.js";
import { addToPlan, emptyPlan, type Plan } from "../shared/plan.js";
import { latestRun, requireRun, toStatus, unknownStatus, withLiveState } from "./runs.js";
import { sliceToStep } from "./slices.js";
import { startMigration } from "./start.js";

/** Status lists at most this many migrations, so it stays cheap however much ran. */
export const MAX_STATUS_LIMIT = 100;
/** How many of the latest runs status shows. */
export const STATUS_HISTORY = 5;

const vCursorArg = v.optional(v.union(v.string(), v.null()));
/** A declared rollout, with the module the app exports its CLI verbs from. */
const vDeclaredWithVerbs = v.object({ ...vDeclaredRollout.fields, cliModule: v.string() });

export const start = mutation({
  args: {
    migration: vMigrationAddress,
    cursor: vCursorArg,
    batchSize: v.optional(v.number()),
    reset: v.optional(v.boolean()),
    next: v.optional(v.array(vMigrationAddress)),
    cliModule: v.string(),
    delayMs: v.optional(v.number()),
    onError: v.optional(vOnError),
    retryFailed: v.optional(v.boolean()),
    estimatedTotal: v.optional(v.number()),
    /** Slices of the table at once (default: `define()`'s, or 1). */
    parallelism: v.optional(v.number()),
    by: v.optional(v.string()),
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

/** The most batches one dry run covers in its transaction. */
export const MAX_DRY_RUN_BATCHES = 100;

/**
 * A plan report of the next batches (or those from `cursor`): each runs the
 * real code path in the app and is rolled back. This mutation writes nothing
 * of its own. It covers up to `maxBatches` batches, stopping sooner when its
 * transaction has read half of what Convex allows (the rolled-back batches'
 * reads still count); the report says where to continue.
 */
export const dryRun = mutation({
  args: {
    migration: vMigrationAddress,
    cursor: vCursorArg,
    batchSize: v.optional(v.number()),
    reset: v.optional(v.boolean()),
    maxBatches: v.optional(v.number()),
  },
  returns: vDryRunReport,
  handler: async (ctx, args) => await planNextBatches(ctx, args),
});

/** The dry run's report; the drop-in component's `lib:migrate` reports with it too. */
export async function planNextBatches(
  ctx: MutationCtx,
  args: {
    migration: MigrationAddress;
    cursor?: string | null;
    batchSize?: number;
    reset?: boolean;
    maxBatches?: number;
  },
): Promise<DryRunReport> {
  checkBatchSize(args.batchSize, MAX_BATCH_SIZE);
  const maxBatches = args.maxBatches ?? 1;
  checkWholeNumber("maxBatches", maxBatches, { min: 1, max: MAX_DRY_RUN_BATCHES });
  const saved = await latestRun(ctx, args.migration.name);
  const resumable = saved !== null && !saved.isDone && !saved.retryFailed && args.reset !== true;
  const cursor =
    args.cursor !== undefined
      ? args.cursor
      : resumable
        ? saved.cursor
        : saved === null && args.reset !== true
          ? // Half done by @convex-dev/migrations (drop-in component): plan from their cursor.
            await legacyResumeCursor(ctx, args.migration)
          : null;
  const description = await describeMigration(ctx, args.migration, cursor);
  const batchSize =
    args.batchSize ?? (resumable ? saved.batchSize : (description.batchSize ?? ADAPTIVE_START));
  let report: Plan | ReturnType<typeof emptyPlan> = emptyPlan(cursor);
  while (report.batches < maxBatches && !report.isDone) {
    const batch = await dryRunBatchInApp(
      ctx,
      args.migration.fnHandle,
      report.continueCursor,
      batchSize,
    );
    report = addToPlan(report, batch);
    if (report.batches < maxBatches && !report.isDone && (await nearReadLimits(ctx))) {
      report = { ...report, stoppedEarly: true };
      break;
    }
  }
  // At least one batch ran, so the report has a cursor to continue from.
  const plan = report as Plan;
  return { ...plan, name: args.migration.name, cursor, dryRun: true as const };
}

/**
 * Runs the next batch of a run that an action drives (`start` with
 * `schedule: false`), inside this transaction, and renews the action's hold
 * on it. `runToCompletion` calls it in a loop. A run the scheduler drives
 * (the monitor took it over, or it was never the action's) is left to it.
 */
export const step = mutation({
  args: {
    name: v.string(),
    /**
     * The previous step's whole transaction failed with this error, so it
     * recorded nothing: record it now (a smaller retry, or the run fails),
     * instead of running the same batch again.
     */
    failed: v.optional(v.string()),
  },
  returns: vMigrationStatus,
  handler: async (ctx, { name, failed }) => {
    const run = await requireRun(ctx, name);
    // A parallel run: step the slice it holds that is furthest behind.
    const unit =
      run.parallelism !== undefined && run.state === "running" ? await sliceToStep(ctx, run) : run;
    if (unit !== null && unit.state === "running" && unit.jobId === undefined) {
      if (failed === undefined) await executeBatch(ctx, unit, { schedule: false });
      else await applyFailure(ctx, unit, classifyMessage(failed), { schedule: false });
    }
    return await toStatus(ctx, (await ctx.db.get("runs", run._id))!);
  },
});

/**
 * Everything status shows, bounded whatever has run. Asked by name (`names`,
 * `rollouts`), it answers exactly those: one entry per migration named, in
 * order ("unknown" for one that never ran here), and the rollouts named,
 * whether among `names` or in `rollouts`. Otherwise the `limit` most recent
 * migrations and the `limit` most recently moved rollouts, then declared ones
 * nobody moved (in `schema`), with a count of those left out. Always the
 * latest runs.
 */
export const status = query({
  args: {
    names: v.optional(v.array(v.string())),
    /** Rollouts to answer, by name; given, only the rollouts named are answered. */
    rollouts: v.optional(v.array(v.string())),
    limit: v.optional(v.number()),
    /** Rollouts the app declares, so those nobody has moved yet show, in `schema`. */
    declared: v.optional(v.array(vDeclaredWithVerbs)),
  },
  returns: vStatus,
  handler: async (ctx, { names, rollouts: rolloutNames, limit = 20, declared = [] }) => {
    checkWholeNumber("limit", limit, { min: 1, max: MAX_STATUS_LIMIT });
    const migrations: MigrationStatus[] = [];
    const named = [...(rolloutNames ?? [])];
    if (names !== undefined) {
      for (const name of names) {
        const run = await latestRun(ctx, name);
        if (run !== null) migrations.push(await toStatus(ctx, await withLiveState(ctx, run)));
        else if (await isRolloutName(ctx, name, declared)) named.push(name);
        else migrations.push(unknownStatus(name));
      }
    } else {
      const rows = await ctx.db
        .query("migrations")
        .withIndex("by_updatedAt")
        .order("desc")
        .take(limit);
      for (const row of rows) {
        const run = isOurRow(row) ? await ctx.db.get("runs", row.runId) : null;
        if (run) migrations.push(await toStatus(ctx, await withLiveState(ctx, run)));
      }
    }
    const history: MigrationStatus[] = [];
    for (const run of await ctx.db
      .query("runs")
      // A slice is part of its run, which history shows.
      .withIndex("by_parent_and_startedAt", (q) => q.eq("parent", undefined))
      .order("desc")
      .take(STATUS_HISTORY)) {
      history.push(await toStatus(ctx, await withLiveState(ctx, run)));
    }
    if (names !== undefined || rolloutNames !== undefined) {
      const rollouts: RolloutStatus[] = [];
      for (const name of new Set(named))
        rollouts.push(await namedRolloutStatus(ctx, name, declared));
      return { migrations, rollouts, history };
    }

    const rollouts: RolloutStatus[] = [];
    const shown = new Set<string>();
    const stored = await ctx.db
      .query("rollouts")
      .withIndex("by_updatedAt")
      .order("desc")
      .take(limit);
    for (const rollout of stored) {
      shown.add(rollout.name);
      const current = declared.find((d) => d.name === rollout.name);
      rollouts.push(
        current
          ? await rolloutStatus(ctx, rollout, current)
          : await storedRolloutStatus(ctx, rollout),
      );
    }
    // Fewer stored than the limit means all are listed above: the other declared ones are in schema.
    const unmoved = stored.length < limit ? declared.filter((d) => !shown.has(d.name)) : [];
    for (const d of unmoved.slice(0, limit - rollouts.length)) {
      rollouts.push(await rolloutStatus(ctx, null, d));
      shown.add(d.name);
    }
    const omitted = declared.filter((d) => !shown.has(d.name)).length;
    return { migrations, rollouts, history, ...(omitted > 0 ? { rolloutsOmitted: omitted } : {}) };
  },
});

/** Every run, newest first, a page at a time; of one migration when `name` is given. */
export const history = query({
  args: {
    name: v.optional(v.string()),
    cursor: v.union(v.string(), v.null()),
    numItems: v.number(),
  },
  returns: v.object({
    page: v.array(vMigrationStatus),
    continueCursor: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { name, cursor, numItems }) => {
    checkWholeNumber("numItems", numItems, { min: 1, max: MAX_STATUS_LIMIT });
    // A slice is part of its run, which history shows: runs with no parent only.
    const runs =
      name === undefined
        ? ctx.db
            .query("runs")
            .withIndex("by_parent_and_startedAt", (q) => q.eq("parent", undefined))
            .order("desc")
        : ctx.db
            .query("runs")
            .withIndex("by_parent_and_name", (q) => q.eq("parent", undefined).eq("name", name))
            .order("desc");
    let result;
    try {
      result = await runs.paginate({ cursor, numItems });
    } catch (error) {
      throw rolloutError(
        "InvalidCursor",
        `That history cursor does not parse (${describeError(error)}). Pass null for the ` +
          `first page, then each page's continueCursor.`,
      );
    }
    const page: MigrationStatus[] = [];
    for (const run of result.page) page.push(await toStatus(ctx, await withLiveState(ctx, run)));
    return { page, continueCursor: result.continueCursor, isDone: result.isDone };
  },
});

/** True once this transaction has read half of what Convex allows. */
async function nearReadLimits(ctx: MutationCtx): Promise<boolean> {
  const usage = await transactionUsage(ctx);
  if (usage === null) return false;
  const { used, remaining } = usage;
  return (["bytesRead", "documentsRead", "databaseQueries"] as const).some(
    (key) => used[key] >= (used[key] + remaining[key]) / 2,
  );
}
