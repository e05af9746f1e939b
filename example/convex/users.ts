import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import { internalQuery, type QueryCtx } from "./_generated/server";
import { internalMutation } from "./functions";
import { bioToProfiles, emailDomain, nameSplit } from "./migrations";
import { joinName, splitName } from "./names";

/** From dualWrite on, every write of a name writes its parts too (the phase is read in this transaction). */
async function nameFields(ctx: QueryCtx, name: string) {
  return (await nameSplit.writesNew(ctx)) ? { name, ...splitName(name) } : { name };
}

/**
 * From readNew on, names are read from the parts; before, from `name`. Each
 * phase read is a call into the component: read it once per function, not
 * once per document.
 */
async function nameReader(ctx: QueryCtx): Promise<(user: Doc<"users">) => string> {
  return (await nameSplit.readsNew(ctx)) ? joinName : (user) => user.name;
}

export const create = internalMutation({
  args: { name: v.string(), email: v.string() },
  returns: v.id("users"),
  handler: async (ctx, { name, email }) =>
    await ctx.db.insert("users", { ...(await nameFields(ctx, name)), email, plan: "free" }),
});

export const rename = internalMutation({
  args: { userId: v.id("users"), name: v.string() },
  returns: v.null(),
  handler: async (ctx, { userId, name }) => {
    await ctx.db.patch("users", userId, await nameFields(ctx, name));
    return null;
  },
});

export const setEmail = internalMutation({
  args: { userId: v.id("users"), email: v.string() },
  returns: v.null(),
  handler: async (ctx, { userId, email }) => {
    await ctx.db.patch("users", userId, { email });
    return null;
  },
});

export const upgrade = internalMutation({
  args: { userId: v.id("users") },
  returns: v.null(),
  handler: async (ctx, { userId }) => {
    await ctx.db.patch("users", userId, { plan: "pro" });
    return null;
  },
});

/** Display names of the first `limit` users, in creation order. */
export const directory = internalQuery({
  args: { limit: v.number() },
  returns: v.array(v.string()),
  handler: async (ctx, { limit }) => {
    const displayName = await nameReader(ctx);
    return (await ctx.db.query("users").take(limit)).map(displayName);
  },
});

/** How many users each email domain has: the declarative rollout's typed read, in any phase. */
export const countByDomain = internalQuery({
  args: {},
  returns: v.record(v.string(), v.number()),
  handler: async (ctx) => {
    const inNewShape = await emailDomain.reader(ctx);
    const counts: Record<string, number> = {};
    for await (const user of ctx.db.query("users")) {
      const { emailDomain } = inNewShape(user);
      counts[emailDomain] = (counts[emailDomain] ?? 0) + 1;
    }
    return counts;
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

/** Old code: the bio on the user. From dualWrite on, the triggers copy it to the profile. */
export const setBio = internalMutation({
  args: { userId: v.id("users"), bio: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { userId, bio }) => {
    await ctx.db.patch("users", userId, { bio });
    return null;
  },
});

/** A user's bio, read where the users.bio rollout says it is in this phase. */
export const bio = internalQuery({
  args: { userId: v.id("users") },
  returns: v.union(v.string(), v.null()),
  handler: async (ctx, { userId }) => {
    const user = await ctx.db.get("users", userId);
    return user === null ? null : ((await bioToProfiles.moved(ctx, user)) ?? null);
  },
});
