/**
 * One batch of a migration, run inside the app's own mutation: read a page
 * with one index range, apply `migrateOne` to each document, patch what it
 * returns. In a dry run the same code runs and then throws its report, so that
 * every write is rolled back (see the component's `dryRunBatchInApp`).
 */
import {
  type DataModelFromSchemaDefinition,
  defineSchema,
  defineTable,
  type DocumentByName,
  type GenericDatabaseReader,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericSchema,
  type NamedTableInfo,
  type OrderedQuery,
  type QueryInitializer,
  type SchemaDefinition,
  type TableNamesInDataModel,
} from "convex/server";
import { stream } from "convex-helpers/server/stream";
import { ConvexError, convexToJson, type GenericId, type Value } from "convex/values";
import { describeError, isRolloutError, rolloutError } from "../shared/errors.js";
import { isLimitError, PAGE_READ_CAPS } from "../shared/limits.js";
import { PLAN_SAMPLES, type PlanBatch } from "../shared/plan.js";
import { DRY_RUN_REPORT_KEY, SKIPPED_KEY } from "../shared/protocol.js";
import {
  MAX_MISMATCH_IDS,
  type BatchResult,
  type DocumentError,
  type Sample,
  type SliceRange,
  type Step,
  type VerifyBatchResult,
} from "../shared/validators.js";
import { encodeCursor, positionOf } from "./paging.js";

export type MigrateOne<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
> = (
  ctx: GenericMutationCtx<DataModel>,
  doc: DocumentByName<DataModel, T>,
) =>
  | void
  | Partial<DocumentByName<DataModel, T>>
  | Promise<void | Partial<DocumentByName<DataModel, T>>>;

export type CustomRange<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
> = (
  q: QueryInitializer<NamedTableInfo<DataModel, T>>,
) => OrderedQuery<NamedTableInfo<DataModel, T>>;

export type BatchSpec<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
> = {
  table: T;
  migrateOne: MigrateOne<DataModel, T>;
  customRange?: CustomRange<DataModel, T>;
  parallelize?: boolean;
  /**
   * The app's (or component's) schema. Given, pages are read with
   * convex-helpers' paginator, which knows the fields of the indexes a
   * `customRange` uses and, unlike `paginate`, also works inside a component
   * (the drop-in passes it, as `@convex-dev/migrations` did).
   */
  schema?: SchemaDefinition<GenericSchema, boolean>;
};

/**
 * A spec for any one table of the data model, as a union discriminated by
 * `table` rather than a generic: TypeScript then types `migrateOne` for that
 * table directly, and a literal it returns (`{ plan: "free" }`) keeps its
 * literal type instead of widening to `string` during inference.
 */
export type MigrationSpec<DataModel extends GenericDataModel> = {
  [T in TableNamesInDataModel<DataModel>]: BatchSpec<DataModel, T> & {
    /** Documents per batch for this migration. Default: the client's `defaultBatchSize`. */
    batchSize?: number;
  };
}[TableNamesInDataModel<DataModel>];

export type AnyDoc = { _id: GenericId<string> } & Record<string, unknown>;

/**
 * Reads one page. The cursor was checked for this table when the run started.
 *
 * A position is read the way it was written: a JSON array (convex-helpers'
 * paginator, which `@convex-dev/migrations` 0.3.6 used, so a run carried over
 * from it continues at its cursor) with the paginator, anything else with
 * Convex's `paginate`. A run from the start uses the paginator when the spec
 * has a schema.
 */
