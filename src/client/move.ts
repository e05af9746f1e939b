/**
 * A field moved to another table (the `moveField` recipe). The field stays on
 * the source table's documents until the contract pass; the other table holds
 * it in one row per source document, found by an index on the field that
 * holds the source document's id. Both are kept in step in the writing
 * transaction, the way `up` and `down` keep a document's two shapes:
 *
 * - a write of the field on a source document copies it over (from dualWrite
 *   on). Before readNew the source is the truth, so a removal is copied too;
 *   from readNew on, a write that drops it (new code writes only the new shape)
 *   gets it back from the other table, so a rollback finds it there;
 * - a write of it in the other table copies it back (`down`, so new code may
 *   write only the other table): a value set, from dualWrite to readNew; a
 *   removal, from readNew on;
 * - until complete, a source document deleted takes its value (the row is deleted
 *   when it holds nothing else, so no other data of the row is lost);
 * - the backfill copies what no write did (from readNew on it only fills
 *   what is missing, never overwriting new code), and at complete it copies
 *   before the contract pass removes the field, in the same transaction;
 * - the verify checks that both tables agree.
 *
 * No write when they already agree, so the copies do not loop.
 */
import type {
  GenericDatabaseReader,
  GenericDatabaseWriter,
  GenericDataModel,
  IndexNames,
  NamedTableInfo,
  TableNamesInDataModel,
  DocumentByName,
} from "convex/server";
import { isRolloutError, rolloutError } from "../shared/errors.js";
import type { Phase } from "../shared/validators.js";
import type { Change as ChangeOf } from "convex-helpers/server/triggers";
import type { Value } from "convex/values";
import type { AnyDoc } from "./batch.js";
import { sameValue } from "./conversion.js";

/** Where a moved field goes, as `moveField` describes it. */
export type Move = {
  /** The source table. */
  from: string;
  /** The field on the source table. */
  field: string;
  /** The other table. */
  to: string;
  /** Its index whose first field is `key`. */
  index: string;
  /** The field of the other table holding the source document's id. */
  key: string;
  /** The field's name in the other table. */
  as: string;
};

/** A move as a declaration types it: the other table, its index and fields checked against the app's schema. */
export type MoveSpec<
  DataModel extends GenericDataModel,
  To extends TableNamesInDataModel<DataModel>,
> = {
  field: string;
  to: To;
  index: IndexNames<NamedTableInfo<DataModel, To>>;
  key: string & keyof DocumentByName<DataModel, To>;
  as: string & keyof DocumentByName<DataModel, To>;
};

type Reader = GenericDatabaseReader<GenericDataModel>;
type Writer = GenericDatabaseWriter<GenericDataModel>;
type Change = ChangeOf<GenericDataModel, string>;
/** A patch of any table's document. */
type Patch = Record<string, Value | undefined>;

const SYSTEM_FIELDS = new Set(["_id", "_creationTime"]);

/** The other table's row for a source document, or null. */
export async function rowOf(db: Reader, move: Move, sourceId: string): Promise<AnyDoc | null> {
  const rows = (await db
    .query(move.to)
    .withIndex(move.index, (q) => q.eq(move.key, sourceId))
    .take(2)) as AnyDoc[];
  if (rows.length > 1) {
    throw rolloutError(
      "InvalidArgument",
      `moveField(${move.field}) needs one row of ${move.to} per document, but ${move.to} has ` +
        `several with ${move.key} = ${sourceId}. Merge them, then run the backfill again.`,
      { table: move.to, documentId: sourceId },
    );
  }
  return rows[0] ?? null;
}

/**
 * Makes the other table hold `value` for the source document (`undefined`: hold
 * nothing). `fillOnly` leaves a value already there. Writes only on a
 * difference; true when it wrote.
 */
export async function put(
  db: Writer,
  move: Move,
  sourceId: string,
  value: unknown,
  { fillOnly = false } = {},
): Promise<boolean> {
  const row = await rowOf(db, move, sourceId);
  if (row === null) {
    if (value === undefined) return false;
    await db.insert(move.to, { [move.key]: sourceId, [move.as]: value as Value });
    return true;
  }
  if (sameValue(row[move.as], value) || (fillOnly && row[move.as] !== undefined)) return false;
  await db.patch(move.to, row._id, { [move.as]: value } as Patch);
  return true;
}

