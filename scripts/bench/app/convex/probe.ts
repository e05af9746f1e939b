/**
 * Queries the benchmark calls outside the timed runs: what answering status
 * reads, measured inside the query that answers it.
 */
import { v } from "convex/values";
import { internalQuery } from "./_generated/server";
import { migrations, rollouts } from "./migrations";

const vUsage = v.object({
  documentsRead: v.number(),
  bytesRead: v.number(),
  databaseQueries: v.number(),
});

/** convex-rollouts' status, then what this transaction read to answer it. */
export const oursStatus = internalQuery({
  args: {},
  returns: v.object({
    listed: v.number(),
    done: v.boolean(),
    processed: v.number(),
    usage: vUsage,
  }),
  handler: async (ctx) => {
    const status = await rollouts.status(ctx);
    const metrics = await ctx.meta.getTransactionMetrics();
    return {
      listed: status.migrations.length,
      done: status.migrations.every((m) => m.isDone),
      processed: status.migrations.reduce((sum, m) => sum + m.processed, 0),
      usage: {
        documentsRead: metrics.documentsRead.used,
        bytesRead: metrics.bytesRead.used,
        databaseQueries: metrics.databaseQueries.used,
      },
    };
  },
});

/** @convex-dev/migrations' status, the same way. */
export const theirsStatus = internalQuery({
  args: {},
  returns: v.object({
    listed: v.number(),
    done: v.boolean(),
    processed: v.number(),
    usage: vUsage,
  }),
  handler: async (ctx) => {
    const status = await migrations.getStatus(ctx, {});
    const metrics = await ctx.meta.getTransactionMetrics();
    return {
      listed: status.length,
      done: status.every((m) => m.isDone),
      processed: status.reduce((sum, m) => sum + m.processed, 0),
      usage: {
        documentsRead: metrics.documentsRead.used,
        bytesRead: metrics.bytesRead.used,
        databaseQueries: metrics.databaseQueries.used,
      },
    };
  },
});