export async function readPage<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(
  ctx: GenericMutationCtx<DataModel>,
  spec: Pick<BatchSpec<DataModel, T>, "table" | "customRange" | "schema">,
  cursor: string | null,
  batchSize: number,
  capReads = false,
  range?: SliceRange,
) {
  const position = positionOf(spec.table, cursor);
  // A run reads on as it began: a cursor says which; from the start, a schema picks the paginator.
  const usePaginator = position.paginator ?? spec.schema !== undefined;
  const nativeCursor = position.cursor;
  const initial = usePaginator ? paginatorQuery(ctx, spec) : ctx.db.query(spec.table);
  // The component never slices a customRange (parallelismFor), so a range is over the default order.
  const query = range
    ? sliceQuery(initial, range)
    : spec.customRange
      ? spec.customRange(initial)
      : initial;
  try {
    const page = await query.paginate({
      cursor: nativeCursor,
      numItems: batchSize,
      // An adaptive batch stops reading at a quarter of the limits, however large its documents.
      ...(capReads ? PAGE_READ_CAPS : {}),
    });
    const docs = page.page as unknown as AnyDoc[];
    // A split lowered this slice's stop: what lies at or past it belongs to another slice now.
    const stop = range?.stop ?? null;
    const kept = stop === null ? docs : docs.filter((doc) => creationTimeOf(doc) < stop);
    return {
      docs: kept,
      continueCursor: encodeCursor(spec.table, page.continueCursor, usePaginator),
      isDone: page.isDone || kept.length < docs.length,
    };
  } catch (error) {
    // Only a cursor Convex cannot read is a cursor error; a limit or anything else says what it is.
    if (nativeCursor === null || isLimitError(describeError(error))) throw error;
    throw rolloutError(
      "InvalidCursor",
      `Convex refused the cursor for "${spec.table}" (${describeError(error)}). It may ` +
        `come from another range or an older version of this migration: leave it out, ` +
        `or pass '{"reset": true}' to start over.`,
      { table: spec.table },
    );
  }
}

function creationTimeOf(doc: AnyDoc): number {
  return doc._creationTime as number;
}

/** What a query over some table needs for a slice: its `by_creation_time` range. */
type RangeBuilder = {
  gte(field: "_creationTime", value: number): RangeBuilder;
  lt(field: "_creationTime", value: number): RangeBuilder;
};

/**
 * A slice of a parallel run: the table's default order (`by_creation_time`)
 * between the slice's bounds, as one index range. The bounds never change for
 * a slice, so its saved cursor stays a cursor of this same query.
 */
function sliceQuery<Q>(initial: Q, { lo, hi }: SliceRange): Q {
  const table = initial as unknown as {
    withIndex(name: "by_creation_time", range: (q: RangeBuilder) => RangeBuilder): Q;
  };
  return table.withIndex("by_creation_time", (q) => {
    const from = lo === null ? q : q.gte("_creationTime", lo);
    return hi === null ? from : from.lt("_creationTime", hi);
  });
}

/** The first and last `_creationTime` of a table (two one-document reads), null when empty. */
export async function boundsOf<DataModel extends GenericDataModel>(
  ctx: GenericMutationCtx<DataModel>,
  table: TableNamesInDataModel<DataModel>,
): Promise<{ first: number; last: number } | null> {
  const first = await ctx.db.query(table).order("asc").first();
  const last = await ctx.db.query(table).order("desc").first();
  if (first === null || last === null) return null;
  return { first: first._creationTime as number, last: last._creationTime as number };
}

/** The table as convex-helpers' paginator reads it, typed as the app's query. */
function paginatorQuery<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(
  ctx: GenericMutationCtx<DataModel>,
  spec: Pick<BatchSpec<DataModel, T>, "table" | "schema">,
): QueryInitializer<NamedTableInfo<DataModel, T>> {
  // Without a schema, the table's own indexes (by_creation_time) are all it can walk.
  const schema: SchemaDefinition<GenericSchema, boolean> =
    spec.schema ?? defineSchema({ [spec.table]: defineTable({}) });
  const db = ctx.db as unknown as GenericDatabaseReader<
    DataModelFromSchemaDefinition<typeof schema>
  >;
  return stream(db, schema).query(spec.table) as unknown as QueryInitializer<
    NamedTableInfo<DataModel, T>
  >;
}

/**
 * The `_creationTime` of the table's first and newest documents, for a run
 * over the default order: two one-document reads.
 */
export async function creationSpan<DataModel extends GenericDataModel>(
  ctx: GenericMutationCtx<DataModel>,
  spec: Pick<BatchSpec<DataModel, TableNamesInDataModel<DataModel>>, "table" | "customRange">,
): Promise<{ first: number; newest: number } | undefined> {
  if (spec.customRange !== undefined) return undefined;
  const first = await ctx.db.query(spec.table).order("asc").first();
  const newest = await ctx.db.query(spec.table).order("desc").first();
  if (first === null || newest === null) return undefined;
  return { first: first._creationTime as number, newest: newest._creationTime as number };
}

