import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  tasks: defineTable({
    text: v.string(),
    // Added after launch: older tasks have no priority until backfillPriority runs.
    priority: v.optional(v.number()),
    // Added by the tasks.done rollout, declared by its conversion.
    done: v.optional(v.boolean()),
  }),
});
