/**
 * The scheduler's record of a job, for the runs and verify passes that keep
 * one pending between batches.
 */
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";

/**
 * How a job ended when it did not run to its end: failed as a whole (a
 * transaction limit, a timeout, a handle that leads nowhere), which the job
 * could not record itself, or canceled from outside. Null while pending,
 * running or successful.
 */
export async function jobEnding(
  ctx: QueryCtx,
  jobId: Id<"_scheduled_functions"> | undefined,
): Promise<{ state: "failed" | "canceled"; error?: string; endedAt?: number } | null> {
  if (jobId === undefined) return null;
  const job = await ctx.db.system.get("_scheduled_functions", jobId);
  if (job?.state.kind === "failed") {
    return {
      state: "failed",
      error: job.state.error ?? "the scheduler recorded no reason",
      endedAt: job.completedTime,
    };
  }
  if (job?.state.kind === "canceled") return { state: "canceled", endedAt: job.completedTime };
  return null;
}

/** Cancels the job if it has not started yet. */
export async function cancelPendingJob(
  ctx: MutationCtx,
  jobId: Id<"_scheduled_functions"> | undefined,
): Promise<void> {
  if (jobId === undefined) return;
  const job = await ctx.db.system.get("_scheduled_functions", jobId);
  if (job?.state.kind === "pending") await ctx.scheduler.cancel(jobId);
}
