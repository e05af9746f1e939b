import { v } from "convex/values";
import { internalMutation } from "./_generated/server";

export function countWords(body: string): number {
  const words = body.trim().split(/\s+/);
  return words[0] === "" ? 0 : words.length;
}

export const publish = internalMutation({
  args: { authorId: v.id("users"), title: v.string(), body: v.string() },
  returns: v.id("posts"),
  handler: async (ctx, args) =>
    await ctx.db.insert("posts", { ...args, wordCount: countWords(args.body) }),
});
