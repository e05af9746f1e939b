/**
 * Operating a run: cancel, pause, resume and throttle. Each is idempotent and
 * answers the run's status, whatever state the run is in.
 */
import { v } from "convex/values";
import { type MigrationStatus, vMigrationAddress, vMigrationStatus } from "../shared/validators.js";
import { mutation } from "./_generated/server.js";
import { scheduleBatch } from "./batch.js";
import { MAX_STATUS_LIMIT } from "./lib.js";
import { cancelRun, requireRun, stopRun, toStatus, withLiveState } from "./runs.js";
import { checkSettings, resumeRun } from "./start.js";

/** Stops a run after the batch in flight; its cursor is kept. Also stops a paused run. */
export const cancel = mutation({
  args: { name: v.string() },
  returns: vMigrationStatus,
  handler: async (ctx, { name }) =>
    await toStatus(ctx, await cancelRun(ctx, await requireRun(ctx, name))),
});

export const cancelAll = mutation({
  args: {},
  returns: v.array(vMigrationStatus),
  handler: async (ctx) => {
    const statuses: MigrationStatus[] = [];
    for (const row of await ctx.db.query("migrations").take(MAX_STATUS_LIMIT)) {
      const saved = await ctx.db.get("runs", row.runId);
      // As they really stand: a run whose batch failed as a whole is failed, not running.
      const run = saved && (await withLiveState(ctx, saved));
      if (run?.state === "running" || run?.state === "paused") {
        statuses.push(await toStatus(ctx, await cancelRun(ctx, run)));
      }
    }
    return statuses;
  },
});

/** Stops a running run after the batch in flight, keeping its cursor, until `resume`. */
export const pause = mutation({
  args: { name: v.string() },
  returns: vMigrationStatus,
  handler: async (ctx, { name }) =>
    await toStatus(ctx, await stopRun(ctx, await requireRun(ctx, name), "paused")),
});

/**
 * Continues a paused run at its cursor; also resumes a failed or canceled one.
 * A running or finished run is left as it is.
 */
export const resume = mutation({
  args: {
    name: v.string(),
    /** The migration's current handle: after a deploy the stored one may lead nowhere. */
    migration: v.optional(vMigrationAddress),
  },
  returns: vMigrationStatus,
  handler: async (ctx, { name, migration }): Promise<MigrationStatus> => {
    const live = await requireRun(ctx, name);
    if (live.state === "running" || live.state === "done") return await toStatus(ctx, live);
    const saved = (await ctx.db.get("runs", live._id))!;
    const run = await resumeRun(ctx, live, saved, { migration });
    const jobId = await scheduleBatch(ctx, run, 0);
    await ctx.db.patch("runs", run._id, { jobId });
    return await toStatus(ctx, { ...run, jobId });
  },
});

/** Sets the pause between batches; it applies from the next batch on. */
export const throttle = mutation({
  args: { name: v.string(), delayMs: v.number() },
  returns: vMigrationStatus,
  handler: async (ctx, { name, delayMs }) => {
    checkSettings({ delayMs });
    const run = await requireRun(ctx, name);
    await ctx.db.patch("runs", run._id, { delayMs });
    return await toStatus(ctx, { ...run, delayMs });
  },
});
