/**
 * Validators and types shared by the component and its client.
 *
 * This module depends only on `convex/values` so both sides can import it:
 * the component validates what it stores and returns with these, and the
 * client derives its public types from them.
 */
import { v, type Infer } from "convex/values";

/**
 * Where a run stands. `paused` keeps its cursor until resumed; `failed` and
 * `canceled` resume in place when started again; `done` is final until reset.
 */
export const vRunState = v.union(
  v.literal("running"),
  v.literal("paused"),
  v.literal("done"),
  v.literal("failed"),
  v.literal("canceled"),
);
export type RunState = Infer<typeof vRunState>;

/** A migration the component can call: its function name and a function handle to it. */
export const vMigrationAddress = v.object({
  name: v.string(),
  fnHandle: v.string(),
});
export type MigrationAddress = Infer<typeof vMigrationAddress>;

/** What to do when migrateOne throws on a document: stop the run, or record it and go on. */
export const vOnError = v.union(v.literal("stop"), v.literal("skip"));
export type OnError = Infer<typeof vOnError>;

/**
 * A document migrateOne threw on, and the error: what a batch with
 * `onError: "skip"` reports to the component, and what a plan report lists.
 */
export const vDocumentError = v.object({ id: v.string(), error: v.string() });
export type DocumentError = Infer<typeof vDocumentError>;

/** The first and last `_creationTime` of a table, for cutting a parallel run into slices. */
export const vBounds = v.object({ first: v.number(), last: v.number() });
export type Bounds = Infer<typeof vBounds>;

/**
 * A slice of a parallel run, as the app reads it: `_creationTime` at or above
 * `lo` and below `hi` (null: open), and no document at or past `stop` (a split
 * lowered it; the query keeps `hi` so the saved cursor stays valid).
 */
export const vSliceRange = v.object({
  lo: v.union(v.number(), v.null()),
  hi: v.union(v.number(), v.null()),
  stop: v.union(v.number(), v.null()),
});
export type SliceRange = Infer<typeof vSliceRange>;

/**
 * The one-batch request the component sends to an app migration, through the
 * `step` argument of the mutation that `define()` returns.
 */
export const vStep = v.union(
  // Answer what the migration is (its table) and check a cursor, changing nothing.
  // With `bounds`, also answer the table's first and last `_creationTime` (a parallel start).
  v.object({
    kind: v.literal("describe"),
    cursor: v.union(v.string(), v.null()),
    bounds: v.optional(v.boolean()),
  }),
  // Process one page starting at `cursor`.
  v.object({
    kind: v.literal("batch"),
    cursor: v.union(v.string(), v.null()),
    batchSize: v.number(),
    dryRun: v.boolean(),
    onError: v.optional(vOnError),
    /** Documents to leave out: they failed in a first attempt at this batch. */
    skip: v.optional(v.array(v.string())),
    /** Cap the page's reads (adaptive runs), so it cannot read past the limits. */
    capReads: v.optional(v.boolean()),
    /** A slice of a parallel run: read only this part of the table's default order. */
    range: v.optional(vSliceRange),
  }),
  // Run migrateOne on these documents only (a retry of the failure ledger).
  v.object({
    kind: v.literal("retry"),
    ids: v.array(v.string()),
    skip: v.optional(v.array(v.string())),
  }),
  // Check one page of the whole table with a rollout's verify function; writes nothing.
  v.object({
    kind: v.literal("verify"),
    rollout: v.string(),
    cursor: v.union(v.string(), v.null()),
    batchSize: v.number(),
  }),
);
export type Step = Infer<typeof vStep>;

/** What an app migration answers to a `describe` step. */
export const vDescription = v.object({
  protocol: v.number(),
  table: v.string(),
  /** The batch size `define()` or the client's options fix; null lets runs choose their own. */
  batchSize: v.union(v.number(), v.null()),
  /** What runs do by default when migrateOne throws. */
  onError: vOnError,
  /** The `parallelism` `define()` fixes, if any. */
  parallelism: v.optional(v.number()),
  /** True when the migration reads a `customRange` (its slices cannot be cut on `_creationTime`). */
  customRange: v.optional(v.boolean()),
  /** Asked with `bounds`: the table's first and last `_creationTime`, null when it is empty. */
  bounds: v.optional(v.union(vBounds, v.null())),
  /**
   * Over the default order from the start: the `_creationTime` of the table's
   * first and newest documents, so status can estimate a first run's total.
   */
  span: v.optional(v.object({ first: v.number(), newest: v.number() })),
});
export type Description = Infer<typeof vDescription>;

