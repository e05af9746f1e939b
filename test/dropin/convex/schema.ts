import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  tasks: defineTable({
    text: v.string(),
    owner: v.optional(v.string()),
    priority: v.union(v.string(), v.number()),
    /** How many times a migration touched this task: exactly-once checks read it. */
    visits: v.optional(v.number()),
  }).index("by_text", ["text"]),
});
