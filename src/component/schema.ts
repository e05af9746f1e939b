import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  vMigrationAddress,
  vOnError,
  vPhase,
  vRunState,
  vTransition,
  vVerifyStatus,
} from "../shared/validators.js";

/** A verify pass as stored: its status, plus what its scheduled batches need. */
export const vVerifyJob = v.object({
  ...vVerifyStatus.fields,
  batchSize: v.number(),
  /** Counts verify passes; a batch of an older pass stops instead of running beside a new one. */
  attempt: v.number(),
  jobId: v.optional(v.id("_scheduled_functions")),
});

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
    /** The batch size in use; an adaptive run changes it batch by batch. */
    batchSize: v.number(),
    adaptive: v.boolean(),
    /** After a batch failed on a limit: an adaptive run never grows back past this. */
    ceiling: v.optional(v.number()),
    delayMs: v.number(),
    onError: vOnError,
    /** A run over the failure ledger only. */
    retryFailed: v.optional(v.boolean()),
    processed: v.number(),
    changed: v.number(),
    /** Documents recorded in the failure ledger by this run. */
    failed: v.number(),
    batches: v.number(),
    /** The last few batches (end time, documents), for the rate; bounded. */
    recent: v.array(v.object({ at: v.number(), processed: v.number() })),
    estimatedTotal: v.optional(v.number()),
    by: v.optional(v.string()),
    startedAt: v.number(),
    attemptStartedAt: v.number(),
    endedAt: v.optional(v.number()),
    error: v.optional(v.string()),
    failedDocumentId: v.optional(v.string()),
    next: v.array(vMigrationAddress),
    /** Started with `reset` in a chain: the rest of the chain starts over too. */
    resetChain: v.optional(v.boolean()),
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
    /** The rollout whose backfill this run is, when a rollout started it. */
    rollout: v.optional(v.string()),
  })
    .index("by_name", ["name"])
    .index("by_startedAt", ["startedAt"]),

  /**
   * The failure ledger: documents migrateOne threw on in runs with
   * `onError: "skip"`, one row per migration and document, until a retry
   * succeeds on it.
   */
  failures: defineTable({
    name: v.string(),
    documentId: v.string(),
    error: v.string(),
    at: v.number(),
  }).index("by_name_and_documentId", ["name", "documentId"]),

  /**
   * One row per rollout that has been moved or verified. A rollout the app
   * declares but nobody has advanced has no row: it is in `schema`.
   */
  rollouts: defineTable({
    name: v.string(),
    phase: vPhase,
    /** The backfill migration, as the app last described it. */
    backfill: vMigrationAddress,
    hasVerify: v.boolean(),
    /** The run started when the rollout entered `backfill`. */
    backfillRunId: v.optional(v.id("runs")),
    verify: v.optional(vVerifyJob),
    cliModule: v.string(),
    updatedAt: v.number(),
  })
    .index("by_name", ["name"])
    .index("by_updatedAt", ["updatedAt"]),

  /** Every phase change of every rollout. */
  transitions: defineTable({ rollout: v.string(), ...vTransition.fields }).index("by_rollout", [
    "rollout",
  ]),
});
