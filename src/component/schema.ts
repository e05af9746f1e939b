import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  vMigrationAddress,
  vOnError,
  vPhase,
  vRunState,
  vBounds,
  vSliceRange,
  vTransition,
} from "../shared/validators.js";

/** The tables, for this component and for the drop-in `migrations` component built on it. */
export const tables = {
  /**
   * One row per migration name: which run is its latest, and where its failure
   * ledger stands. Written when a run starts and when a full pass finishes.
   */
  migrations: defineTable({
    name: v.string(),
    runId: v.id("runs"),
    /** When the latest run last started or resumed; status lists the most recent first. */
    updatedAt: v.number(),
    /** Full passes started so far; each run is tagged with the pass it belongs to. */
    passes: v.optional(v.number()),
    /**
     * The latest full pass that finished. It went over every document of the
     * range, so ledger entries recorded before it are settled: converted by it,
     * or recorded again by it.
     */
    clearedPass: v.optional(v.number()),
    /** The latest full pass's run: a rollout whose own pass stopped may rely on a later one. */
    fullPassRunId: v.optional(v.id("runs")),
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
    /** A rollout's verify pass: the same loop, with a check instead of migrateOne. */
    kind: v.optional(v.literal("verify")),
    fnHandle: v.string(),
    state: vRunState,
    isDone: v.boolean(),
    cursor: v.union(v.string(), v.null()),
    /** The batch size in use; an adaptive run changes it batch by batch. */
    batchSize: v.number(),
    adaptive: v.boolean(),
    /** The size asked for, when not adaptive; a failure may shrink a batch below it for a while. */
    fixedBatchSize: v.optional(v.number()),
    /** After a batch failed on a limit: the run never grows back past this. */
    ceiling: v.optional(v.number()),
    /** Failed attempts at the current batch (reset when a batch commits). */
    retries: v.optional(v.number()),
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
    /** A run over the default order from its start: the table's creation times then (`progressOf`). */
    span: v.optional(v.object({ first: v.number(), newest: v.number() })),
    /** The `_creationTime` of the last document read, with `span`. */
    reached: v.optional(v.number()),
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
    /**
     * What drives a running run: the scheduled batch (`jobId`), or an action
     * (`runToCompletion`) holding it until `leaseUntil`. Exactly one of the two
     * while running; the monitor takes over a run that has neither.
     */
    jobId: v.optional(v.id("_scheduled_functions")),
    leaseUntil: v.optional(v.number()),
    /** The full pass of its migration this run belongs to (see `migrations.passes`). */
    pass: v.optional(v.number()),
    /** Started at the beginning of the range, not a retry: when done, it settles older ledger entries. */
    fullPass: v.optional(v.boolean()),
    /** A verify pass: documents not in the new shape, and the first few of them. */
    mismatches: v.optional(v.number()),
    firstMismatchIds: v.optional(v.array(v.string())),
    /** The rollout whose backfill this run is, when a rollout started it. */
    rollout: v.optional(v.string()),
    /**
     * A parallel run: how many slices it keeps live. Its slices are rows of
     * this table with `parent` set; its own counts are those of its settled
     * slices (added when each ends), so no slice's batch writes this row.
     */
    parallelism: v.optional(v.number()),
    /** A parallel run: the table's first and last `_creationTime` when it started. */
    bounds: v.optional(vBounds),
    /** A parallel run: slices cut so far (the next split's index). */
    sliceCount: v.optional(v.number()),
    /** Why a run asked to go in parallel runs as one chain. */
    note: v.optional(v.string()),
    /** A slice: the parallel run it belongs to. Never the run a `migrations` row points at. */
    parent: v.optional(v.id("runs")),
    /** A slice: its number, its range, and the `_creationTime` of the last document it processed. */
    slice: v.optional(
      v.object({
        index: v.number(),
        ...vSliceRange.fields,
        position: v.union(v.number(), v.null()),
        /** The one slice an adaptive run starts with, while it grows its batch size. */
        ramping: v.optional(v.boolean()),
      }),
    ),
  })
    .index("by_name", ["name"])
    .index("by_startedAt", ["startedAt"])
    .index("by_state", ["state"])
    .index("by_parent_and_isDone", ["parent", "isDone"])
    // History lists runs, not slices: those with no parent.
    .index("by_parent_and_startedAt", ["parent", "startedAt"])
    .index("by_parent_and_name", ["parent", "name"]),

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
    /** The full pass in which it last failed; entries older than `clearedPass` are settled. */
    pass: v.optional(v.number()),
  })
    .index("by_name_and_documentId", ["name", "documentId"])
    .index("by_name_and_pass", ["name", "pass"]),

  /**
   * One row per rollout that has been moved or verified. A rollout the app
   * declares but nobody has advanced has no row: it is in `schema`. App code
   * never reads this row: its phase read is the rollout's latest transition.
   */
  rollouts: defineTable({
    name: v.string(),
    /** A copy of the latest transition's `to`, written with it, for status. */
    phase: vPhase,
    /** The backfill migration, as the app last described it. */
    backfill: vMigrationAddress,
    hasVerify: v.boolean(),
    /** The run started when the rollout entered `backfill`. */
    backfillRunId: v.optional(v.id("runs")),
    /** The latest verify pass (a run of kind "verify"). */
    verifyRunId: v.optional(v.id("runs")),
    /** A verify pass as 0.1 stored it; no longer read. */
    verify: v.optional(v.any()),
    cliModule: v.string(),
    updatedAt: v.number(),
  })
    .index("by_name", ["name"])
    .index("by_updatedAt", ["updatedAt"]),

  /**
   * The monitor: one row while a check of running runs is scheduled, with
   * where the next check continues when there are more than one page of them.
   */
  monitor: defineTable({
    jobId: v.id("_scheduled_functions"),
    at: v.number(),
    cursor: v.optional(v.union(v.string(), v.null())),
  }),

  /**
   * Every phase change of every rollout, never changed once written. The
   * latest one per rollout is its phase: the only thing app code reads, so
   * nothing but a phase move invalidates or conflicts with that read.
   */
  transitions: defineTable({ rollout: v.string(), ...vTransition.fields }).index("by_rollout", [
    "rollout",
  ]),
};

export default defineSchema(tables);