/** A before/after pair a dry run shows. */
export const vSample = v.object({
  id: v.string(),
  // Documents of whichever table the migration runs over: no one shape fits them.
  before: v.any(),
  // The same document after the batch; null if migrateOne deleted it.
  after: v.any(),
});
export type Sample = Infer<typeof vSample>;

/** A document migrateOne threw on, as the failure ledger keeps it. */
export const vFailure = v.object({ documentId: v.string(), error: v.string(), at: v.number() });
export type Failure = Infer<typeof vFailure>;

/** What an app migration answers to a `batch` or `retry` step. */
export const vBatchResult = v.object({
  continueCursor: v.string(),
  isDone: v.boolean(),
  /** Documents in the page. */
  processed: v.number(),
  /** Documents that `migrateOne` patched (returned a non-empty object for). */
  changed: v.number(),
  /** A slice's batch: the `_creationTime` of the last document it processed. */
  lastKey: v.optional(v.number()),
  /** Over the default order: the `_creationTime` of the page's last document. */
  reached: v.optional(v.number()),
});
export type BatchResult = Infer<typeof vBatchResult>;

/** The plan a dry run reports. Nothing it describes was written. */
export const vDryRunReport = v.object({
  name: v.string(),
  dryRun: v.literal(true),
  cursor: v.union(v.string(), v.null()),
  continueCursor: v.string(),
  isDone: v.boolean(),
  examined: v.number(),
  wouldChange: v.number(),
  unchanged: v.number(),
  wouldFail: v.number(),
  errors: v.array(vDocumentError),
  samples: v.array(vSample),
  /** Batches covered, each run for real and rolled back. */
  batches: v.number(),
  /** True when it stopped before `maxBatches` to stay inside its transaction's limits. */
  stoppedEarly: v.boolean(),
});
export type DryRunReport = Infer<typeof vDryRunReport>;

/** The `npx convex run` lines that act on a migration, so status leads to the next command. */
export const vCommands = v.object({
  watch: v.string(),
  start: v.string(),
  cancel: v.string(),
  pause: v.string(),
  resume: v.string(),
  startOver: v.string(),
  /** Retries the failure ledger once the pass is done; until then, the line that finishes it. */
  retryFailed: v.string(),
});
export type Commands = Infer<typeof vCommands>;

/** One slice of a parallel run, as status shows it. */
export const vSliceStatus = v.object({
  index: v.number(),
  /** Its `_creationTime` interval: from (inclusive) to (exclusive); null is open. */
  from: v.union(v.number(), v.null()),
  to: v.union(v.number(), v.null()),
  /** The `_creationTime` of the last document it processed; null before its first batch. */
  position: v.union(v.number(), v.null()),
  cursor: v.union(v.string(), v.null()),
  state: vRunState,
  batchSize: v.number(),
  processed: v.number(),
  batches: v.number(),
  error: v.optional(v.string()),
});
export type SliceStatus = Infer<typeof vSliceStatus>;
/** A migration's state in status: a run's, or "unknown" for a named one that never ran here. */
export const vMigrationState = v.union(vRunState, v.literal("unknown"));
export type MigrationState = Infer<typeof vMigrationState>;

