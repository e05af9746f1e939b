import { v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";

export const create = internalMutation({
  args: { name: v.string(), email: v.string() },
  returns: v.id("users"),
  handler: async (ctx, args) => await ctx.db.insert("users", { ...args, plan: "free" }),
});

export const upgrade = internalMutation({
  args: { userId: v.id("users") },
  returns: v.null(),
  handler: async (ctx, { userId }) => {
    await ctx.db.patch("users", userId, { plan: "pro" });
    return null;
  },
});

export const countByPlan = internalQuery({
  args: {},
  returns: v.object({ free: v.number(), pro: v.number(), none: v.number() }),
  handler: async (ctx) => {
    const counts = { free: 0, pro: 0, none: 0 };
    for await (const user of ctx.db.query("users")) counts[user.plan ?? "none"]++;
    return counts;
  },
});
