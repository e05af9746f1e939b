/**
 * The failure ledger: documents migrateOne threw on in runs with
 * `onError: "skip"`, kept per migration until a retry succeeds on them.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";

/** A retry run's cursor: the last ledger entry it took, marked so it is never read as a table cursor. */
export const RETRY_CURSOR_PREFIX = "failures|";

/** Records documents that threw (one ledger row per document, updated if already there). */
export async function recordFailures(
  ctx: MutationCtx,
  name: string,
  failures: { id: string; error: string }[],
): Promise<void> {
  const at = Date.now();
  for (const { id, error } of failures) {
    const row = await ctx.db
      .query("failures")
      .withIndex("by_name_and_documentId", (q) => q.eq("name", name).eq("documentId", id))
      .unique();
    if (row) {
      await ctx.db.patch("failures", row._id, { error, at });
    } else {
      await ctx.db.insert("failures", { name, documentId: id, error, at });
    }
  }
}

/** The next page of ledger entries for a retry run, after its cursor. */
export async function ledgerPage(ctx: MutationCtx, run: Doc<"runs">) {
  const after = run.cursor?.startsWith(RETRY_CURSOR_PREFIX)
    ? run.cursor.slice(RETRY_CURSOR_PREFIX.length)
    : null;
  const rows = await ctx.db
    .query("failures")
    .withIndex("by_name_and_documentId", (q) =>
      after === null ? q.eq("name", run.name) : q.eq("name", run.name).gt("documentId", after),
    )
    .take(run.batchSize);
  const last = rows.at(-1)?.documentId ?? after;
  return {
    ids: rows.map((row) => row.documentId),
    cursor: last === null ? `${RETRY_CURSOR_PREFIX}` : `${RETRY_CURSOR_PREFIX}${last}`,
    isDone: rows.length < run.batchSize,
  };
}

/** After a retry batch: clears the entries that now succeeded and updates those that failed again. */
export async function clearRetried(
  ctx: MutationCtx,
  name: string,
  ids: string[],
  failures: { id: string; error: string }[],
): Promise<void> {
  const stillFailing = new Map(failures.map((f) => [f.id, f.error]));
  const at = Date.now();
  for (const id of ids) {
    const row = await ctx.db
      .query("failures")
      .withIndex("by_name_and_documentId", (q) => q.eq("name", name).eq("documentId", id))
      .unique();
    if (!row) continue;
    const error = stillFailing.get(id);
    if (error === undefined) await ctx.db.delete("failures", row._id);
    else await ctx.db.patch("failures", row._id, { error, at });
  }
}
