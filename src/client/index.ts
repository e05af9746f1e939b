/**
 * The client of convex-rollouts: define migrations over the app's tables and
 * run, watch and cancel them through the component.
 */
import {
  createFunctionHandle,
  getFunctionName,
  internalMutationGeneric,
  internalQueryGeneric,
  makeFunctionReference,
  type GenericDataModel,
  type MutationBuilder,
  type RegisteredMutation,
  type RegisteredQuery,
  type TableNamesInDataModel,
} from "convex/server";
import { v } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import { checkBatchSize, rolloutError } from "../shared/errors.js";
import { PROTOCOL_VERSION } from "../shared/protocol.js";
import {
  DEFAULT_BATCH_SIZE,
  MAX_BATCH_SIZE,
  vStep,
  type Description,
  type DryRunReport,
  type MigrationAddress,
  type MigrationStatus,
  type StartResult,
} from "../shared/validators.js";
import { checkCursor, dryRunBatch, runBatch, type BatchSpec, type MigrationSpec } from "./batch.js";
import type {
  MigrationArgs,
  MigrationRef,
  RolloutsOptions,
  RunActionCtx,
  RunMutationCtx,
  RunQueryCtx,
} from "./types.js";

export { isRolloutError, type RolloutErrorData, type RolloutErrorKind } from "../shared/errors.js";
export type { DryRunReport, MigrationStatus, RunState, StartResult } from "../shared/validators.js";
export { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from "../shared/validators.js";
export type { CustomRange, MigrateOne, MigrationSpec } from "./batch.js";
export type * from "./types.js";

const vMigrationArgs = {
  fn: v.optional(v.string()),
  cursor: v.optional(v.union(v.string(), v.null())),
  batchSize: v.optional(v.number()),
  dryRun: v.optional(v.boolean()),
  reset: v.optional(v.boolean()),
  next: v.optional(v.array(v.string())),
  step: v.optional(vStep),
};

/** Options for starting a run from server code. */
export type RunOptions = Pick<MigrationArgs, "cursor" | "batchSize" | "dryRun" | "reset">;

/** What starting a migration answers: a status, or in a dry run the plan report. */
export type RunResult = StartResult | DryRunReport;

export class Rollouts<DataModel extends GenericDataModel> {
  constructor(
    public component: ComponentApi,
    public options: RolloutsOptions<DataModel> = {},
  ) {
    checkBatchSize(options.defaultBatchSize, MAX_BATCH_SIZE);
  }

  /**
   * Defines a migration over one table: an internal mutation that, called with
   * no arguments (`npx convex run migrations:setDefault`), starts or resumes a
   * run, and that the component calls one batch at a time.
   *
   * ```ts
   * export const setDefault = migrations.define({
   *   table: "users",
   *   migrateOne: (ctx, user) => (user.plan === undefined ? { plan: "free" } : undefined),
   * });
   * ```
   * Returning an object from `migrateOne` patches the document with it.
   */
  define(
    spec: MigrationSpec<DataModel>,
  ): RegisteredMutation<"internal", MigrationArgs, Promise<unknown>> {
    checkBatchSize(spec.batchSize, MAX_BATCH_SIZE);
    const batchSize = spec.batchSize ?? this.options.defaultBatchSize ?? DEFAULT_BATCH_SIZE;
    // The union of per-table specs, seen as one spec over "some table".
    const batchSpec = spec as BatchSpec<DataModel, TableNamesInDataModel<DataModel>>;
    const builder = (this.options.internalMutation ?? internalMutationGeneric) as MutationBuilder<
      DataModel,
      "internal"
    >;
    return builder({
      args: vMigrationArgs,
      handler: async (ctx, args): Promise<unknown> => {
        const { step } = args;
        if (step?.kind === "describe") {
          await checkCursor(ctx, batchSpec, step.cursor);
          return { protocol: PROTOCOL_VERSION, table: spec.table, batchSize } satisfies Description;
        }
        if (step?.kind === "batch") {
          const run = step.dryRun ? dryRunBatch : runBatch;
          return await run(ctx, batchSpec, step.cursor, step.batchSize);
        }
        // Called by a person (CLI, dashboard) or a runner: start, resume or dry-run.
        const { name } = await ctx.meta.getFunctionMetadata();
        if (args.fn !== undefined && this.qualify(args.fn) !== name) {
          throw rolloutError(
            "InvalidArgument",
            `This is ${name}, but the call names ${args.fn}. Run ` +
              `\`npx convex run ${name}\` to run this one.`,
            { name, fn: args.fn },
          );
        }
        return await this.start(ctx, name, args);
      },
    });
  }

  /**
   * An internal mutation that runs migrations from the CLI or after a deploy.
   *
   * - `runner()`: runs the one its `fn` argument names:
   *   `npx convex run migrations:run '{fn: "migrations:setDefault"}'`.
   * - `runner(ref)`: runs that one.
   * - `runner([a, b, c])`: runs them in order, each after the last is done;
   *   those already done are skipped (`npx convex run migrations:runAll`).
   */
  runner(refs?: MigrationRef | MigrationRef[]) {
    const chain = refs === undefined ? [] : Array.isArray(refs) ? refs : [refs];
    return internalMutationGeneric({
      args: { ...vMigrationArgs, step: v.optional(v.null()) },
      handler: async (ctx, args): Promise<RunResult> => {
        const names = args.fn !== undefined ? [this.qualify(args.fn)] : chain.map(getFunctionName);
        const [first, ...rest] = names;
        if (first === undefined) {
          throw rolloutError(
            "InvalidArgument",
            `Say which migration to run: npx convex run migrations:run '{"fn": "migrations:setDefault"}'.`,
          );
        }
        return await this.start(ctx, first, { ...args, next: [...rest, ...(args.next ?? [])] });
      },
    });
  }

  /**
   * Starts or resumes one migration from server code (a mutation or action).
   * With `dryRun`, answers the plan report of its next batch and writes nothing.
   */
  async runOne(
    ctx: RunMutationCtx,
    ref: MigrationRef,
    options: RunOptions = {},
  ): Promise<RunResult> {
    return await this.start(ctx, getFunctionName(ref), options);
  }

  /** Runs migrations in order, each once the previous is done; done ones are skipped. */
  async runSerially(ctx: RunMutationCtx, refs: MigrationRef[]): Promise<StartResult | null> {
    const [first, ...rest] = refs.map(getFunctionName);
    if (first === undefined) return null;
    return (await this.start(ctx, first, { next: rest })) as StartResult;
  }

  /** The status of the given migrations, or of the most recently started ones. */
  async getStatus(
    ctx: RunQueryCtx,
    { migrations, limit }: { migrations?: (string | MigrationRef)[]; limit?: number } = {},
  ): Promise<MigrationStatus[]> {
    return await ctx.runQuery(this.component.lib.status, {
      names: migrations?.map((m) => this.nameOf(m)),
      limit,
    });
  }

  /** Stops a migration after the batch in flight; its cursor is kept, so starting it again resumes. */
  async cancel(ctx: RunMutationCtx, migration: string | MigrationRef): Promise<MigrationStatus> {
    return await ctx.runMutation(this.component.lib.cancel, { name: this.nameOf(migration) });
  }

  /** Cancels every running migration. */
  async cancelAll(ctx: RunMutationCtx): Promise<MigrationStatus[]> {
    return await ctx.runMutation(this.component.lib.cancelAll, {});
  }

  /**
   * The internal functions the CLI calls:
   * ```ts
   * export const { status, cancel, cancelAll } = migrations.api();
   * // npx convex run migrations:status --watch
   * // npx convex run migrations:cancel '{name: "migrations:setDefault"}'
   * ```
   */
  api(): {
    status: RegisteredQuery<
      "internal",
      { names?: string[]; limit?: number },
      Promise<MigrationStatus[]>
    >;
    cancel: RegisteredMutation<"internal", { name: string }, Promise<MigrationStatus>>;
    cancelAll: RegisteredMutation<"internal", Record<string, never>, Promise<MigrationStatus[]>>;
  } {
    return {
      status: internalQueryGeneric({
        args: { names: v.optional(v.array(v.string())), limit: v.optional(v.number()) },
        handler: async (ctx, { names, limit }) =>
          await this.getStatus(ctx, { migrations: names, limit }),
      }),
      cancel: internalMutationGeneric({
        args: { name: v.string() },
        handler: async (ctx, { name }) => await this.cancel(ctx, name),
      }),
      cancelAll: internalMutationGeneric({
        args: {},
        handler: async (ctx) => await this.cancelAll(ctx),
      }),
    };
  }

  private async start(
    ctx: RunMutationCtx,
    name: string,
    args: Omit<MigrationArgs, "fn" | "step">,
  ): Promise<RunResult> {
    checkBatchSize(args.batchSize, MAX_BATCH_SIZE);
    const migration = await this.address(name);
    if (args.dryRun) {
      return await ctx.runMutation(this.component.lib.dryRun, {
        migration,
        cursor: args.cursor,
        batchSize: args.batchSize,
        reset: args.reset,
      });
    }
    const next = await Promise.all((args.next ?? []).map((n) => this.address(this.qualify(n))));
    return await ctx.runMutation(this.component.lib.start, {
      migration,
      cursor: args.cursor,
      batchSize: args.batchSize,
      reset: args.reset,
      next,
      cliModule: this.options.cliModule ?? moduleOf(name),
    });
  }

  /** A function handle the component can call, or `UnknownMigration` if no such function exists. */
  private async address(name: string): Promise<MigrationAddress> {
    try {
      return {
        name,
        fnHandle: await createFunctionHandle(makeFunctionReference<"mutation">(name)),
      };
    } catch {
      throw rolloutError(
        "UnknownMigration",
        `There is no function named "${name}". Migration names are "file:export", ` +
          `e.g. "migrations:setDefault"; check the spelling and that it is deployed.`,
        { name },
      );
    }
  }

  private qualify(name: string): string {
    return name.includes(":") ? name : `${this.options.migrationsLocationPrefix ?? ""}${name}`;
  }

  private nameOf(migration: string | MigrationRef): string {
    return typeof migration === "string" ? this.qualify(migration) : getFunctionName(migration);
  }
}

/**
 * Runs a migration to the end from an action (or a test), one transaction per
 * batch, without the scheduler. Answers the final status; a run that is
 * already running on the scheduler is left to it and its status answered.
 *
 * ```ts
 * export const backfillNow = internalAction({
 *   handler: async (ctx) => runToCompletion(ctx, components.rollouts, internal.migrations.setDefault),
 * });
 * ```
 */
export async function runToCompletion(
  ctx: RunActionCtx,
  component: ComponentApi,
  ref: MigrationRef,
  options: Omit<RunOptions, "dryRun"> & { cliModule?: string } = {},
): Promise<MigrationStatus> {
  const name = getFunctionName(ref);
  const { cliModule, ...runOptions } = options;
  const { status } = await ctx.runMutation(component.lib.start, {
    migration: { name, fnHandle: await createFunctionHandle(ref) },
    ...runOptions,
    cliModule: cliModule ?? moduleOf(name),
    schedule: false,
  });
  let current = status;
  while (current.state === "running") {
    const stepped = await ctx.runMutation(component.lib.step, { name });
    // Someone else's scheduled run: it advances on its own; do not spin on it.
    if (stepped.batches === current.batches && stepped.state === "running") return stepped;
    current = stepped;
  }
  return current;
}

function moduleOf(name: string): string {
  return name.includes(":") ? name.slice(0, name.indexOf(":")) : "migrations";
}