/** The source document is gone: its value goes too, and the row when it held nothing else. */
async function release(db: Writer, move: Move, sourceId: string): Promise<void> {
  const row = await rowOf(db, move, sourceId);
  if (row === null) return;
  const rest = Object.keys(row).filter(
    (k) => !SYSTEM_FIELDS.has(k) && k !== move.key && k !== move.as,
  );
  if (rest.length === 0) await db.delete(move.to, row._id);
  else if (row[move.as] !== undefined) await db.patch(move.to, row._id, { [move.as]: undefined });
}

/** Phases in which the writes of one table are copied to the other. */
function copying(phase: Phase): boolean {
  return phase === "dualWrite" || phase === "backfill" || phase === "readNew";
}

/** True when a write of the source document needs the move's attention (no phase read otherwise). */
export function sourceWriteMatters(move: Move, change: Change): boolean {
  if (change.operation === "delete") return true;
  return !sameValue(change.oldDoc?.[move.field], change.newDoc?.[move.field]);
}

/** After a write of a source document. */
export async function onSourceWrite(
  db: Writer,
  move: Move,
  change: Change,
  phase: Phase,
): Promise<void> {
  if (change.operation === "delete") {
    if (copying(phase)) await release(db, move, change.id);
    return;
  }
  const doc = change.newDoc;
  const value = doc[move.field];
  if (phase === "schema") return;
  if (value !== undefined) {
    await put(db, move, change.id, value);
    return;
  }
  // The write removed the field.
  if (phase === "dualWrite" || phase === "backfill") {
    await put(db, move, change.id, undefined);
    return;
  }
  if (phase === "readNew") {
    // New code writes only the new shape; the old one is kept right for a rollback.
    const row = await rowOf(db, move, change.id);
    if (row?.[move.as] !== undefined) {
      await db.patch(move.from, change.id, { [move.field]: row[move.as] } as Patch);
    }
  }
}

/** True when a write of the other table's row changed the moved field. */
export function targetWriteMatters(move: Move, change: Change): boolean {
  return !sameValue(change.oldDoc?.[move.as], change.newDoc?.[move.as]);
}

/**
 * After a write of the other table (`down`): the source document follows it.
 * A value set is copied from dualWrite to readNew. A removal (or a deleted
 * row) is copied from readNew on, complete included: before readNew the
 * source is the truth, and the other table's rows have a life of their own (a
 * row deleted for its other fields must not take the document's value with
 * it); from complete on the retired field must not outlive the value, or the
 * contract pass would find it there and copy it back.
 */
export async function onTargetWrite(
  db: Writer,
  move: Move,
  change: Change,
  phase: Phase,
): Promise<void> {
  const row = change.operation === "delete" ? change.oldDoc : change.newDoc;
  const value = change.operation === "delete" ? undefined : row[move.as];
  const follows =
    value === undefined ? phase === "readNew" || phase === "complete" : copying(phase);
  if (!follows) return;
  const key = row[move.key];
  const sourceId = typeof key === "string" ? db.normalizeId(move.from, key) : null;
  if (sourceId === null) return;
  const source = await db.get(move.from, sourceId);
  if (source === null) return;
  if (!sameValue(source[move.field], value)) {
    await db.patch(move.from, sourceId, { [move.field]: value });
  }
}

/**
 * The backfill's part: copy over before the contract pass (which removes the
 * field) runs. True when it wrote the other table.
 */
export async function backfillMove(
  db: Writer,
  move: Move,
  doc: AnyDoc,
  phase: Phase,
): Promise<boolean> {
  const value = doc[move.field];
  const newIsTruth = phase === "readNew" || phase === "complete";
  if (newIsTruth && value === undefined) return false;
  return await put(db, move, doc._id, value, { fillOnly: newIsTruth });
}

/** Verify's part: the other table holds what the document holds (after complete, at least it). */
export async function moveAgrees(db: Reader, move: Move, doc: AnyDoc, phase: Phase) {
  const value = doc[move.field];
  if (value === undefined && phase === "complete") return true;
  try {
    const row = await rowOf(db, move, doc._id);
    return sameValue(row?.[move.as], value);
  } catch (error) {
    // Several rows for one document: a mismatch to report, not a failed verify pass.
    if (isRolloutError(error)) return false;
    throw error;
  }
}

/**
 * The moved value as readers should see it in this phase: the document's
 * before readNew, the other table's from then on. Not the document's as a
 * fallback: by readNew the backfill has copied every value over, and from
 * complete on a value new code cleared in the other table is not cleared on
 * the document (nothing is copied back any more).
 */
export async function readMoved(db: Reader, move: Move, doc: AnyDoc, phase: Phase) {
  if (phase !== "readNew" && phase !== "complete") return doc[move.field];
  return (await rowOf(db, move, doc._id))?.[move.as];
}
