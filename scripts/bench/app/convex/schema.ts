import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

/**
 * The benchmark's two workloads. Each migration sets one field from another:
 * `small.b = small.a * 2`, and `large.titleCopy = large.title` on documents
 * of about 4 KB (their `body`).
 */
export default defineSchema({
  small: defineTable({
    a: v.number(),
    b: v.optional(v.number()),
    s: v.string(),
  }),
  large: defineTable({
    title: v.string(),
    body: v.string(),
    titleCopy: v.optional(v.string()),
  }),
});
