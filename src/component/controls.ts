/**
 * Operating a run: cancel, pause, resume and throttle. Each is idempotent and
 * answers the run's status, whatever state the run is in.
 */
import { v } from "convex/values";
import { rolloutError } from "../shared/errors.js";
import { type MigrationStatus, vMigrationAddress, vMigrationStatus } from "../shared/validators.js";
import { mutation } from "./_generated/server.js";
import { cancelEveryRun, cancelRun, requireRun, stopRun, toStatus } from "./runs.js";
import { setParallelism, throttleSlices } from "./slices.js";
import { checkSettings, startMigration } from "./start.js";

/** Stops a run after the batch in flight; its cursor is kept. Also stops a paused run. */
export const cancel = mutation({
  args: { name: v.string() },
  returns: vMigrationStatus,
  handler: async (ctx, { name }) =>
    await toStatus(ctx, await cancelRun(ctx, await requireRun(ctx, name))),
});

/** Cancels every running or paused run, however many there are. */
export const cancelAll = mutation({
  args: {},
  returns: v.array(vMigrationStatus),
  handler: async (ctx) => {
    const statuses: MigrationStatus[] = [];
    for (const run of await cancelEveryRun(ctx)) statuses.push(await toStatus(ctx, run));
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
 * Continues a paused run at its cursor; also resumes a failed or canceled
 * one, and drives again a running one whose driver is gone. A running or
 * finished run is otherwise left as it is.
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
    if (live.state === "done") return await toStatus(ctx, live);
    const { status } = await startMigration(ctx, {
      migration: migration ?? { name: live.name, fnHandle: live.fnHandle },
      next: [],
      cliModule: live.cliModule,
      schedule: true,
    });
    return status;
  },
});

/**
 * The live knobs, from the next batches on: the pause between batches, and
 * how many slices a parallel run keeps live (more: the longest live slices are
 * split now; fewer: finishing slices are not replaced).
 */
export const throttle = mutation({
  args: {
    name: v.string(),
    delayMs: v.optional(v.number()),
    parallelism: v.optional(v.number()),
  },
  returns: vMigrationStatus,
  handler: async (ctx, { name, delayMs, parallelism }) => {
    checkSettings({ delayMs, parallelism });
    if (delayMs === undefined && parallelism === undefined) {
      throw rolloutError(
        "InvalidArgument",
        `Say what to change: '{"name": "${name}", "delayMs": 500}' (ms between batches) or ` +
          `'{"name": "${name}", "parallelism": 8}' (slices at once).`,
        { name },
      );
    }
    let run = await requireRun(ctx, name);
    if (delayMs !== undefined) {
      await ctx.db.patch("runs", run._id, { delayMs });
      run = { ...run, delayMs };
      if (run.parallelism !== undefined) await throttleSlices(ctx, run, delayMs);
    }
    if (parallelism !== undefined) run = await setParallelism(ctx, run, parallelism);
    return await toStatus(ctx, run);
  },
});
