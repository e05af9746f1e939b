/**
 * What this transaction has used of Convex's per-transaction limits, and what
 * it has left: the one reading of `ctx.meta.getTransactionMetrics()` behind
 * the nested batch's limits, adaptive sizing, dry-run stopping and ledger
 * settlement.
 */
import type { Usage } from "../shared/limits.js";
import type { QueryCtx } from "./_generated/server.js";

const KEYS = [
  "bytesRead",
  "documentsRead",
  "databaseQueries",
  "bytesWritten",
  "documentsWritten",
] as const satisfies readonly (keyof Usage)[];

/** Used and remaining, per limit; null on a backend without transaction metrics. */
export async function transactionUsage(
  ctx: QueryCtx,
): Promise<{ used: Usage; remaining: Usage } | null> {
  let metrics;
  try {
    metrics = await ctx.meta.getTransactionMetrics();
  } catch {
    return null;
  }
  const used = {} as Usage;
  const remaining = {} as Usage;
  for (const key of KEYS) {
    used[key] = metrics[key].used;
    remaining[key] = metrics[key].remaining;
  }
  return { used, remaining };
}
