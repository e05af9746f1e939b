/** Types the client uses to talk about contexts, references and options. */
import type {
  FunctionReference,
  GenericActionCtx,
  GenericDataModel,
  GenericMutationCtx,
  GenericQueryCtx,
  MutationBuilder,
} from "convex/server";
import type { Step } from "../shared/validators.js";

/** Any context that can run a component query: a query, mutation or action. */
export type RunQueryCtx = Pick<GenericQueryCtx<GenericDataModel>, "runQuery">;
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
  batchSize?: number;
  /** Report what the next batch would change, and write nothing. */
  dryRun?: boolean;
  /** Start over from the beginning, even if the last run finished. */
  reset?: boolean;
  /** Migrations to run, in order, once this one is done (names like "migrations:setDefault"). */
  next?: string[];
  /** Set by the component when it calls a batch; not for people. */
  step?: Step;
};

/** A reference to a migration made by `define()`. */
export type MigrationRef = FunctionReference<"mutation", "internal", MigrationArgs>;

export type RolloutsOptions<DataModel extends GenericDataModel> = {
  /**
   * The app's own `internalMutation` builder, so migrations get the app's custom
   * functions and triggers. Default: Convex's `internalMutationGeneric`.
   */
  internalMutation?: MutationBuilder<DataModel, "internal">;
  /** Documents per batch when neither the run nor `define()` gives one. Default: 100. */
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
};
