/**
 * `convex-rollouts/migrations`: a drop-in for `@convex-dev/migrations` 0.3.6.
 *
 * Same class, methods, arguments, answers, states and errors as that
 * package, on our engine; a project switches by changing its module
 * specifiers (here, in `convex.config.ts` and in its tests). See
 * docs/switching.md (linked from the README) for the steps, what carries
 * over, and how to move on to `Rollouts` one migration at a time.
 */
import {
  createFunctionHandle,
  type DataModelFromSchemaDefinition,
  type DocumentByName,
  type FunctionHandle,
  type FunctionReference,
  type GenericActionCtx,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  type GenericSchema,
  getFunctionAddress,
  getFunctionName,
  internalMutationGeneric,
  makeFunctionReference,
  type MutationBuilder,
  type NamedTableInfo,
  type OrderedQuery,
  type QueryInitializer,
  type RegisteredMutation,
  type SchemaDefinition,
  type TableNamesInDataModel,
} from "convex/server";
import { ConvexError, type GenericId, v } from "convex/values";
import { stepToEnd } from "../client/actions.js";
import { runBatch, type BatchSpec } from "../client/batch.js";
import { answerStep } from "../client/steps.js";
import { toLegacyStatus, type LegacyStatus } from "../shared/legacy.js";
import { canonicalName } from "../shared/names.js";
import { vStep, type Step } from "../shared/validators.js";
import type { ComponentApi } from "./component/_generated/component.js";

/** Documents per batch when neither the migration nor the client sets a size. */
export const DEFAULT_BATCH_SIZE = 100;

/** A migration's status, in the shape `@convex-dev/migrations` answered it. */
export type MigrationStatus = LegacyStatus;

/** The arguments a migration made by `define()` takes. */
export type MigrationArgs = {
  /** The migration's name, when a runner runs it; checked against its own. */
  fn?: string;
  /** Start here instead of the saved cursor; null is the beginning. */
  cursor?: string | null;
  /** Documents per batch, instead of the migration's own. */
  batchSize?: number;
  /** Run one batch and roll it back, to see what it would do. */
  dryRun?: boolean;
  /** Migrations to run after this one, in order ("migrations:foo"). */
  next?: string[];
  /** Start over from the beginning, this one and every `next` one. */
  reset?: boolean;
  /** Run one batch at `cursor` and answer where it ended, without the component. */
  oneBatchOnly?: boolean;
  /** Set by the component when it runs a batch; not for people. */
  step?: Step;
};

/** What one batch of a migration answers when run with `oneBatchOnly`. */
export type MigrationResult = {
  continueCursor: string;
  isDone: boolean;
  processed: number;
};

export type MigrationFunctionReference = FunctionReference<"mutation", "internal", MigrationArgs>;
export type MigrationFunctionHandle = FunctionHandle<"mutation", MigrationArgs, MigrationResult>;

const vArgs = {
  fn: v.optional(v.string()),
  cursor: v.optional(v.union(v.string(), v.null())),
  batchSize: v.optional(v.number()),
  dryRun: v.optional(v.boolean()),
  next: v.optional(v.array(v.string())),
  reset: v.optional(v.boolean()),
  oneBatchOnly: v.optional(v.boolean()),
  step: v.optional(vStep),
};

type QueryCtx = Pick<GenericQueryCtx<GenericDataModel>, "runQuery">;
type MutationCtx = Pick<GenericMutationCtx<GenericDataModel>, "runQuery" | "runMutation" | "meta">;
type ActionCtx = Pick<GenericActionCtx<GenericDataModel>, "runQuery" | "runMutation" | "meta">;
type RunCtx = Pick<GenericActionCtx<GenericDataModel>, "runQuery" | "runMutation">;

/** What a migration run from the CLI or the dashboard answers: what happened and what to type next. */
export type CliReport = Record<string, unknown>;

export class Migrations<
  DM extends GenericDataModel,
  Schema extends SchemaDefinition<GenericSchema, boolean> | void = void,
  DataModel extends GenericDataModel = Schema extends SchemaDefinition<GenericSchema, boolean>
    ? DataModelFromSchemaDefinition<Schema>
    : DM,
