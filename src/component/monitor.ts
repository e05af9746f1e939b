/**
 * The monitor: a check of every running run, scheduled once per interval
 * while any run is running. A run whose driver is gone (its scheduled batch
 * failed as a whole, was canceled from outside, or left no record; the action
 * stepping it stopped) is recovered as a failed batch would be: retried,
 * smaller and after a backoff, a bounded number of times, then failed with the
 * reason. Healthy runs cost it one read each and are not written.
 */
import { v } from "convex/values";
import { internalMutation } from "./_generated/server.js";
import { applyFailure } from "./batch.js";
import { driverOfRun, scheduleMonitor } from "./drivers.js";

/** How many running runs one check looks at; the next check, a second later, looks at the rest. */
export const MONITOR_PAGE = 200;
/** The wait before the check that continues a page. */
export const MONITOR_NEXT_PAGE_MS = 1_000;

export const check = internalMutation({
  args: {},
  returns: v.object({ running: v.number(), recovered: v.number() }),
  handler: async (ctx) => {
    const row = await ctx.db.query("monitor").first();
    const page = await ctx.db
      .query("runs")
      .withIndex("by_state", (q) => q.eq("state", "running"))
      .paginate({ cursor: row?.cursor ?? null, numItems: MONITOR_PAGE });
    let recovered = 0;
    for (const run of page.page) {
      // A parallel run has no driver of its own; its slices are in this page as runs.
      if (run.parallelism !== undefined) continue;
      const driver = await driverOfRun(ctx, run);
      if (driver.driven) continue;
      await applyFailure(ctx, run, driver.failure, { schedule: true });
      recovered++;
    }
    if (!page.isDone) {
      // More running runs than one page: the next check continues after this one, soon.
      await scheduleMonitor(ctx, row, {
        cursor: page.continueCursor,
        delayMs: MONITOR_NEXT_PAGE_MS,
      });
    } else {
      const stillRunning = await ctx.db
        .query("runs")
        .withIndex("by_state", (q) => q.eq("state", "running"))
        .first();
      if (stillRunning !== null) await scheduleMonitor(ctx, row, { cursor: null });
      else if (row !== null) await ctx.db.delete("monitor", row._id);
    }
    return { running: page.page.length, recovered };
  },
});
