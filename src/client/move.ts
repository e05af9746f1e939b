/**
 * A field moved to another table (the `moveField` recipe). The field stays on
 * the source table's documents until the contract pass; the other table holds
 * it in one row per source document, found by an index on the field that
 * holds the source document's id. Both are kept in step in the writing
 * transaction by the rules of the write-semantics table in
 * `src/client/README.md`, the same as a document's two shapes: a write that
 * sets the value on one side decides it for the other; a clear is decided by
 * the phase's truth (the document before readNew, the other table from then
 * on). And the package never fights the app over the other table's rows:
 *
 * - it never deletes a row (a document deleted takes its value off the row,
 *   and the row stays for the app to delete);
 * - a row the app inserts for a document that has one already is adopted: the
 *   row the package made (holding only the key and the value) is merged into
 *   it and removed, so there is one row per document;
 * - a row whose key changes moves the value from one document to the other.
 *
 * Copies are written with the triggers' inner writer: the app's other
 * triggers do not see them, and they cost no reads of their own (one index
 * range per moved write: the row looked up).
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

/** Phases in which the new shape is the one readers trust. */
function otherIsTruth(phase: Phase): boolean {
  return phase === "readNew" || phase === "complete";
}

/** True when a write of the source document needs the move's attention (no phase read otherwise). */
export function sourceWriteMatters(move: Move, change: Change): boolean {
  if (change.operation === "delete") return change.oldDoc[move.field] !== undefined;
  return !sameValue(change.oldDoc?.[move.field], change.newDoc?.[move.field]);
}

/** After a write of a source document (`db` writes around the triggers). */
export async function onSourceWrite(
  db: Writer,
  move: Move,
  change: Change,
  phase: Phase,
): Promise<void> {
  if (phase === "schema") return;
  if (change.operation === "delete") {
    // Its value goes with it; the row stays, for the app's own code to delete.
    if (phase !== "complete") await put(db, move, change.id, undefined);
    return;
  }
  const value = change.newDoc[move.field];
  if (value !== undefined) {
    await put(db, move, change.id, value);
  } else if (!otherIsTruth(phase)) {
    await put(db, move, change.id, undefined);
  } else if (phase === "readNew") {
    // A clear of the document alone (code that no longer knows the field): repaired from the truth.
    const row = await rowOf(db, move, change.id);
    await follow(db, move, change.id, row?.[move.as], { known: change.newDoc as AnyDoc });
  }
}

/** True when a write of the other table's row changed the moved field or its key. */
export function targetWriteMatters(move: Move, change: Change): boolean {
  return (
    !sameValue(change.oldDoc?.[move.as], change.newDoc?.[move.as]) ||
    !sameValue(change.oldDoc?.[move.key], change.newDoc?.[move.key])
  );
}

/** After a write of the other table's row (`db` writes around the triggers). */
export async function onTargetWrite(
  db: Writer,
  move: Move,
  change: Change,
  phase: Phase,
): Promise<void> {
  if (phase === "schema") return;
  const before = change.oldDoc as AnyDoc | null;
  const after = change.operation === "delete" ? null : (change.newDoc as AnyDoc);
  const keyBefore = before ? sourceIdOf(db, move, before) : null;
  const keyAfter = after ? sourceIdOf(db, move, after) : null;
  if (keyBefore !== null && keyBefore !== keyAfter) {
    // The row left this document (deleted, or given to another): as a clear of its value.
    await rowValue(db, move, keyBefore, undefined, phase);
  }
  if (after === null || keyAfter === null) return;
  if (keyBefore !== keyAfter) {
    // Inserted, or given this key: one row per document, then its value decides, or it takes the document's.
    const merged = await adopt(db, move, after, keyAfter);
    if (merged[move.as] !== undefined) await rowValue(db, move, keyAfter, merged[move.as], phase);
    else await takeValue(db, move, merged, keyAfter);
  } else if (!sameValue(before?.[move.as], after[move.as])) {
    await rowValue(db, move, keyAfter, after[move.as], phase);
  }
}

/** A row that arrived without the value takes the document's, as the backfill would give it. */
async function takeValue(db: Writer, move: Move, row: AnyDoc, sourceId: string) {
  const source = await db.get(move.from, sourceId as never);
  if (source?.[move.field] !== undefined) {
    await db.patch(move.to, row._id, { [move.as]: source[move.field] });
  }
}

/**
 * The other table now holds `value` for a document (undefined: it holds none).
 * A value decides the document's (until complete). A clear is decided by the
 * truth: before readNew the document keeps its value and the row gets it back
 * (when there is a row: one the app deleted is left to the backfill); from
 * readNew on the document's value goes too, complete included, so the
 * contract pass cannot bring it back.
 */
async function rowValue(db: Writer, move: Move, sourceId: string, value: unknown, phase: Phase) {
  if (value !== undefined) {
    if (phase !== "complete") await follow(db, move, sourceId, value);
  } else if (otherIsTruth(phase)) {
    await follow(db, move, sourceId, undefined);
  } else {
    const row = await rowOf(db, move, sourceId);
    if (row !== null) await takeValue(db, move, row, sourceId);
  }
}

/** The source document takes `value` (a write only on a difference). */
async function follow(
  db: Writer,
  move: Move,
  sourceId: string,
  value: unknown,
  { known }: { known?: AnyDoc } = {},
) {
  const source = known ?? (await db.get(move.from, sourceId as never));
  if (source === null || sameValue(source[move.field], value)) return;
  await db.patch(move.from, sourceId as never, { [move.field]: value } as Patch);
}

/**
 * A row arrived at a document that may have one already (the app inserted its
 * own, or gave it this key). A row the package made, holding only the key and
 * the value, is merged into it and removed: one row per document. A row with
 * fields of its own is the app's, and is left (verify reports the document).
 */
async function adopt(db: Writer, move: Move, row: AnyDoc, sourceId: string): Promise<AnyDoc> {
  const rows = (await db
    .query(move.to)
    .withIndex(move.index, (q) => q.eq(move.key, sourceId))
    .take(8)) as AnyDoc[];
  let merged = row;
  for (const other of rows) {
    if (other._id === row._id || !madeByMove(move, other)) continue;
    if (merged[move.as] === undefined && other[move.as] !== undefined) {
      await db.patch(move.to, row._id, { [move.as]: other[move.as] } as Patch);
      merged = { ...merged, [move.as]: other[move.as] };
    }
    await db.delete(move.to, other._id);
  }
  return merged;
}

/** A row with nothing but the key and the moved value: one this package made. */
function madeByMove(move: Move, row: AnyDoc): boolean {
  return Object.keys(row).every((k) => SYSTEM_FIELDS.has(k) || k === move.key || k === move.as);
}

function sourceIdOf(db: Writer, move: Move, row: AnyDoc): string | null {
  const key = row[move.key];
  return typeof key === "string" ? db.normalizeId(move.from, key) : null;
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
  // From readNew on, only what is missing: never over what new code wrote, nor a clear it made.
  if (otherIsTruth(phase) && value === undefined) return false;
  return await put(db, move, doc._id, value, { fillOnly: otherIsTruth(phase) });
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