> {
  /**
   * ```ts
   * import { Migrations } from "convex-rollouts/migrations";
   * export const migrations = new Migrations<DataModel>(components.migrations);
   * ```
   * @param component `components.migrations`, from `app.use(migrations)` with
   * `convex-rollouts/migrations/convex.config`.
   */
  constructor(
    public component: ComponentApi,
    public options?: {
      /** The app's own `internalMutation` (custom functions, triggers) to run batches with. */
      internalMutation?: MutationBuilder<DataModel, "internal">;
      /** Documents per batch for migrations that set none. Default: {@link DEFAULT_BATCH_SIZE}. */
      defaultBatchSize?: number;
      /** Prefixed to names without a module: `{fn: "foo"}` is "migrations:foo" with "migrations:". */
      migrationsLocationPrefix?: string;
      /**
       * The schema: types `define()` by it, and pages are read with convex-helpers'
       * paginator, which walks the indexes a `customRange` uses and works inside a component.
       */
      schema?: Schema;
    },
  ) {}

  /**
   * Creates an internal mutation that runs a migration from the CLI or the dashboard:
   * `runner()` runs the one its `fn` names, `runner(ref)` that one, `runner([a, b])` a series.
   * ```sh
   * npx convex run migrations:run '{fn: "migrations:myMigration"}'
   * ```
   */
  runner(specificMigrationOrSeries?: MigrationFunctionReference | MigrationFunctionReference[]) {
    return internalMutationGeneric({
      args: vArgs,
      handler: async (ctx, args): Promise<CliReport> => {
        const [specific, ...series] = Array.isArray(specificMigrationOrSeries)
          ? specificMigrationOrSeries
          : specificMigrationOrSeries === undefined
            ? []
            : [specificMigrationOrSeries];
        if (args.fn !== undefined && specific !== undefined) {
          throw new Error(
            `Specify only one of fn or specificMigration: this runner always runs ` +
              `${getFunctionName(specific)}.`,
          );
        }
        if (args.fn === undefined && specific === undefined) {
          throw new Error(
            `Specify the migration: '{"fn": "migrations:foo"}', or make a runner for it: ` +
              "`export const runFoo = migrations.runner(internal.migrations.foo)`.",
          );
        }
        const name =
          args.fn !== undefined ? this.prefixedName(args.fn) : getFunctionName(specific!);
        const chain = await Promise.all(series.map((ref) => addressOf(getFunctionName(ref))));
        return await this.runInteractive(ctx, args, name, chain);
      },
    });
  }

  /**
   * Defines a migration over one table: an internal mutation that, run by
   * itself (`npx convex run migrations:foo`), starts or resumes it, and that
   * the component calls one batch at a time. Returning an object from
   * `migrateOne` patches the document with it.
   */
  define<TableName extends TableNamesInDataModel<DataModel>>({
    table,
    migrateOne,
    customRange,
    batchSize: functionDefaultBatchSize,
    parallelize,
  }: {
    table: TableName;
    migrateOne: (
      ctx: GenericMutationCtx<DataModel>,
      doc: DocumentByName<DataModel, TableName> & { _id: GenericId<TableName> },
    ) =>
      | void
      | Partial<DocumentByName<DataModel, TableName>>
      | Promise<Partial<DocumentByName<DataModel, TableName>> | void>;
    customRange?: (
      q: QueryInitializer<NamedTableInfo<DataModel, TableName>>,
    ) => OrderedQuery<NamedTableInfo<DataModel, TableName>>;
    batchSize?: number;
    parallelize?: boolean;
  }): RegisteredMutation<"internal", MigrationArgs, Promise<unknown>> {
    const batchSize =
      functionDefaultBatchSize ?? this.options?.defaultBatchSize ?? DEFAULT_BATCH_SIZE;
    const spec = {
      table,
      migrateOne,
      customRange,
      parallelize,
      schema: this.options?.schema ?? undefined,
    } as unknown as BatchSpec<DataModel, TableNamesInDataModel<DataModel>>;
    const builder = (this.options?.internalMutation ?? internalMutationGeneric) as MutationBuilder<
      DataModel,
      "internal"
    >;
    return builder({
      args: vArgs,
      handler: async (ctx, { step, ...args }): Promise<unknown> => {
        // The component's calls.
        if (step !== undefined) {
          return await answerStep(ctx, step, {
            spec,
            batchSize,
            onError: "stop",
            verifyOf: () => undefined,
          });
        }
        if (args.oneBatchOnly) return await this.oneBatch(ctx, spec, args, batchSize);
        // The dashboard fills in empty arguments; say what to pass instead of guessing.
        if (args.cursor === "" || args.batchSize === 0) {
          console.warn("Running this from the CLI or dashboard? Pass these arguments:", {
            "Dry run": '{ "dryRun": true }',
            "For real": "{}",
          });
          return undefined;
        }
        const { name, componentPath } = await ctx.meta.getFunctionMetadata();
        if (args.fn !== undefined && canonicalName(this.prefixedName(args.fn)) !== name) {
          const flag = componentPath ? ` --component ${componentPath}` : "";
          throw new Error(
            `Function name mismatch: expected ${name}, got ${args.fn}. Run it by its own ` +
              `name: \`npx convex run ${name}${flag}\`.`,
          );
        }
        return await this.runInteractive(ctx, args, name, []);
      },
    });
  }

  /**
   * Starts a migration from server code; runs its first batch in this
   * transaction and schedules the rest. If it is already running, changes
   * nothing and answers its status. With `dryRun`, throws
   * `ConvexError({ kind: "DRY RUN", status })` and commits nothing.
   * ```ts
   * await migrations.runOne(ctx, internal.migrations.myMigration, { batchSize: 10 });
   * ```
   * @param opts.cursor null: from the beginning; undefined: start, or resume where it stopped.
   * @param opts.reset start over from the beginning.
   */
  async runOne(
    ctx: MutationCtx | ActionCtx,
    fnRef: MigrationFunctionReference,
    opts?: { cursor?: string | null; batchSize?: number; dryRun?: boolean; reset?: boolean },
  ): Promise<MigrationStatus> {
    const name = getFunctionName(fnRef);
    if (!opts?.reset) {
      const inProgress = await this.anyInProgress(ctx, [name]);
      if (inProgress !== undefined) return inProgress;
    }
    return await ctx.runMutation(this.component.lib.migrate, {
      name,
      fnHandle: await createFunctionHandle(fnRef),
      cursor: opts?.reset ? null : opts?.cursor,
      batchSize: opts?.batchSize,
      dryRun: opts?.dryRun ?? false,
      reset: opts?.reset,
    });
  }

  /**
   * Runs migrations in order, each once the one before is done; done ones are
   * skipped, a failed or canceled one stops the series. If any of them is
   * running, starts nothing and answers its status (a deploy script run twice
   * starts nothing twice). Answers the first one's status; nothing for `[]`.
   */
  async runSerially(
    ctx: MutationCtx | ActionCtx,
    fnRefs: MigrationFunctionReference[],
  ): Promise<MigrationStatus | undefined> {
    const [first, ...rest] = fnRefs;
    if (first === undefined) return undefined;
    const inProgress = await this.anyInProgress(ctx, fnRefs.map(getFunctionName));
    if (inProgress !== undefined) return inProgress;
    return await ctx.runMutation(this.component.lib.migrate, {
      name: getFunctionName(first),
      fnHandle: await createFunctionHandle(first),
      next: await Promise.all(rest.map((ref) => addressOf(getFunctionName(ref)))),
      dryRun: false,
    });
  }

  /**
   * The status of the given migrations, one per name in the order given
   * (`unknown` for one that never ran), or of the `limit` (100) most recent.
   */
  async getStatus(
    ctx: QueryCtx | MutationCtx | ActionCtx,
    { migrations, limit }: { migrations?: (string | MigrationFunctionReference)[]; limit?: number },
  ): Promise<MigrationStatus[]> {
    const names = migrations?.map((m) =>
      typeof m === "string" ? this.prefixedName(m) : getFunctionName(m),
    );
    return await ctx.runQuery(this.component.lib.getStatus, { names, limit });
  }

  /**
   * Stops a migration after the batch in flight; running it again resumes
   * where it stopped. A series it was part of stops too. Throws if it never ran.
   */
  async cancel(
    ctx: MutationCtx | ActionCtx,
    migration: MigrationFunctionReference | string,
  ): Promise<MigrationStatus> {
    const name =
      typeof migration === "string" ? this.prefixedName(migration) : getFunctionName(migration);
    return await ctx.runMutation(this.component.lib.cancel, { name });
  }

  /** Cancels every migration in progress; answers their statuses. */
  async cancelAll(ctx: MutationCtx | ActionCtx): Promise<MigrationStatus[]> {
    return await ctx.runMutation(this.component.lib.cancelAll, {});
  }

  /** The status of the first of these that is running, read so as not to conflict with it. */
  private async anyInProgress(
    ctx: MutationCtx | ActionCtx,
    names: string[],
  ): Promise<MigrationStatus | undefined> {
    const { type } = await ctx.meta.getFunctionMetadata();
    const statuses =
      type === "mutation"
        ? await (ctx as MutationCtx).runQuery(
            this.component.lib.getStatus,
            { names },
            { useStaleSnapshot: true },
          )
        : await ctx.runQuery(this.component.lib.getStatus, { names });
    return statuses.find((s) => s.state === "inProgress");
  }

  /** A migration run by a person or a runner: start, resume or dry-run it, and say what happened. */
  private async runInteractive(
    ctx: MutationCtx,
    args: Omit<MigrationArgs, "step">,
    name: string,
    chain: { name: string; fnHandle: string }[],
  ): Promise<CliReport> {
    const fnHandle = (await addressOf(name)).fnHandle;
    const next = [
      ...chain,
      ...(await Promise.all((args.next ?? []).map((n) => addressOf(this.prefixedName(n))))),
    ];
    const { componentPath } = await ctx.meta.getFunctionMetadata();
    if (!args.reset) {
      const inProgress = await this.anyInProgress(ctx, [name, ...next.map((n) => n.name)]);
      if (inProgress !== undefined) {
        return cliReport(inProgress.name, inProgress, args, componentPath);
      }
    }
    let status: MigrationStatus;
    try {
      status = await ctx.runMutation(this.component.lib.migrate, {
        name,
        fnHandle,
        cursor: args.reset ? null : args.cursor,
        batchSize: args.batchSize,
        next,
        dryRun: args.dryRun ?? false,
        reset: args.reset,
        // Asked of a runner: one batch, then the migration stops there, resumable.
        oneBatchOnly: args.oneBatchOnly,
      });
    } catch (error) {
      const dryRun = dryRunStatusOf(error);
      if (!args.dryRun || dryRun === null) throw error;
      status = dryRun;
    }
    return cliReport(name, status, args, componentPath);
  }

  /**
   * One batch at `cursor`, outside the component: what `oneBatchOnly` asks.
   * Without a cursor, a dry run of the first batch (or an error when `dryRun`
   * is false): a one-off batch must say where it starts.
   */
  private async oneBatch(
    ctx: GenericMutationCtx<DataModel>,
    spec: BatchSpec<DataModel, TableNamesInDataModel<DataModel>>,
    args: Omit<MigrationArgs, "step">,
    defaultBatchSize: number,
  ): Promise<MigrationResult> {
    let { cursor, dryRun } = args;
    if (cursor === undefined || cursor === "") {
      if (dryRun === false) {
        throw new Error(
          "Cursor must be specified for a one-off batch: null for the beginning, or the " +
            "cursor from the migration's status to go on from there.",
        );
      }
      cursor = null;
      dryRun = true;
    }
    const { continueCursor, isDone, processed } = await runBatch(
      ctx,
      spec,
      cursor,
      args.batchSize || defaultBatchSize,
    );
    const result = { continueCursor, isDone, processed };
    // Throwing rolls the batch back.
    if (dryRun) throw new ConvexError({ kind: "DRY RUN", result });
    return result;
  }

  // "bar/baz:" and "foo" => "bar/baz:foo"; a name with a module is kept as it is.
  private prefixedName(name: string): string {
    return this.options?.migrationsLocationPrefix && !name.includes(":")
      ? `${this.options.migrationsLocationPrefix}${name}`
      : name;
  }
}

