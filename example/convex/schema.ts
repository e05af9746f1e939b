import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({
    name: v.string(),
    email: v.string(),
    // Added after launch: older users have no plan until the setDefaultPlan migration runs.
    plan: v.optional(v.union(v.literal("free"), v.literal("pro"))),
    // The users.splitName rollout: `name` split in two. Optional until the rollout completes.
    firstName: v.optional(v.string()),
    lastName: v.optional(v.string()),
    // The users.emailDomain rollout (declarative): optional until it completes.
    emailDomain: v.optional(v.string()),
    // The users.bio rollout moves it to profiles; the contract pass removes it from here.
    bio: v.optional(v.string()),
  }).index("by_email", ["email"]),
  // Where users.bio moves (the moveField recipe): one profile per user.
  profiles: defineTable({
    userId: v.id("users"),
    bio: v.optional(v.string()),
  }).index("by_user", ["userId"]),
  posts: defineTable({
    authorId: v.id("users"),
    title: v.string(),
    body: v.string(),
    // Posts written before word counts existed have none until countWords runs.
    wordCount: v.optional(v.number()),
    archived: v.optional(v.boolean()),
  })
    .index("by_author", ["authorId"])
    .index("by_wordCount", ["wordCount"]),
});
