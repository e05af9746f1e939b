/**
 * The client of convex-rollouts: define migrations over the app's tables and
 * run, watch and cancel them through the component.
 */
import {
  getFunctionName,
  internalMutationGeneric,
  type DocumentByName,
  type GenericDataModel,
  type GenericMutationCtx,
  type MutationBuilder,
  type RegisteredMutation,
  type TableNamesInDataModel,
} from "convex/server";
import { v } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import { checkBatchSize, checkParallelism, rolloutError } from "../shared/errors.js";
import { canonicalName, closeName } from "../shared/names.js";
import {
  MAX_BATCH_SIZE,
  type DeclaredRollout,
  type DryRunReport,
  type MigrationStatus,
  type OnError,
  type Phase,
  type RolloutStatus,
  type StartResult,
} from "../shared/validators.js";
import { planToEnd } from "./actions.js";
import { vMigrationArgs } from "./args.js";
import type { AnyDoc, BatchSpec, MigrationSpec } from "./batch.js";
import { cliVerbs } from "./cli.js";
import { forgetPhases } from "./transaction.js";
import { withContracts, type Contract, type StatusWithContracts } from "./contract.js";
import {
  declareRollout,
  exportNameOf,
  referenceTo,
  type DeclarativeRollout,
  type RemovesOnlyOptional,
  type DeclarativeSpec,
  type FieldsOf,
  type NewShape,
  type ShapeValidator,
} from "./declarative.js";
import { operatorFunctions, type OperatorApiOptions, type OperatorFunctions } from "./operators.js";
import { recipesFor, type TableRecipes } from "./recipes.js";
import { missingExport, type ExportLookup } from "./missingExport.js";
import { addressOf, exportOf, moduleOf } from "./names.js";
import { Rollout, type AnyRolloutSpec } from "./rollout.js";
import { answerStep } from "./steps.js";
import { notDeclaredHere, storedDeclaration, verbsModuleOf } from "./whereDeclared.js";
import {
  HISTORY_PAGE,
  type HistoryArgs,
  type MigrationArgs,
  type MigrationRef,
  type RolloutsOptions,
  type RunActionCtx,
  type RunMutationCtx,
  type RunQueryCtx,
} from "./types.js";

export { isRolloutError, type RolloutErrorData, type RolloutErrorKind } from "../shared/errors.js";
export type {
  DryRunReport,
  Failure,
  Gate,
  MigrationState,
  MigrationStatus,
  OnError,
  Operator,
  OperatorRole,
  OperatorStatus,
  Phase,
  RolloutStatus,
  RunState,
  StartResult,
  Status,
  Transition,
  VerifyStatus,
} from "../shared/validators.js";
export { MAX_BATCH_SIZE, PHASES } from "../shared/validators.js";
export { ADAPTIVE_MAX, ADAPTIVE_START, CONVEX_LIMITS } from "../shared/limits.js";
export { Rollout, type AnyRolloutSpec, type RolloutSpec } from "./rollout.js";
export type { CliVerbs } from "./cli.js";
export {
  addField,
  moveField,
  removeField,
  renameField,
  retypeField,
  splitField,
  type TableRecipes,
} from "./recipes.js";
export type { MoveSpec } from "./move.js";
export type { Contract, RolloutStatusWithContract, StatusWithContracts } from "./contract.js";
export type {
  AppTriggers,
  DeclarativeRollout,
  DeclarativeSpec,
  FieldsOf,
  NewShape,
  ShapeValidator,
  TriggerCtx,
} from "./declarative.js";
export { MAX_REASON_LENGTH, type OperatorApiOptions, type OperatorFunctions } from "./operators.js";
export { HIDDEN, redactError, redactStatus } from "./redact.js";
export type { CustomRange, MigrateOne, MigrationSpec } from "./batch.js";
export type * from "./types.js";
export { runToCompletion } from "./actions.js";

