/**
 * Cursors that know their table.
 *
 * A saved cursor is `<table>|<Convex's own cursor>`. Convex's cursors are
 * opaque, and one from another table may parse and silently read the wrong
 * range; the prefix lets us refuse it with a clear error before anything runs.
 * A position read with convex-helpers' paginator (see `readPage`) is
 * `<table>|paginator|<its cursor>`.
 */
import { rolloutError } from "../shared/errors.js";
import { PAGINATOR_MARK } from "../shared/legacy.js";

const SEPARATOR = "|";

export function encodeCursor(table: string, nativeCursor: string, paginator = false): string {
  return `${table}${SEPARATOR}${paginator ? PAGINATOR_MARK : ""}${nativeCursor}`;
}

/** A decoded position: the cursor for `paginate`, or for the paginator. */
export function positionOf(
  table: string,
  cursor: string | null,
): { cursor: string | null; paginator: boolean | null } {
  const inner = decodeCursor(table, cursor);
  if (inner === null) return { cursor: null, paginator: null };
  return inner.startsWith(PAGINATOR_MARK)
    ? { cursor: inner.slice(PAGINATOR_MARK.length), paginator: true }
    : { cursor: inner, paginator: false };
}

/** The Convex cursor inside a saved one, or an `InvalidCursor` error that says what to do. */
export function decodeCursor(table: string, cursor: string | null): string | null {
  if (cursor === null) return null;
  const at = cursor.indexOf(SEPARATOR);
  if (at <= 0) {
    throw rolloutError(
      "InvalidCursor",
      `The cursor ${JSON.stringify(cursor.slice(0, 80))} does not parse: cursors look ` +
        `like "${table}|…" and come from a migration's status. Leave the cursor out to ` +
        `resume where the run stopped, or pass '{"reset": true}' to start over.`,
      { table },
    );
  }
  const cursorTable = cursor.slice(0, at);
  if (cursorTable !== table) {
    throw rolloutError(
      "InvalidCursor",
      `This cursor was saved for table "${cursorTable}", but this migration runs over ` +
        `"${table}". Use a cursor from this migration's own status, or leave it out.`,
      { table, cursorTable },
    );
  }
  return cursor.slice(at + SEPARATOR.length);
}