/** The status of one migration: its latest run. */
export const vMigrationStatus = v.object({
  name: v.string(),
  /** This run's id; every run is kept (see `history`). Empty when `state` is "unknown". */
  runId: v.string(),
  state: vMigrationState,
  /**
   * "all" goes over the range; "retryFailed" over the failure ledger only;
   * "verify" is a rollout's verify pass (named after the rollout).
   */
  mode: v.union(v.literal("all"), v.literal("retryFailed"), v.literal("verify")),
  /** True once a run has gone over the whole range. */
  isDone: v.boolean(),
  /** Documents processed by this run, over all its attempts. */
  processed: v.number(),
  /** Documents this run changed. */
  changed: v.number(),
  /** Documents migrateOne threw on that were recorded and skipped (`onError: "skip"`). */
  failed: v.number(),
  /** The first few documents of this migration still in the failure ledger. */
  failures: v.array(vFailure),
  onError: vOnError,
  batches: v.number(),
  /** The batch size in use: chosen batch by batch when `adaptive`. */
  batchSize: v.number(),
  adaptive: v.boolean(),
  /** Pause between batches, in ms; can be changed while the run goes on. */
  delayMs: v.number(),
  /** Documents per second over the last few batches; null before there is a measure. */
  rate: v.union(v.number(), v.null()),
  /**
   * An estimate of the documents in range, where one exists: given, a previous
   * run's count, or (`estimateFrom: "creationTime"`) estimated from the cursor.
   */
  estimatedTotal: v.union(v.number(), v.null()),
  /**
   * "creationTime": `estimatedTotal` is estimated from where the cursor lies
   * between the table's first and newest documents when the run started; rough.
   */
  estimateFrom: v.optional(v.literal("creationTime")),
  /** Progress against the estimate, never above 100; null without an estimate. */
  percent: v.union(v.number(), v.null()),
  /** Time left at the current rate, in ms; null without an estimate or a rate. */
  etaMs: v.union(v.number(), v.null()),
  /** Who or what started it, as the caller said. */
  by: v.optional(v.string()),
  /** Where the next batch starts; null before the first batch. */
  cursor: v.union(v.string(), v.null()),
  /** When this run started, and when its current attempt started (after a resume). */
  startedAt: v.number(),
  attemptStartedAt: v.number(),
  endedAt: v.optional(v.number()),
  error: v.optional(v.string()),
  /** The document `migrateOne` failed on, when the last error came from one. */
  failedDocumentId: v.optional(v.string()),
  /** Migrations that start, in order, when this one is done (a `runAll` chain). */
  next: v.array(v.string()),
  commands: vCommands,
  /** A parallel run: how many slices it keeps live (the live knob is `throttle`). */
  parallelism: v.optional(v.number()),
  /** A parallel run's live slices (those done are added into the totals above). */
  slices: v.optional(v.array(vSliceStatus)),
  /** Why a run asked to go in parallel runs as one chain, when it does. */
  note: v.optional(v.string()),
});
export type MigrationStatus = Infer<typeof vMigrationStatus>;

/** What the component's `start` answers: the status, and whether this call started work. */
export const vStartResult = v.object({
  started: v.boolean(),
  status: vMigrationStatus,
});
export type StartResult = Infer<typeof vStartResult>;

/** Convex's per-transaction write limit, in documents: no batch may be larger. */
export const MAX_BATCH_SIZE = 16_000;

/** The phases of a staged rollout, in order. */
export const PHASES = ["schema", "dualWrite", "backfill", "readNew", "complete"] as const;
export const vPhase = v.union(
  v.literal("schema"),
  v.literal("dualWrite"),
  v.literal("backfill"),
  v.literal("readNew"),
  v.literal("complete"),
);
export type Phase = Infer<typeof vPhase>;

/**
 * A phase a caller names (`advance`'s `to`): typed as the phases, so the
 * app's calls are checked, but checked at run time as a string, so that a
 * phase misspelled on the CLI is refused by the component with a message
 * naming the phases and the next command (a union validator's refusal says
 * neither).
 */
export const vPhaseArg = v.string() as unknown as typeof vPhase;

/**
 * A rollout as the app declares it (`migrations.rollout()`), sent with every
 * call that moves, verifies or shows it: the component stores nothing until a
 * rollout is moved, so the app's declaration is what names its backfill.
 */
export const vDeclaredRollout = v.object({
  name: v.string(),
  backfill: vMigrationAddress,
  hasVerify: v.boolean(),
});
export type DeclaredRollout = Infer<typeof vDeclaredRollout>;