/**
 * Runs a migration to the end from an action or a test, one batch per
 * transaction, and answers its final status. Throws the error if a batch
 * fails for good (`migrateOne` threw). A migration already running on the
 * scheduler is left to it and its status answered. Takes a function
 * reference, or a function handle with its `name`.
 * ```ts
 * await runToCompletion(ctx, components.migrations, internal.migrations.myMigration);
 * ```
 */
export async function runToCompletion(
  ctx: RunCtx,
  component: ComponentApi,
  fnRef: MigrationFunctionReference | MigrationFunctionHandle,
  opts?: {
    /** The migration's name ("migrations:myMigration"); needed with a function handle. */
    name?: string;
    /** null: from the beginning; undefined: start, or resume where it stopped. */
    cursor?: string | null;
    /** Documents per batch, instead of the migration's own. */
    batchSize?: number;
    /** Run one batch and throw `ConvexError({ kind: "DRY RUN", status })`, committing nothing. */
    dryRun?: boolean;
  },
): Promise<MigrationStatus> {
  const address = getFunctionAddress(fnRef);
  const fnHandle = address.functionHandle ?? (await createFunctionHandle(fnRef));
  const name = opts?.name ?? (address.functionHandle === undefined ? getFunctionName(fnRef) : null);
  if (name === null) {
    throw new Error(
      `runToCompletion was given a function handle: pass the migration's name with it, ` +
        `runToCompletion(ctx, component, handle, { name: "migrations:myMigration" }).`,
    );
  }
  const migration = { name, fnHandle };
  if (opts?.dryRun) {
    const report = await ctx.runMutation(component.lib.dryRun, {
      migration,
      cursor: opts.cursor,
      batchSize: opts.batchSize,
    });
    const status: MigrationStatus = {
      name,
      cursor: report.isDone ? null : report.continueCursor,
      processed: report.examined,
      isDone: report.isDone,
      state: report.isDone ? "success" : "inProgress",
      latestStart: Date.now(),
    };
    throw new ConvexError({ kind: "DRY RUN", status });
  }
  const { status } = await ctx.runMutation(component.lib.start, {
    migration,
    cursor: opts?.cursor,
    batchSize: opts?.batchSize,
    cliModule: name.includes(":") ? name.slice(0, name.indexOf(":")) : "migrations",
    schedule: false,
  });
  const final = await stepToEnd(ctx, component, status);
  if (final.state === "failed") throw new Error(final.error ?? `Migration ${name} failed.`);
  return toLegacyStatus(final);
}

