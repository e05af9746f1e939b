/**
 * The status page's query. The package's own functions are internal; this one
 * is public so a browser can subscribe to it, and it decides who may: a
 * signed-in user, or anyone on a deployment that opts in with the environment
 * variable ROLLOUTS_STATUS_OPEN=1 (a development deployment, say).
 */
import { ConvexError } from "convex/values";
import type { Status } from "convex-rollouts";
import { query } from "./_generated/server";
import { migrations } from "./migrations";

export const rolloutStatus = query({
  args: {},
  handler: async (ctx): Promise<Status> => {
    const open = process.env.ROLLOUTS_STATUS_OPEN === "1";
    if (!open && (await ctx.auth.getUserIdentity()) === null) {
      throw new ConvexError(
        "Sign in to see rollouts, or set ROLLOUTS_STATUS_OPEN=1 on this deployment.",
      );
    }
    return await migrations.status(ctx);
  },
});