/** Checks a cursor against the migration's table and range without changing anything. */
export async function checkCursor<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(
  ctx: GenericMutationCtx<DataModel>,
  spec: BatchSpec<DataModel, T>,
  cursor: string | null,
): Promise<void> {
  if (cursor !== null) await readPage(ctx, spec, cursor, 1);
}

/**
 * What a migrateOne of this package (a declarative rollout's backfill) returns
 * when it wrote other documents for this one and has nothing to patch on it:
 * the document counts as changed. Not for apps: theirs count what they patch.
 */
export const CHANGED_ELSEWHERE = Symbol("changed elsewhere");

/**
 * Applies `migrateOne` to one document: "patched" when it patched it,
 * "elsewhere" when migrateOne said it changed other documents for it, null
 * when nothing was written.
 */
async function migrateDoc<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(
  ctx: GenericMutationCtx<DataModel>,
  spec: BatchSpec<DataModel, T>,
  doc: AnyDoc,
): Promise<"patched" | "elsewhere" | null> {
  const patch = await spec.migrateOne(ctx, doc as DocumentByName<DataModel, T>);
  if ((patch as unknown) === CHANGED_ELSEWHERE) return "elsewhere";
  if (!patch || Object.keys(patch).length === 0) return null;
  await ctx.db.patch(spec.table, doc._id as GenericId<T>, patch as never);
  return "patched";
}

async function forEachDoc(
  docs: AnyDoc[],
  parallelize: boolean | undefined,
  fn: (doc: AnyDoc) => Promise<void>,
): Promise<void> {
  if (parallelize) await Promise.all(docs.map(fn));
  else for (const doc of docs) await fn(doc);
}

/** How the component asks for a batch: the options of its `batch` step (see `vStep`). */
export type BatchOptions = Pick<
  Extract<Step, { kind: "batch" }>,
  "onError" | "skip" | "capReads" | "range"
>;

export async function runBatch<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(
  ctx: GenericMutationCtx<DataModel>,
  spec: BatchSpec<DataModel, T>,
  cursor: string | null,
  batchSize: number,
  options: BatchOptions = {},
): Promise<BatchResult> {
  const page = await readPage(ctx, spec, cursor, batchSize, options.capReads, options.range);
  const changed = await migrateDocs(ctx, spec, page.docs, options);
  const last = page.docs.at(-1);
  return {
    continueCursor: page.continueCursor,
    isDone: page.isDone,
    processed: page.docs.length,
    changed,
    // A slice's position, for choosing where to split it.
    ...(options.range && last ? { lastKey: creationTimeOf(last) } : {}),
    // Over the default order, where the page ended lets status estimate the total.
    ...(spec.customRange === undefined && last !== undefined
      ? { reached: last._creationTime as number }
      : {}),
  };
}

/**
 * Retries documents of the failure ledger: each one that still exists is
 * migrated again (one deleted since is simply done). Failures are reported
 * the way `onError: "skip"` reports them.
 */
export async function retryDocs<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(
  ctx: GenericMutationCtx<DataModel>,
  spec: BatchSpec<DataModel, T>,
  ids: string[],
  skip: string[] = [],
): Promise<BatchResult> {
  const docs: AnyDoc[] = [];
  for (const id of ids) {
    const docId = ctx.db.normalizeId(spec.table, id);
    const doc = docId === null ? null : await ctx.db.get(docId);
    if (doc !== null) docs.push(doc as unknown as AnyDoc);
  }
  const changed = await migrateDocs(ctx, spec, docs, { onError: "skip", skip });
  return { continueCursor: "", isDone: true, processed: ids.length, changed };
}

/**
 * Applies migrateOne to each document; answers how many it patched. With
 * `onError: "stop"` the first document that throws ends the batch with a
 * `MigrateOneFailed`. With "skip", every document is tried; if any threw, the
 * batch throws them all in one report, so this attempt is rolled back (undoing
 * what those documents half wrote) and the component runs it again without them.
 */
