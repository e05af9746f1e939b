import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { vMigrationAddress, vRunState } from "../shared/validators.js";

export default defineSchema({
  /** One row per migration name: which run is its latest. Written only when a run starts. */
  migrations: defineTable({
    name: v.string(),
    runId: v.id("runs"),
    /** When the latest run last started or resumed; status lists the most recent first. */
    updatedAt: v.number(),
  })
    .index("by_name", ["name"])
    .index("by_updatedAt", ["updatedAt"]),

  /**
   * One pass of a migration over its range. A run that failed or was canceled
   * is resumed in place (same row, same counts), so "exactly once per run"
   * holds across interruptions; `reset` starts a new row.
   */
  runs: defineTable({
    name: v.string(),
    fnHandle: v.string(),
    state: vRunState,
    isDone: v.boolean(),
    cursor: v.union(v.string(), v.null()),
    batchSize: v.number(),
    processed: v.number(),
    changed: v.number(),
    batches: v.number(),
    startedAt: v.number(),
    attemptStartedAt: v.number(),
    endedAt: v.optional(v.number()),
    error: v.optional(v.string()),
    failedDocumentId: v.optional(v.string()),
    next: v.array(vMigrationAddress),
    /** The module the app exports its CLI verbs from, for the commands status prints. */
    cliModule: v.string(),
    /**
     * Counts starts and resumes. Each scheduled batch carries the attempt it
     * belongs to, so a batch left over from an earlier attempt stops instead of
     * running beside the new one.
     */
    attempt: v.number(),
    /** The scheduled batch, while one is pending. */
    jobId: v.optional(v.id("_scheduled_functions")),
  }).index("by_name", ["name"]),
});
