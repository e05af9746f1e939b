/**
 * The client of convex-rollouts: define migrations over the app's tables and
 * run, watch and cancel them through the component.
 */
import {
  createFunctionHandle,
  getFunctionName,
  internalMutationGeneric,
  makeFunctionReference,
  type GenericDataModel,
  type GenericMutationCtx,
  type MutationBuilder,
  type RegisteredMutation,
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
  type RolloutStatus,
  type StartResult,
  type Status,
} from "../shared/validators.js";
import {
  checkCursor,
  dryRunBatch,
  runBatch,
  verifyBatch,
  type AnyDoc,
  type BatchSpec,
  type MigrationSpec,
} from "./batch.js";
import { cliVerbs } from "./cli.js";
import { Rollout, type AnyRolloutSpec } from "./rollout.js";
import type {
  MigrationArgs,
  MigrationRef,
  RolloutsOptions,
  RunActionCtx,
  RunMutationCtx,
  RunQueryCtx,
} from "./types.js";

export { isRolloutError, type RolloutErrorData, type RolloutErrorKind } from "../shared/errors.js";
export type {
  DryRunReport,
  Gate,
  MigrationStatus,
  Phase,
  RolloutStatus,
  RunState,
  StartResult,
  Status,
  Transition,
  VerifyStatus,
} from "../shared/validators.js";
export { PHASES } from "../shared/validators.js";
export { Rollout, type AnyRolloutSpec, type RolloutSpec } from "./rollout.js";
export type { CliVerbs } from "./cli.js";
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
  /** Rollouts declared on this instance, by name. */
  private readonly rollouts = new Map<
    string,
    { rollout: Rollout; spec: AnyRolloutSpec<DataModel> }
  >();

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
  ): RegisteredMutation<"internal", MigrationArgs, Promise<RunResult>> {
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
      handler: async (ctx, args): Promise<RunResult> => {
        const { step } = args;
        if (step?.kind === "describe") {
          await checkCursor(ctx, batchSpec, step.cursor);
          const description: Description = {
            protocol: PROTOCOL_VERSION,
            table: spec.table,
            batchSize,
          };
          return description as unknown as RunResult; // step answers are for the component only
        }
        if (step?.kind === "batch") {
          const run = step.dryRun ? dryRunBatch : runBatch;
          return (await run(ctx, batchSpec, step.cursor, step.batchSize)) as unknown as RunResult;
        }
        if (step?.kind === "verify") {
          const check = this.declaredRollout(step.rollout).spec.verify;
          if (check === undefined) {
            throw rolloutError("InvalidArgument", `${step.rollout} has no verify function.`);
          }
          // The rollout's check was typed for its table's documents; these are that table's.
          const typedCheck = check as unknown as (
            doc: AnyDoc,
            ctx: GenericMutationCtx<DataModel>,
          ) => boolean | Promise<boolean>;
          const result = await verifyBatch(
            ctx,
            spec.table,
            typedCheck,
            step.cursor,
            step.batchSize,
          );
          return result as unknown as RunResult;
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
    const names = migrations?.map((m) => this.nameOf(m));
    return (await ctx.runQuery(this.component.lib.status, { names, limit })).migrations;
  }

  /**
   * Everything status shows: the most recent migrations and every rollout,
   * including those declared here that nobody has moved yet (in `schema`).
   */
  async status(
    ctx: RunQueryCtx,
    { names, limit }: { names?: string[]; limit?: number } = {},
  ): Promise<Status> {
    const declared = await Promise.all(
      [...this.rollouts.values()].map(async ({ rollout, spec }) => ({
        ...(await this.declaration(rollout.name, spec)),
        cliModule: this.verbsModule(getFunctionName(spec.backfill)),
      })),
    );
    return await ctx.runQuery(this.component.lib.status, {
      names: names?.map((n) => this.qualify(n)),
      limit,
      declared,
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
   * Declares a staged rollout: a named change of shape with its backfill
   * migration and an optional verify check. Declaring writes nothing; the
   * rollout is in `schema` until advanced.
   *
   * ```ts
   * export const splitName = migrations.rollout("users.splitName", {
   *   backfill: internal.migrations.fillNameParts,
   *   verify: (user) => user.firstName !== undefined,
   * });
   * // in a mutation: if (await splitName.writesNew(ctx)) { ... }
   * ```
   * Declare rollouts in the file that exports `migrations.api()` and their
   * backfill: the CLI verbs and the verify pass find them there.
   */
  rollout(name: string, spec: AnyRolloutSpec<DataModel>): Rollout {
    if (this.rollouts.has(name)) {
      throw rolloutError("InvalidArgument", `The rollout ${name} is declared twice.`, { name });
    }
    const rollout = new Rollout(name, this.component);
    this.rollouts.set(name, { rollout, spec: spec });
    return rollout;
  }

  /**
   * Moves a rollout one phase forward, if its gate is open. Entering `backfill`
   * starts its backfill from the beginning. Advancing to the phase it is in
   * changes nothing. Needs `runMutation`.
   */
  async advance(
    ctx: RunMutationCtx,
    rollout: string | Rollout,
    to: string,
    who: { by?: string; reason?: string } = {},
  ): Promise<RolloutStatus> {
    const { spec, rollout: declared } = this.declaredRollout(nameOfRollout(rollout));
    return await ctx.runMutation(this.component.rollouts.advance, {
      rollout: await this.declaration(declared.name, spec),
      to,
      cliModule: this.verbsModule(getFunctionName(spec.backfill)),
      ...who,
    });
  }

  /** Moves a rollout one phase back; never from `complete`. Cancels a running backfill. */
  async rollback(
    ctx: RunMutationCtx,
    rollout: string | Rollout,
    who: { by?: string; reason?: string } = {},
  ): Promise<RolloutStatus> {
    const name = nameOfRollout(rollout);
    this.declaredRollout(name);
    return await ctx.runMutation(this.component.rollouts.rollback, { name, ...who });
  }

  /** Starts a verify pass of a rollout over the whole table (one already running is kept). */
  async verify(ctx: RunMutationCtx, rollout: string | Rollout): Promise<RolloutStatus> {
    const { spec, rollout: declared } = this.declaredRollout(nameOfRollout(rollout));
    return await ctx.runMutation(this.component.rollouts.verify, {
      rollout: await this.declaration(declared.name, spec),
      cliModule: this.verbsModule(getFunctionName(spec.backfill)),
    });
  }

  /**
   * The internal functions the CLI calls:
   * ```ts
   * export const { status, cancel, cancelAll, advance, rollback, verify } = migrations.api();
   * // npx convex run migrations:status --watch
   * // npx convex run migrations:advance '{rollout: "users.splitName", to: "dualWrite"}'
   * ```
   */
  api() {
    return cliVerbs(this);
  }

  /** A rollout declared on this instance, or `UnknownRollout`. */
  private declaredRollout(name: string): {
    rollout: Rollout;
    spec: AnyRolloutSpec<DataModel>;
  } {
    const found = this.rollouts.get(name);
    if (found === undefined) {
      const known = [...this.rollouts.keys()];
      throw rolloutError(
        "UnknownRollout",
        `No rollout named "${name}" is declared here. ` +
          (known.length > 0
            ? `Declared: ${known.join(", ")}.`
            : `Declare it with migrations.rollout() in the file that exports migrations.api().`),
        { name },
      );
    }
    return found;
  }

  private async declaration(name: string, spec: AnyRolloutSpec<DataModel>) {
    return {
      name,
      backfill: await this.address(getFunctionName(spec.backfill)),
      hasVerify: spec.verify !== undefined,
    };
  }

  private verbsModule(migrationName: string): string {
    return this.options.cliModule ?? moduleOf(migrationName);
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
      cliModule: this.verbsModule(name),
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

function nameOfRollout(rollout: string | Rollout): string {
  return typeof rollout === "string" ? rollout : rollout.name;
}

function moduleOf(name: string): string {
  return name.includes(":") ? name.slice(0, name.indexOf(":")) : "migrations";
}
