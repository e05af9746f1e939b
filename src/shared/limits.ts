/**
 * Convex's per-transaction limits, in one place, and how batches stay inside
 * them. Source: Convex docs, "Limits" (docs.convex.dev/production/state/limits).
 * A batch is one transaction: the app's page and patches plus the component's
 * bookkeeping all count against these.
 */
const MiB = 1024 * 1024;

export const CONVEX_LIMITS = {
  /** Data read by one transaction. */
  bytesRead: 16 * MiB,
  /** Documents scanned by one transaction. */
  documentsRead: 32_000,
  /** Index ranges read (each `db.get` or `db.query`). */
  databaseQueries: 4_096,
  /** Data written by one transaction. */
  bytesWritten: 16 * MiB,
  /** Documents written by one transaction. */
  documentsWritten: 16_000,
  /** User code time of a query or mutation, in ms (not measurable from inside it). */
  executionMs: 1_000,
} as const;

/** The resources a batch is sized by. */
export type Usage = {
  bytesRead: number;
  documentsRead: number;
  databaseQueries: number;
  bytesWritten: number;
  documentsWritten: number;
};

/**
 * "Well inside" the limits: an adaptive batch grows only while it uses at most
 * this fraction of every limit, which leaves room for documents larger than
 * those seen so far and for a `migrateOne` that sometimes writes more.
 */
export const TARGET_FRACTION = 0.25;

/** The first batch of an adaptive run. */
export const ADAPTIVE_START = 100;
/** An adaptive batch never grows past this many documents (a quarter of the write limit). */
export const ADAPTIVE_MAX = Math.floor(CONVEX_LIMITS.documentsWritten * TARGET_FRACTION);
/** At most this growth from one batch to the next, so one cheap batch cannot jump to the cap. */
export const MAX_GROWTH = 4;

/**
 * Caps on what a page may read, handed to Convex's paginate: a page stops
 * early instead of reading past them, so a batch of unexpectedly large
 * documents cannot exceed the read limits at all.
 */
export const PAGE_READ_CAPS = {
  maximumBytesRead: Math.floor(CONVEX_LIMITS.bytesRead * TARGET_FRACTION),
  maximumRowsRead: Math.floor(CONVEX_LIMITS.documentsRead * TARGET_FRACTION),
};

/**
 * The next adaptive batch size after a batch of `size` that used `used`:
 * scaled so that the most used resource lands at `TARGET_FRACTION` of its
 * limit, growing at most `MAX_GROWTH` times, between 1 and `ADAPTIVE_MAX`.
 */
export function nextBatchSize(size: number, used: Usage, processed: number): number {
  // A short page (the end of the range, or a read cap) says little about cost per document.
  const basis = Math.max(1, Math.min(size, processed));
  let factor = MAX_GROWTH;
  for (const key of Object.keys(used) as (keyof Usage)[]) {
    if (used[key] <= 0) continue;
    factor = Math.min(factor, (CONVEX_LIMITS[key] * TARGET_FRACTION) / used[key]);
  }
  const next = Math.floor(basis * factor);
  return Math.max(1, Math.min(ADAPTIVE_MAX, next));
}

/** The batch size to retry with after a batch failed on a limit. */
export function shrunkBatchSize(size: number): number {
  return Math.max(1, Math.floor(size / 4));
}

/**
 * How Convex words its limit errors ("Too many bytes read in a single function
 * execution", "Scanned too many documents ...", "Wrote too much data ...",
 * "Too many index ranges read ...", "... took too long"); convex-test words
 * them the same way. Matched on the message, the only place they say it.
 */
const LIMIT_ERROR =
  /in a single function execution|too many (bytes|documents|reads|writes|index ranges)|too much data|function execution (timed out|took too long)|execution time limit/i;

export function isLimitError(message: string): boolean {
  return LIMIT_ERROR.test(message);
}

/**
 * What the component keeps for itself in a batch's transaction: its own reads
 * and writes after the app's batch (the run's row, ledger entries, the next
 * batch's scheduling). The app's batch runs as a nested call limited to what
 * remains minus this, so when the batch reaches a limit, the component still
 * has room to record it and schedule a smaller retry in the same transaction.
 */
export const BOOKKEEPING_RESERVE: Usage = {
  bytesRead: 512 * 1024,
  documentsRead: 200,
  databaseQueries: 100,
  bytesWritten: 512 * 1024,
  documentsWritten: 200,
};
/** Under scaled-down limits (tests), the reserve is at most this share of what remains. */
export const RESERVE_MAX_SHARE = 0.2;

/** The limits to run the app's batch under, given what the transaction has left. */
export function nestedBatchLimits(remaining: Usage): Usage {
  const limits = {} as Usage;
  for (const key of Object.keys(BOOKKEEPING_RESERVE) as (keyof Usage)[]) {
    const left = Math.max(0, remaining[key]);
    const reserve = Math.min(BOOKKEEPING_RESERVE[key], Math.floor(left * RESERVE_MAX_SHARE));
    limits[key] = Math.max(1, left - reserve);
  }
  return limits;
}

/** The most slices a parallel run keeps live; status reads each live one. */
export const MAX_PARALLELISM = 32;