/** Options for starting a run from server code. */
export type RunOptions = Omit<MigrationArgs, "fn" | "step" | "next">;

/** A before/after pair of a dry run, typed as the migration's table's documents. */
export type SampleOf<Doc> = { id: string; before: Doc; after: Doc | null };

/** A dry run's plan report whose samples are documents of the migration's table. */
export type DryRunReportOf<Doc> = Omit<DryRunReport, "samples"> & { samples: SampleOf<Doc>[] };

/**
 * What starting a migration answers: a status, or in a dry run the plan
 * report (its samples typed as `Doc`, when the table is known).
 */
export type RunResult<Doc = never> =
  StartResult | ([Doc] extends [never] ? DryRunReport : DryRunReportOf<Doc>);

/** A declarative spec as `reshape()` hands it on, its types checked by `reshape()`'s signature. */
type DeclarativeArgs = Parameters<typeof declareRollout>[1];

/** What `reshape()` returns: the phase reads, the typed read, and the backfill to export. */
export type Reshaped<
  Doc,
  Up,
  Validator,
  Retired extends PropertyKey,
  Moved = never,
  Sources = Record<never, never>,
> = DeclarativeRollout<Doc, NewShape<Doc, Up, Validator, Retired, Sources>, Moved>;

/** The type of a field moved to another table: the retired field's, when a move is declared. */
type MovedValue<Doc, Retired, To> = [To] extends [never]
  ? never
  : Exclude<Doc[Retired & keyof Doc], undefined>;

/** Who moves a rollout and why, kept in its transitions. */
export type Who = { by?: string; reason?: string };