async function migrateDocs<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(
  ctx: GenericMutationCtx<DataModel>,
  spec: BatchSpec<DataModel, T>,
  docs: AnyDoc[],
  { onError = "stop", skip = [] }: BatchOptions,
): Promise<number> {
  const skipped = new Set(skip);
  const failures: DocumentError[] = [];
  let changed = 0;
  await forEachDoc(
    docs.filter((doc) => !skipped.has(doc._id)),
    spec.parallelize,
    async (doc) => {
      try {
        if ((await migrateDoc(ctx, spec, doc)) !== null) changed++;
      } catch (error) {
        // A limit belongs to the batch, never to a document: the component retries it smaller.
        if (isRolloutError(error) || isLimitError(describeError(error))) throw error;
        if (onError === "skip") {
          failures.push({ id: doc._id, error: describeError(error) });
          return;
        }
        throw rolloutError(
          "MigrateOneFailed",
          `migrateOne threw on document ${doc._id} of "${spec.table}": ` +
            `${describeError(error).replace(/\.?$/, ".")} Nothing of this batch was written. ` +
            `Fix the code or the document, then start the migration again: it resumes at ` +
            `this batch. Or run it with '{"onError": "skip"}' to record such documents and go on.`,
          { documentId: doc._id, table: spec.table },
        );
      }
    },
  );
  if (failures.length > 0) throw new ConvexError({ [SKIPPED_KEY]: failures });
  return changed;
}

/** Runs the batch, then throws its report so the caller's sub-transaction rolls back. */
export async function dryRunBatch<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(
  ctx: GenericMutationCtx<DataModel>,
  spec: BatchSpec<DataModel, T>,
  cursor: string | null,
  batchSize: number,
): Promise<never> {
  const page = await readPage(ctx, spec, cursor, batchSize);
  const errors: DocumentError[] = [];
  const failed = new Set<string>();
  // Documents migrateOne changed nothing on, but other documents for: they would change too.
  const changedElsewhere = new Set<string>();
  await forEachDoc(page.docs, spec.parallelize, async (doc) => {
    try {
      if ((await migrateDoc(ctx, spec, doc)) === "elsewhere") changedElsewhere.add(doc._id);
    } catch (error) {
      failed.add(doc._id);
      if (errors.length < PLAN_SAMPLES) errors.push({ id: doc._id, error: describeError(error) });
    }
  });
  const samples: Sample[] = [];
  let wouldChange = 0;
  for (const before of page.docs) {
    if (failed.has(before._id)) continue;
    // Compare with a fresh read, so writes migrateOne made itself count too.
    const after = await ctx.db.get(before._id as GenericId<T>);
    if (sameValue(after, before) && !changedElsewhere.has(before._id)) continue;
    wouldChange++;
    if (samples.length < PLAN_SAMPLES) samples.push({ id: before._id, before, after });
  }
  throw new ConvexError({
    [DRY_RUN_REPORT_KEY]: {
      continueCursor: page.continueCursor,
      isDone: page.isDone,
      examined: page.docs.length,
      wouldChange,
      unchanged: page.docs.length - wouldChange - failed.size,
      wouldFail: failed.size,
      errors,
      samples,
    } satisfies PlanBatch,
  });
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(convexToJson(a as Value)) === JSON.stringify(convexToJson(b as Value));
}

/**
 * One batch of a verify pass: the rollout's check on a page of the whole
 * table (not the backfill's custom range). It writes nothing. A check that
 * throws fails the pass rather than counting as a pass or a mismatch.
 */
export async function verifyBatch<
  DataModel extends GenericDataModel,
  T extends TableNamesInDataModel<DataModel>,
>(
  ctx: GenericMutationCtx<DataModel>,
  table: T,
  verify: (doc: AnyDoc, ctx: GenericMutationCtx<DataModel>) => boolean | Promise<boolean>,
  cursor: string | null,
  batchSize: number,
): Promise<VerifyBatchResult> {
  const page = await readPage(ctx, { table }, cursor, batchSize, true);
  const mismatchIds: string[] = [];
  let mismatches = 0;
  for (const doc of page.docs) {
    if (await verify(doc, ctx)) continue;
    mismatches++;
    if (mismatchIds.length < MAX_MISMATCH_IDS) mismatchIds.push(doc._id);
  }
  return {
    continueCursor: page.continueCursor,
    isDone: page.isDone,
    checked: page.docs.length,
    mismatchIds,
    mismatches,
  };
}