/** True for a cursor of convex-helpers' paginator (a JSON array), or null, the start. */
export function isNewFormatCursor(cursor: string | null): boolean {
  return cursor === null || cursor.startsWith("[");
}

async function addressOf(name: string): Promise<{ name: string; fnHandle: string }> {
  try {
    return { name, fnHandle: await createFunctionHandle(makeFunctionReference<"mutation">(name)) };
  } catch {
    throw new Error(
      `Can't find function ${name}. The name is the file and the export, ` +
        `like "migrations:myMigration" for the export myMigration of convex/migrations.ts.`,
    );
  }
}

/** The status a dry run threw, if that is what this error is. */
function dryRunStatusOf(error: unknown): MigrationStatus | null {
  if (!(error instanceof ConvexError)) return null;
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null) return null;
  const { kind, status } = data as { kind?: unknown; status?: MigrationStatus };
  return kind === "DRY RUN" && status !== undefined ? status : null;
}

/** What a migration started from the CLI says: what happened, and the commands to go on. */
function cliReport(
  name: string,
  status: MigrationStatus,
  args: Omit<MigrationArgs, "step">,
  componentPath: string,
): CliReport {
  const now = Date.now();
  const report: CliReport = {};
  if (status.isDone) {
    report.Status =
      status.latestEnd !== undefined && status.latestEnd < now
        ? "Migration already done."
        : status.latestStart === status.latestEnd
          ? "Migration started and finished in one batch."
          : "Migration finished with this batch.";
  } else if (status.state === "failed") {
    report.Status = `Migration failed: ${status.error}`;
  } else if (status.state === "canceled") {
    report.Status = "Migration canceled.";
  } else {
    report.Status = status.latestStart >= now ? "Migration started." : "Migration running.";
  }
  if (args.dryRun) {
    report.DryRun = "Nothing was committed.";
    report.Status = `DRY RUN: ${String(report.Status)}`;
  }
  report.Name = name;
  report.lastStarted = new Date(status.latestStart).toISOString();
  if (status.latestEnd !== undefined)
    report.lastFinished = new Date(status.latestEnd).toISOString();
  report.processed = status.processed;
  if (status.next?.length) report[status.isDone ? "nowUp" : "nextUp"] = status.next;
  if (args.dryRun) return report;
  const component = componentPath ? `${componentPath}/migrations` : "migrations";
  const run = `npx convex run --component ${component}`;
  const names = [name, ...(status.next ?? [])].map((n) => `"${n}"`).join(", ");
  if (status.state === "inProgress") {
    report.toCancel = { cmd: `${run} lib:cancel`, args: `{name: "${name}"}`, prod: "--prod" };
    report.toMonitorStatus = {
      cmd: `${run} --watch lib:getStatus`,
      args: `{names: [${names}]}`,
      prod: "--prod",
    };
  } else {
    const { cursor: _cursor, ...rest } = args;
    report.toStartOver = JSON.stringify({ ...rest, reset: true });
  }
  return report;
}