export class Rollouts<DataModel extends GenericDataModel> {
  /** Rollouts declared on this instance, by name. */
  private readonly rollouts = new Map<
    string,
    {
      rollout: Rollout;
      spec: AnyRolloutSpec<DataModel>;
      contract?: Contract | null;
      /**
       * A `reshape()` without `fn` on an instance without `cliModule`: its export's name. Its
       * module is the one that exports `api()`, found when asked (see whereDeclared.ts).
       */
      guessedExport?: string;
      /** A `reshape()`: how its export is looked for, to say so when it is missing. */
      exportLookup?: ExportLookup;
    }
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
  define<Spec extends MigrationSpec<DataModel>>(
    spec: Spec & {
      /** What runs do when migrateOne throws: "stop" (default) or "skip" and record it. */
      onError?: OnError;
      /**
       * Slices of the table that run at once (default 1): each a chain of its own over a
       * part of `_creationTime`. A run's `parallelism` overrides it; `throttle` changes it live.
       */
      parallelism?: number;
    },
  ): RegisteredMutation<
    "internal",
    MigrationArgs,
    Promise<RunResult<DocumentByName<DataModel, Spec["table"]>>>
  > {
    checkBatchSize(spec.batchSize, MAX_BATCH_SIZE);
    checkParallelism(spec.parallelism);
    const steps = {
      // The union of per-table specs, seen as one spec over "some table".
      spec: spec as BatchSpec<DataModel, TableNamesInDataModel<DataModel>>,
      batchSize: spec.batchSize ?? this.options.defaultBatchSize ?? null,
      onError: spec.onError ?? "stop",
      parallelism: spec.parallelism,
      verifyOf: (rollout: string) =>
        // The rollout's check was typed for its table's documents; these are that table's.
        this.declaredRollout(rollout).spec.verify as
          | ((doc: AnyDoc, ctx: GenericMutationCtx<DataModel>) => boolean | Promise<boolean>)
          | undefined,
    };
    const builder = (this.options.internalMutation ?? internalMutationGeneric) as MutationBuilder<
      DataModel,
      "internal"
    >;
    return builder({
      args: vMigrationArgs,
      handler: async (
        ctx,
        { step, ...args },
      ): Promise<RunResult<DocumentByName<DataModel, Spec["table"]>>> => {
        // The component's calls: step answers are for it only, not for people.
        if (step !== undefined) return (await answerStep(ctx, step, steps)) as RunResult;
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
        const names =
          args.fn !== undefined ? [this.qualify(args.fn)] : chain.map((ref) => this.nameOf(ref));
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
   * Starts or resumes one migration from server code; needs `runMutation` (a
   * mutation or an action). With `dryRun`, answers the plan report of its
   * next batch and writes nothing.
   * ```ts
   * await migrations.runOne(ctx, internal.migrations.setDefault, { batchSize: 50 });
   * ```
   */
  async runOne(
    ctx: RunMutationCtx,
    ref: string | MigrationRef,
    options: RunOptions = {},
  ): Promise<RunResult> {
    return await this.start(ctx, this.nameOf(ref), options);
  }

  /**
   * Runs migrations in order, each once the previous is done; done ones are
   * skipped. If one of them is running, it starts nothing new: the running one
   * carries the rest of the series (or, if a later one runs, the series waits
   * for the next call), so two of them never run at once. Needs `runMutation`
   * (a mutation or an action).
   * ```ts
   * await migrations.runSerially(ctx, [internal.migrations.a, internal.migrations.b]);
   * ```
   */
  async runSerially(ctx: RunMutationCtx, refs: MigrationRef[]): Promise<StartResult | null> {
    const [first, ...rest] = refs.map((ref) => this.nameOf(ref));
    if (first === undefined) return null;
    return (await this.start(ctx, first, { next: rest })) as StartResult;
  }

  /**
   * The status of the given migrations, or of the most recently started ones
   * (20 by default). Needs `runQuery` (any function).
   * ```ts
   * const [status] = await migrations.getStatus(ctx, { migrations: ["migrations:setDefault"] });
   * ```
   */
  async getStatus(
    ctx: RunQueryCtx,
    { migrations, limit }: { migrations?: (string | MigrationRef)[]; limit?: number } = {},
  ): Promise<MigrationStatus[]> {
    const names = migrations?.map((m) => this.nameOf(m));
    return (await ctx.runQuery(this.component.lib.status, { names, limit })).migrations;
  }

  /**
   * Everything status shows: the most recent migrations and every rollout,
   * including those declared here that nobody has moved yet (in `schema`),
   * and the latest runs. Asked by name, exactly what is named: `names` may
   * name migrations (one entry each, "unknown" for one that never ran) and
   * rollouts; `rollouts` names rollouts only. Needs `runQuery`. Everything in
   * it is for operators: to show it in a browser, use `operatorApi()`, whose
   * `status` asks the app's `authorize` first and can hide `migrateOne`'s
   * error text.
   */
  async status(
    ctx: RunQueryCtx,
    { names, rollouts, limit }: { names?: string[]; rollouts?: string[]; limit?: number } = {},
  ): Promise<StatusWithContracts> {
    const declared = await Promise.all(
      [...this.rollouts.keys()].map(async (name) => {
        const { declaration, cliModule } = await this.resolve(ctx, name);
        return { ...declaration, cliModule };
      }),
    );
    // A rollout's name is not a function name: keep it as written.
    const isRollout = (name: string) => this.rollouts.has(name.trim());
    const status = await ctx.runQuery(this.component.lib.status, {
      names: names?.filter((n) => !isRollout(n)).map((n) => this.qualify(n)),
      rollouts:
        names === undefined && rollouts === undefined
          ? undefined
          : [...(rollouts ?? []), ...(names ?? []).filter(isRollout)].map((n) => n.trim()),
      limit,
      declared,
    });
    return withContracts(status, (name) =>
      this.contractAt(name, declared.find((d) => d.name === name)?.backfill.name),
    );
  }

  /**
   * Stops a migration after the batch in flight; its cursor is kept, so
   * starting it again resumes. Needs `runMutation`.
   * ```ts
   * await migrations.cancel(ctx, internal.migrations.setDefault);
   * ```
   */
  async cancel(ctx: RunMutationCtx, migration: string | MigrationRef): Promise<MigrationStatus> {
    return await ctx.runMutation(this.component.controls.cancel, { name: this.nameOf(migration) });
  }

  /** Cancels every running or paused migration. Needs `runMutation`. */
  async cancelAll(ctx: RunMutationCtx): Promise<MigrationStatus[]> {
    return await ctx.runMutation(this.component.controls.cancelAll, {});
  }

  /**
   * Pauses a running migration after the batch in flight, keeping its cursor.
   * Idempotent; on a run that is not running it changes nothing. Needs `runMutation`.
   */
  async pause(ctx: RunMutationCtx, migration: string | MigrationRef): Promise<MigrationStatus> {
    return await ctx.runMutation(this.component.controls.pause, { name: this.nameOf(migration) });
  }

  /**
   * Continues a paused (or failed, or canceled) migration at its cursor.
   * Idempotent; a running or finished run is left as it is. Needs `runMutation`.
   */
  async resume(ctx: RunMutationCtx, migration: string | MigrationRef): Promise<MigrationStatus> {
    const name = this.nameOf(migration);
    // The current handle: after a deploy, the one stored with the run may lead nowhere.
    return await ctx.runMutation(this.component.controls.resume, {
      name,
      migration: await addressOf(name),
    });
  }

  /**
   * The live knobs, from the next batches on: the pause between a migration's
   * batches, in ms (0 to 3,600,000; a number is that), and for a parallel run
   * how many slices it keeps live (more splits the longest; fewer lets slices
   * finish). Needs `runMutation`.
   * ```ts
   * await migrations.throttle(ctx, "migrations:setDefault", 500);
   * await migrations.throttle(ctx, "migrations:setDefault", { parallelism: 8 });
   * ```
   */
  async throttle(
    ctx: RunMutationCtx,
    migration: string | MigrationRef,
    knobs: number | { delayMs?: number; parallelism?: number },
  ): Promise<MigrationStatus> {
    const name = this.nameOf(migration);
    const { delayMs, parallelism } = typeof knobs === "number" ? { delayMs: knobs } : knobs;
    return await ctx.runMutation(this.component.controls.throttle, {
      name,
      delayMs,
      parallelism,
    });
  }

  /**
   * Every run, newest first, a page at a time (of one migration when `name` is
   * given): start, end, final state, counts, who started it and its settings.
   * Needs `runQuery`.
   * ```ts
   * const { page, continueCursor } = await migrations.history(ctx); // the newest 20
   * const next = await migrations.history(ctx, { cursor: continueCursor, numItems: 50 });
   * ```
   */
  async history(
    ctx: RunQueryCtx,
    args: HistoryArgs = {},
  ): Promise<{ page: MigrationStatus[]; continueCursor: string; isDone: boolean }> {
    const name = args.name === undefined ? undefined : this.qualify(args.name);
    return await ctx.runQuery(this.component.lib.history, {
      name,
      cursor: args.cursor ?? null,
      numItems: args.numItems ?? HISTORY_PAGE,
    });
  }

  /**
   * A plan report over the whole range (or `maxBatches` batches), from an
   * action: the dry run of every batch, each rolled back. Writes nothing.
   * Needs an action's `runMutation`: each part is its own transaction.
   * ```ts
   * const report = await migrations.plan(ctx, internal.migrations.setDefault);
   * ```
   */
  async plan(
    ctx: RunActionCtx,
    migration: string | MigrationRef,
    options: Pick<MigrationArgs, "cursor" | "batchSize" | "reset" | "maxBatches"> = {},
  ): Promise<DryRunReport> {
    return await planToEnd(ctx, this.component, this.nameOf(migration), options);
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
    if ("up" in spec) {
      throw rolloutError(
        "InvalidArgument",
        `${name} is declared by its conversion (up): declare it with migrations.reshape().`,
        { name },
      );
    }
    const rollout = new Rollout(name, this.component);
    this.rollouts.set(name, { rollout, spec: spec });
    return rollout;
  }

  /**
   * Declares a rollout by its conversion: the package derives the backfill,
   * the verify, the write path (on the app's convex-helpers `Triggers`) and a
   * typed read of the new shape. Export its `backfill`: the component calls it.
   *
   * ```ts
   * export const plan = migrations.reshape("users.plan", {
   *   table: "users",
   *   up: (user) => (user.plan === undefined ? { plan: "free" } : undefined),
   *   triggers,
   * });
   * export const usersPlan = plan.backfill;
   * // in a query or mutation:
   * const user = await plan.read(ctx, await ctx.db.get("users", id)); // user.plan: "free" | "pro"
   * ```
   * Export the backfill as the rollout's name in camelCase ("users.plan" →
   * `usersPlan`) from the file that exports `migrations.api()`, or say where
   * with `fn`. It is typed through `internal` as a `define()` migration is.
   * (A method of its own, not an overload of `rollout()`: an overloaded or
   * generic `rollout()` would make TypeScript infer through the generated
   * `internal` that hand-written rollouts pass as `backfill`, and fail.)
   */
  reshape<
    T extends TableNamesInDataModel<DataModel>,
    const Up extends FieldsOf<DocumentByName<DataModel, T>>,
    Validator extends ShapeValidator | undefined = undefined,
    Retired extends keyof FieldsOf<DocumentByName<DataModel, T>> = never,
    To extends TableNamesInDataModel<DataModel> = never,
    const Sources extends Readonly<Record<string, string>> = Record<never, never>,
  >(
    name: string,
    spec: DeclarativeSpec<DataModel, T, Up, Validator, Retired, To, Sources> &
      RemovesOnlyOptional<Up, DocumentByName<DataModel, T>>,
  ): Reshaped<
    DocumentByName<DataModel, T>,
    Up,
    Validator,
    Retired,
    MovedValue<DocumentByName<DataModel, T>, Retired, To>,
    Sources
  > {
    if (this.rollouts.has(name)) {
      throw rolloutError("InvalidArgument", `The rollout ${name} is declared twice.`, { name });
    }
    const declared = declareRollout(name, spec as unknown as DeclarativeArgs, this.component, {
      cliModule: this.options.cliModule,
      tableValidator: this.options.schema?.tables[spec.table]?.validator,
      define: (migration) => this.define(migration as unknown as MigrationSpec<DataModel>),
    });
    this.rollouts.set(name, {
      rollout: declared.rollout,
      spec: {
        backfill: referenceTo(declared.backfillName),
        verify: declared.verify,
      } as unknown as AnyRolloutSpec<DataModel>,
      contract: declared.contract,
      exportLookup: {
        rollout: name,
        exportName: exportOf(declared.backfillName),
        fnGiven: spec.fn !== undefined,
      },
      ...(spec.fn === undefined && this.options.cliModule === undefined
        ? { guessedExport: exportNameOf(name) }
        : {}),
    });
    return declared.exported as unknown as Reshaped<
      DocumentByName<DataModel, T>,
      Up,
      Validator,
      Retired,
      MovedValue<DocumentByName<DataModel, T>, Retired, To>,
      Sources
    >;
  }

  /**
   * The recipes for one table, to spread into `reshape()`: the standalone
   * recipes, typed by this app's schema and that table, so a mistake is a
   * type error at the argument that is wrong (a field the table lacks, a
   * value the field cannot hold, a `moveField` table, index or key that is
   * not there) instead of at `reshape()`, which checks a spread before it
   * knows its table. `addField`'s function gets the table's document.
   * ```ts
   * ...migrations.recipes("users").addField("plan", (user) => (user.email ? "pro" : "free")),
   * ```
   */
  // The table is named for the types only: the recipes are the standalone functions.
  recipes<T extends TableNamesInDataModel<DataModel>>(_table: T): TableRecipes<DataModel, T> {
    return recipesFor<DataModel, T>();
  }

  /**
   * Moves a rollout one phase forward, if its gate is open. Entering `backfill`
   * starts its backfill from the beginning. Advancing to the phase it is in
   * changes nothing. Needs `runMutation`.
   * ```ts
   * await migrations.advance(ctx, "users.fullName", "dualWrite", { by: "deploy" });
   * ```
   */
  async advance(
    ctx: RunMutationCtx,
    rollout: string | { name: string },
    to: Phase,
    who: { by?: string; reason?: string } = {},
  ): Promise<RolloutStatus> {
    const name = nameOfRollout(rollout);
    try {
      const { declaration, cliModule } = await this.resolve(ctx, name);
      forgetPhases(ctx);
      return await ctx.runMutation(this.component.rollouts.advance, {
        rollout: declaration,
        to,
        cliModule,
        ...who,
      });
    } catch (error) {
      // Entering dualWrite asks the backfill what it is: a reshape() says which export it sought.
      const lookup = this.rollouts.get(name)?.exportLookup;
      throw (lookup && missingExport(error, lookup, to)) || error;
    }
  }

  /**
   * Moves a rollout one phase back; never from `complete`. From `backfill` it
   * cancels the backfill and its verify pass. Needs `runMutation`.
   * ```ts
   * await migrations.rollback(ctx, "users.fullName", { by: "oncall", reason: "p99 up" });
   * ```
   */
  async rollback(
    ctx: RunMutationCtx,
    rollout: string | { name: string },
    who: { by?: string; reason?: string } = {},
  ): Promise<RolloutStatus> {
    const name = nameOfRollout(rollout);
    await this.resolve(ctx, name);
    forgetPhases(ctx);
    return await ctx.runMutation(this.component.rollouts.rollback, { name, ...who });
  }

  /**
   * Starts a verify pass of a rollout over the whole table (one already
   * running is kept); it writes nothing to the app. Needs `runMutation`.
   */
  async verify(ctx: RunMutationCtx, rollout: string | { name: string }): Promise<RolloutStatus> {
    const { declaration, cliModule } = await this.resolve(ctx, nameOfRollout(rollout));
    return await ctx.runMutation(this.component.rollouts.verify, {
      rollout: declaration,
      cliModule,
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

  /**
   * Public functions for the app's own operators' page (`convex-rollouts/react`):
   * status, and pause, resume, throttle, cancel, retryFailed, advance, rollback
   * and verify. Each first calls `authorize(ctx)`, which you must supply, and
   * refuses with an `Unauthorized` error whoever it does not answer as an
   * operator (or, for status, a viewer), before reading anything.
   * ```ts
   * export const { status, pause, resume, throttle, cancel, retryFailed, advance, rollback, verify } =
   *   migrations.operatorApi({ authorize: async (ctx) => (await isOperator(ctx)) ? { role: "operator", name } : null });
   * ```
   */
  operatorApi(options: OperatorApiOptions<DataModel>): OperatorFunctions {
    return operatorFunctions(this, options);
  }

  /** A rollout declared on this instance, or `UnknownRollout`. */
  private declaredRollout(name: string): {
    rollout: Rollout;
    spec: AnyRolloutSpec<DataModel>;
  } {
    const found = this.rollouts.get(name);
    if (found === undefined) {
      const known = [...this.rollouts.keys()];
      const close = closeName(name, known);
      throw rolloutError(
        "UnknownRollout",
        `No rollout named "${name}" is declared here. ` +
          (close !== null ? `Did you mean "${close}"? ` : "") +
          (known.length > 0
            ? `Declared: ${known.join(", ")}.`
            : `Declare it with migrations.rollout() in the file that exports migrations.api().`),
        { name, ...(close !== null ? { didYouMean: close } : {}) },
      );
    }
    return found;
  }

  /**
   * A rollout's declaration and its verbs' module, wherever it is declared: loaded here, or
   * stored by the component when a function that loaded it moved it (see whereDeclared.ts).
   */
  private async resolve(
    ctx: RunQueryCtx,
    name: string,
  ): Promise<{ declaration: DeclaredRollout; cliModule: string }> {
    const entry = this.rollouts.get(name);
    if (entry === undefined) {
      const stored = await storedDeclaration(ctx, this.component, name);
      if (stored === null)
        throw notDeclaredHere(name, [...this.rollouts.keys()], verbsModuleOf(ctx));
      const { cliModule, ...declaration } = stored;
      // A handle made now, by name: the stored one may predate a deploy.
      return {
        declaration: { ...declaration, backfill: await addressOf(declaration.backfill.name) },
        cliModule,
      };
    }
    const backfill = await this.backfillName(ctx, name, entry);
    return {
      declaration: {
        name,
        backfill: await addressOf(backfill),
        hasVerify: entry.spec.verify !== undefined,
      },
      cliModule: this.verbsModule(backfill),
    };
  }

  /**
   * The backfill of a declared rollout. A `reshape()` without `fn` on an instance without
   * `cliModule` is beside `api()`: in the module of the CLI verb asking, or, asked from
   * elsewhere, where the component stored it when it was first moved (else `migrations`).
   */
  private async backfillName(
    ctx: RunQueryCtx,
    name: string,
    entry: { spec: AnyRolloutSpec<DataModel>; guessedExport?: string },
  ): Promise<string> {
    const declared = this.nameOf(entry.spec.backfill);
    if (entry.guessedExport === undefined) return declared;
    const verbs = verbsModuleOf(ctx);
    if (verbs !== undefined) return `${verbs}:${entry.guessedExport}`;
    return (await storedDeclaration(ctx, this.component, name))?.backfill.name ?? declared;
  }

  /** A rollout's contract step, naming its backfill where it was found. */
  private contractAt(name: string, backfill: string | undefined): Contract | null | undefined {
    const entry = this.rollouts.get(name);
    const contract = entry?.contract;
    if (!contract || entry.guessedExport === undefined || backfill === undefined) return contract;
    // The contract's text names the backfill as declared; a guessed module is replaced.
    return {
      ...contract,
      text: contract.text.replaceAll(this.nameOf(entry.spec.backfill), backfill),
    };
  }

  private verbsModule(migrationName: string): string {
    return this.options.cliModule ?? moduleOf(migrationName);
  }

  private async start(
    ctx: RunMutationCtx,
    name: string,
    { fn: _fn, dryRun, maxBatches, next = [], ...args }: Omit<MigrationArgs, "step">,
  ): Promise<RunResult> {
    checkBatchSize(args.batchSize, MAX_BATCH_SIZE);
    const migration = await addressOf(name);
    if (dryRun) {
      const { cursor, batchSize, reset } = args;
      return await ctx.runMutation(this.component.lib.dryRun, {
        migration,
        cursor,
        batchSize,
        reset,
        maxBatches,
      });
    }
    return await ctx.runMutation(this.component.lib.start, {
      ...args,
      migration,
      next: await Promise.all(next.map((n) => addressOf(this.qualify(n)))),
      cliModule: this.verbsModule(name),
    });
  }

  /** The one name the component knows a migration by, however the caller spelled it. */
  private qualify(name: string): string {
    const trimmed = name.trim();
    return canonicalName(
      trimmed.includes(":") ? trimmed : `${this.options.migrationsLocationPrefix ?? ""}${trimmed}`,
    );
  }

  private nameOf(migration: string | MigrationRef): string {
    return this.qualify(typeof migration === "string" ? migration : getFunctionName(migration));
  }
}

function nameOfRollout(rollout: string | { name: string }): string {
  return typeof rollout === "string" ? rollout : rollout.name;
}
