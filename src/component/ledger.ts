/**
 * The failure ledger: documents migrateOne threw on in runs with
 * `onError: "skip"`, kept per migration until they are settled.
 *
 * An entry is settled when a retry converts the document (or finds it
 * deleted), or when a full pass that started after it finishes: that pass went
 * over every document of the range, so it either converted the document or
 * recorded it again, tagged with its own pass. Settled entries are never
 * retried (a retry must not run migrateOne a second time on a document a pass
 * already converted), never shown, and never hold a gate closed.
 */
import type { DocumentError } from "../shared/validators.js";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { RETRY_CURSOR_PREFIX } from "../shared/protocol.js";
import { transactionUsage } from "./metrics.js";

/**
 * The migration's bookkeeping row. In the drop-in component the table may
 * still hold a row of `@convex-dev/migrations` for this name (see legacy.ts):
 * that one is not ours, and reads as none.
 */
export async function migrationRow(ctx: QueryCtx, name: string) {
  const row = await ctx.db
    .query("migrations")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
  return isOurRow(row) ? row : null;
}

/** True for a row of ours: it points at a run. */
export function isOurRow(row: Doc<"migrations"> | null): row is Doc<"migrations"> {
  // Typed as ours, but a row of theirs has no runId.
  return row !== null && (row as Partial<Doc<"migrations">>).runId !== undefined;
}

/** Entries recorded before this pass are settled. */
async function clearedPass(ctx: QueryCtx, name: string): Promise<number> {
  return (await migrationRow(ctx, name))?.clearedPass ?? 0;
}

/** The entries still failing, in pass order: those not settled by a later full pass. */
async function unsettled(ctx: QueryCtx, name: string) {
  const cleared = await clearedPass(ctx, name);
  return ctx.db.query("failures").withIndex("by_name_and_pass", (q) =>
    // Entries from before passes were counted have no pass: settled by any cleared pass.
    cleared === 0 ? q.eq("name", name) : q.eq("name", name).gte("pass", cleared),
  );
}

/** The first few documents still failing, for status. */
export async function stillFailing(ctx: QueryCtx, name: string, count: number) {
  return await (await unsettled(ctx, name)).take(count);
}

/** How many documents are still failing, counted up to `atMost`. */
export async function countStillFailing(
  ctx: QueryCtx,
  name: string,
  atMost: number,
): Promise<number> {
  return (await stillFailing(ctx, name, atMost)).length;
}

/** Records documents that threw (one ledger row per document, updated if already there). */
export async function recordFailures(
  ctx: MutationCtx,
  name: string,
  failures: DocumentError[],
  pass: number | undefined,
): Promise<void> {
  const at = Date.now();
  for (const { id, error } of failures) {
    const row = await entry(ctx, name, id);
    if (row) await ctx.db.patch("failures", row._id, { error, at, pass });
    else await ctx.db.insert("failures", { name, documentId: id, error, at, pass });
  }
}

/**
 * The next page of entries for a retry run, after its cursor. Settled entries
 * met on the way are deleted, not retried.
 */
export async function ledgerPage(ctx: MutationCtx, run: Doc<"runs">) {
  const after = run.cursor?.startsWith(RETRY_CURSOR_PREFIX)
    ? run.cursor.slice(RETRY_CURSOR_PREFIX.length)
    : null;
  const cleared = await clearedPass(ctx, run.name);
  const rows = await ctx.db
    .query("failures")
    .withIndex("by_name_and_documentId", (q) =>
      after === null ? q.eq("name", run.name) : q.eq("name", run.name).gt("documentId", after),
    )
    .take(run.batchSize);
  const ids: string[] = [];
  for (const row of rows) {
    if ((row.pass ?? 0) < cleared) await ctx.db.delete("failures", row._id);
    else ids.push(row.documentId);
  }
  const last = rows.at(-1)?.documentId ?? after;
  return {
    ids,
    cursor: `${RETRY_CURSOR_PREFIX}${last ?? ""}`,
    isDone: rows.length < run.batchSize,
  };
}

/** After a retry batch: clears the entries that now succeeded and updates those that failed again. */
export async function clearRetried(
  ctx: MutationCtx,
  run: Doc<"runs">,
  ids: string[],
  failures: DocumentError[],
): Promise<void> {
  const stillFailingNow = new Map(failures.map((f) => [f.id, f.error]));
  const at = Date.now();
  for (const id of ids) {
    const row = await entry(ctx, run.name, id);
    if (!row) continue;
    const error = stillFailingNow.get(id);
    if (error === undefined) await ctx.db.delete("failures", row._id);
    else await ctx.db.patch("failures", row._id, { error, at });
  }
}

/** How many settled entries a finishing pass deletes at once; a retry deletes any left. */
export const SETTLE_DELETES = 500;

/**
 * A full pass finished: every entry recorded before it is settled. They stop
 * counting at once (`clearedPass`); the first few hundred are also deleted
 * here, so the ledger holds only what still fails, and a retry deletes any
 * left over as it meets them.
 */
export async function settleBefore(ctx: MutationCtx, name: string, pass: number): Promise<void> {
  const row = await migrationRow(ctx, name);
  if (!row || (row.clearedPass ?? 0) >= pass) return;
  await ctx.db.patch("migrations", row._id, { clearedPass: pass });
  const settled = await ctx.db
    .query("failures")
    // Entries from before passes were counted have no pass, and sort first.
    .withIndex("by_name_and_pass", (q) => q.eq("name", name).lt("pass", pass))
    .take(await settleRoom(ctx));
  for (const entry of settled) await ctx.db.delete("failures", entry._id);
}

/**
 * How many settled entries this transaction can delete: a quarter of what it
 * has left to read and write, at most `SETTLE_DELETES`. It runs after a batch
 * that may have used most of the transaction; what it leaves, a retry deletes.
 */
async function settleRoom(ctx: MutationCtx): Promise<number> {
  const usage = await transactionUsage(ctx);
  if (usage === null) return SETTLE_DELETES;
  const left = Math.min(usage.remaining.documentsRead, usage.remaining.documentsWritten);
  return Math.max(0, Math.min(SETTLE_DELETES, Math.floor(left / 4)));
}

async function entry(ctx: QueryCtx, name: string, documentId: string) {
  return await ctx.db
    .query("failures")
    .withIndex("by_name_and_documentId", (q) => q.eq("name", name).eq("documentId", documentId))
    .unique();
}
