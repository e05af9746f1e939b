/** Types the client uses to talk about contexts, references and options. */
import type {
  FunctionReference,
  GenericActionCtx,
  GenericDataModel,
  GenericMutationCtx,
  GenericQueryCtx,
  MutationBuilder,
} from "convex/server";
import type { GenericValidator, ObjectType } from "convex/values";
import type { Same } from "../shared/pin.js";
import type { OnError, Step } from "../shared/validators.js";
import type { vMigrationArgs } from "./args.js";

/** Any context that can run a component query: a query, mutation or action. */
export type RunQueryCtx = Pick<GenericQueryCtx<GenericDataModel>, "runQuery">;
/**
 * A query's or mutation's context: one transaction, in which a phase read and
 * the writes it decides commit together. Not an action's.
 */
export type PhaseCtx = RunQueryCtx & { db: unknown };
/** Any context that can run a component mutation: a mutation or action. */
export type RunMutationCtx = Pick<GenericMutationCtx<GenericDataModel>, "runMutation" | "runQuery">;
/** An action's context, for `runToCompletion`. */
export type RunActionCtx = Pick<GenericActionCtx<GenericDataModel>, "runMutation" | "runQuery">;

/** The arguments a migration made by `define()` takes, as the CLI sends them. */
export type MigrationArgs = {
  /** The migration's name, for callers that run it through a runner; checked against its own. */
  fn?: string;
  /** Start here instead of the saved cursor; null is the start of the range. */
  cursor?: string | null;
  /** A fixed batch size. Default: chosen batch by batch (adaptive), unless `define()` fixes one. */
  batchSize?: number;
  /** Report what the next batch (or `maxBatches`) would change, and write nothing. */
  dryRun?: boolean;
  /** With `dryRun`: how many batches the plan covers, from 1 (default) to 100. */
  maxBatches?: number;
  /** Start over from the beginning, even if the last run finished. */
  reset?: boolean;
  /** Migrations to run, in order, once this one is done (names like "migrations:setDefault"). */
  next?: string[];
  /** Pause between batches, in ms (default 0); `throttle` changes it while the run goes on. */
  delayMs?: number;
  /** When migrateOne throws: "stop" the run (default), or record the document and go on. */
  onError?: OnError;
  /** Run only the documents in the failure ledger, clearing those that now succeed. */
  retryFailed?: boolean;
  /** An estimate of the documents in range, for the percentage and ETA. */
  estimatedTotal?: number;
  /**
   * Slices of the table run at once, each its own chain of batches (default: `define()`'s, or 1).
   * `throttle` changes it while the run goes on.
   */
  parallelism?: number;
  /** Who or what starts the run, kept in its history. */
  by?: string;
  /** Set by the component when it calls a batch; not for people. */
  step?: Step;
};

// Written out for its doc comments; pinned to the validator that checks it.
const _migrationArgsPinned = true satisfies Same<MigrationArgs, ObjectType<typeof vMigrationArgs>>;

/** Which page of run history to read: by default the newest `HISTORY_PAGE` runs of every migration. */
export type HistoryArgs = {
  /** One migration's runs only. */
  name?: string;
  /** Where the page before ended (its `continueCursor`); null or absent: the newest. */
  cursor?: string | null;
  /** Runs per page. */
  numItems?: number;
};

/** Runs per page of history when `numItems` is not given. */
export const HISTORY_PAGE = 20;

/** A reference to a migration made by `define()`. */
export type MigrationRef = FunctionReference<"mutation", "internal", MigrationArgs>;

export type RolloutsOptions<DataModel extends GenericDataModel> = {
  /**
   * The app's own `internalMutation` builder, so migrations get the app's custom
   * functions and triggers. Default: Convex's `internalMutationGeneric`.
   */
  internalMutation?: MutationBuilder<DataModel, "internal">;
  /**
   * A fixed batch size for every migration that does not set its own. Default:
   * none, so runs size their batches themselves, growing while they stay well
   * inside Convex's limits.
   */
  defaultBatchSize?: number;
  /**
   * Prefixed to names given as strings that have no module, so `{fn: "setDefault"}`
   * means "migrations:setDefault" with the prefix "migrations:". Default: none.
   */
  migrationsLocationPrefix?: string;
  /**
   * The module the app exports the CLI verbs from (`status`, `cancel`), for the
   * commands status prints. Default: the module of the migration itself.
   */
  cliModule?: string;
  /**
   * The app's schema (`import schema from "./schema"`). Optional: with it, the
   * contract step status shows at a declarative rollout's `complete` names
   * each field's exact validator, for declarations that give none (`addField`,
   * `renameField`, `splitField`).
   */
  schema?: { tables: Record<string, { validator: GenericValidator }> };
};
