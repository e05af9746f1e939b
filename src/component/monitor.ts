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

/** How many running runs one check looks at; more are looked at by the next, sooner. */
export const MONITOR_PAGE = 200;

export const check = internalMutation({
  args: {},
  returns: v.object({ running: v.number(), recovered: v.number() }),
  handler: async (ctx) => {
    const running = await ctx.db
      .query("runs")
      .withIndex("by_state", (q) => q.eq("state", "running"))
      .take(MONITOR_PAGE);
    let recovered = 0;
    for (const run of running) {
      const driver = await driverOfRun(ctx, run);
      if (driver.driven) continue;
      await applyFailure(ctx, run, driver.failure, { schedule: true });
      recovered++;
    }
    const row = await ctx.db.query("monitor").first();
    const stillRunning = await ctx.db
      .query("runs")
      .withIndex("by_state", (q) => q.eq("state", "running"))
      .first();
    if (stillRunning !== null) await scheduleMonitor(ctx, row);
    else if (row !== null) await ctx.db.delete("monitor", row._id);
    return { running: running.length, recovered };
  },
});
