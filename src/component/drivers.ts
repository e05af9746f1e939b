/**
 * What drives a running run, and the monitor that notices when nothing does.
 *
 * A running run has exactly one driver: its scheduled batch (`jobId`), or an
 * action that steps it and holds it until `leaseUntil` (`runToCompletion`).
 * A batch that fails as a whole commits nothing, so it cannot say so itself;
 * the monitor, scheduled once per interval while any run is running (never
 * per batch), finds such runs and hands them to the same recovery as a batch
 * that failed inline.
 */
import { MAX_PARALLELISM } from "../shared/limits.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import {
  ACTION_LEASE_MS,
  MONITOR_INTERVAL_MS,
  driverOf,
  type Driver,
  type JobRecord,
} from "./decisions.js";

/** The scheduler's record of a job, as the decisions read it. */
export async function jobRecord(
  ctx: QueryCtx,
  jobId: Id<"_scheduled_functions"> | undefined,
): Promise<JobRecord | null> {
  if (jobId === undefined) return null;
  const job = await ctx.db.system.get("_scheduled_functions", jobId);
  if (job === null) return { kind: "missing" };
  if (job.state.kind === "failed") return { kind: "failed", error: job.state.error };
  return { kind: job.state.kind };
}

/**
 * Whether something drives this run now (see `driverOf`). A parallel run has
 * no driver of its own: it is driven while each of its running slices is.
 */
export async function driverOfRun(ctx: QueryCtx, run: Doc<"runs">): Promise<Driver> {
  if (run.parallelism === undefined) {
    return driverOf(run, await jobRecord(ctx, run.jobId), Date.now());
  }
  for (const slice of await liveSlices(ctx, run._id)) {
    if (slice.state !== "running") continue;
    const driver = await driverOfRun(ctx, slice);
    if (!driver.driven) return driver;
  }
  return { driven: true };
}

/**
 * A parallel run's slices that are not done, in the order they were cut. There
 * are never more than `MAX_PARALLELISM`: a split happens only below the run's
 * `parallelism`, which is at most that.
 */
export async function liveSlices(ctx: QueryCtx, runId: Id<"runs">): Promise<Doc<"runs">[]> {
  return await ctx.db
    .query("runs")
    .withIndex("by_parent_and_isDone", (q) => q.eq("parent", runId).eq("isDone", false))
    .take(MAX_PARALLELISM);
}

/** Cancels the job if it has not started yet. */
export async function cancelPendingJob(
  ctx: MutationCtx,
  jobId: Id<"_scheduled_functions"> | undefined,
): Promise<void> {
  const job = await jobRecord(ctx, jobId);
  if (job?.kind === "pending") await ctx.scheduler.cancel(jobId!);
}

/** Schedules the run's next batch; the batch carries the attempt it belongs to. */
export async function scheduleBatch(
  ctx: MutationCtx,
  run: Pick<Doc<"runs">, "_id" | "attempt" | "delayMs">,
  delayMs = run.delayMs,
): Promise<Id<"_scheduled_functions">> {
  return await ctx.scheduler.runAfter(delayMs, internal.batch.runBatch, {
    runId: run._id,
    attempt: run.attempt,
  });
}

/**
 * The driver fields for a run that goes on: a scheduled batch, or an action's
 * lease. Whoever writes a running run writes these, so it always has one.
 */
export async function nextDriver(
  ctx: MutationCtx,
  run: Pick<Doc<"runs">, "_id" | "attempt" | "delayMs">,
  { schedule, delayMs }: { schedule: boolean; delayMs?: number },
): Promise<{ jobId?: Id<"_scheduled_functions">; leaseUntil?: number }> {
  if (schedule) return { jobId: await scheduleBatch(ctx, run, delayMs), leaseUntil: undefined };
  return { jobId: undefined, leaseUntil: Date.now() + ACTION_LEASE_MS };
}

/** Makes sure a monitor check is scheduled. Called when runs start, not per batch. */
export async function ensureMonitor(ctx: MutationCtx): Promise<void> {
  const row = await ctx.db.query("monitor").first();
  const job = await jobRecord(ctx, row?.jobId);
  if (job?.kind === "pending" || job?.kind === "inProgress") return;
  await scheduleMonitor(ctx, row, { cursor: null });
}

/**
 * Schedules the next monitor check and records it in the monitor's one row,
 * with where in the running runs it continues (null: from the first).
 */
export async function scheduleMonitor(
  ctx: MutationCtx,
  row: Doc<"monitor"> | null,
  { cursor, delayMs = MONITOR_INTERVAL_MS }: { cursor: string | null; delayMs?: number },
): Promise<void> {
  const at = Date.now() + delayMs;
  const jobId = await ctx.scheduler.runAt(at, internal.monitor.check, {});
  if (row) await ctx.db.patch("monitor", row._id, { jobId, at, cursor });
  else await ctx.db.insert("monitor", { jobId, at, cursor });
}
