import { v } from "convex/values";
import { internalMutation } from "./functions";

/**
 * New code, from the users.bio rollout's readNew on: the bio is written only on
 * the profile. Until complete, the triggers copy it back to the user, so a
 * rollback to old code finds it there.
 */
export const setBio = internalMutation({
  args: { userId: v.id("users"), bio: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { userId, bio }) => {
    const profile = await ctx.db
      .query("profiles")
      .withIndex("by_user", (q) => q.eq("userId", userId))
      .unique();
    if (profile === null) await ctx.db.insert("profiles", { userId, bio });
    else await ctx.db.patch("profiles", profile._id, { bio });
    return null;
  },
});
