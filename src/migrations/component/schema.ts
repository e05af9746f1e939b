/**
 * The drop-in component's schema: ours, with a `migrations` table that also
 * accepts the rows `@convex-dev/migrations` 0.3.6 left in it. Convex keeps a
 * component's tables under its name and validates them against the schema of
 * whatever is installed under that name next, so a push of this component in
 * place of theirs succeeds with their rows in place; our runs carry them over
 * name by name (see ../../component/legacy.ts). Their two indexes ("name",
 * "isDone") are not kept: nothing reads them any more.
 */
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { tables } from "../../component/schema.js";

/** A row of their `migrations` table, as their schema defines it. */
const legacyMigration = v.object({
  name: v.string(),
  cursor: v.union(v.string(), v.null()),
  isDone: v.boolean(),
  workerId: v.optional(v.id("_scheduled_functions")),
  error: v.optional(v.string()),
  processed: v.number(),
  latestStart: v.number(),
  latestEnd: v.optional(v.number()),
});

export default defineSchema({
  ...tables,
  migrations: defineTable(v.union(tables.migrations.validator, legacyMigration))
    .index("by_name", ["name"])
    .index("by_updatedAt", ["updatedAt"]),
});