/** A verify pass: a batched check of every document of the backfill's table. */
export const vVerifyStatus = v.object({
  state: vRunState,
  checked: v.number(),
  mismatches: v.number(),
  /** The first mismatching document ids, at most `MAX_MISMATCH_IDS`. */
  firstMismatchIds: v.array(v.string()),
  cursor: v.union(v.string(), v.null()),
  batches: v.number(),
  startedAt: v.number(),
  endedAt: v.optional(v.number()),
  error: v.optional(v.string()),
});
export type VerifyStatus = Infer<typeof vVerifyStatus>;

/** What a verify batch in the app answers. */
export const vVerifyBatchResult = v.object({
  continueCursor: v.string(),
  isDone: v.boolean(),
  checked: v.number(),
  mismatchIds: v.array(v.string()),
  mismatches: v.number(),
});
export type VerifyBatchResult = Infer<typeof vVerifyBatchResult>;

export const vTransition = v.object({
  from: vPhase,
  to: vPhase,
  at: v.number(),
  by: v.optional(v.string()),
  reason: v.optional(v.string()),
});
export type Transition = Infer<typeof vTransition>;

/** What the next phase needs, and whether it has it. */
export const vGate = v.object({
  to: vPhase,
  open: v.boolean(),
  /** What is missing, or what entering it will do when the gate is open. */
  detail: v.string(),
  command: v.string(),
});
export type Gate = Infer<typeof vGate>;

export const vRolloutStatus = v.object({
  name: v.string(),
  phase: vPhase,
  /** The gate of the next phase; null once complete. */
  next: v.union(vGate, v.null()),
  backfill: v.object({ name: v.string(), run: v.union(vMigrationStatus, v.null()) }),
  hasVerify: v.boolean(),
  verify: v.union(vVerifyStatus, v.null()),
  /** The latest transitions, newest first. */
  transitions: v.array(vTransition),
  /** When it last moved; absent for a rollout nobody has moved yet. */
  updatedAt: v.optional(v.number()),
});
export type RolloutStatus = Infer<typeof vRolloutStatus>;

/** Everything status shows: migrations, rollouts, and the latest runs. */
export const vStatus = v.object({
  migrations: v.array(vMigrationStatus),
  rollouts: v.array(vRolloutStatus),
  /** The most recently started runs of any migration, newest first. */
  history: v.array(vMigrationStatus),
  /** Rollouts left out of `rollouts` to keep status bounded (ask with a higher `limit`). */
  rolloutsOmitted: v.optional(v.number()),
});
export type Status = Infer<typeof vStatus>;

/**
 * A rollout's status as the app's client answers it (`Rollouts.status`, the CLI's `status`, the
 * operators' `status`): the component's, plus, at `complete`, the contract step its declaration
 * knows (`withContracts`). One definition for every function that returns it, so what a
 * function returns and what its `returns` validator accepts cannot drift apart.
 */
export const vRolloutStatusWithContract = v.object({
  ...vRolloutStatus.fields,
  /** After complete: the schema change to stage (see `Contract.text`). */
  contract: v.optional(v.string()),
});

/** Everything the app's `status` shows: the component's status, rollouts with their contract step. */
export const vStatusWithContracts = v.object({
  ...vStatus.fields,
  rollouts: v.array(vRolloutStatusWithContract),
});

/**
 * Who calls an operator function, as the app's `authorize` answers: an
 * operator may read and act; a viewer may only read. `name` is kept as `by`
 * in what an operator does (transitions, retry runs).
 */
export const vOperator = v.object({
  role: v.union(v.literal("operator"), v.literal("viewer")),
  name: v.string(),
});
export type Operator = Infer<typeof vOperator>;
export type OperatorRole = Operator["role"];

/** Status as an operator function answers it: for whom, and whether error text was hidden. */
export const vOperatorStatus = v.object({
  ...vStatusWithContracts.fields,
  operator: vOperator,
  /** True when `migrateOne`'s error text and cursors were replaced (ids and kinds remain). */
  redacted: v.boolean(),
});
export type OperatorStatus = Infer<typeof vOperatorStatus>;

/** How many mismatching ids a verify pass keeps. */
export const MAX_MISMATCH_IDS = 10;
