/** Reading runs and turning them into the status the app and the CLI see. */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import type { Commands, MigrationStatus } from "../shared/validators.js";

/** The latest run of a migration, or null if it never ran. Two indexed reads. */
export async function latestRun(ctx: QueryCtx, name: string): Promise<Doc<"runs"> | null> {
  const row = await ctx.db
    .query("migrations")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
  return row ? await ctx.db.get("runs", row.runId) : null;
}

/**
 * A run as it really stands. A run marked running whose scheduled batch failed
 * as a whole (a transaction limit, a timeout, a handle that no longer exists)
 * could not record that itself; the scheduler's record of the job tells us.
 */
export async function withLiveState(ctx: QueryCtx, run: Doc<"runs">): Promise<Doc<"runs">> {
  if (run.state !== "running" || run.jobId === undefined) return run;
  const job = await ctx.db.system.get("_scheduled_functions", run.jobId);
  if (job === null) return run;
  if (job.state.kind === "failed") {
    return {
      ...run,
      state: "failed",
      error: `A scheduled batch failed outside the migration's own code: ${job.state.error}`,
      endedAt: job.completedTime,
    };
  }
  if (job.state.kind === "canceled") {
    return { ...run, state: "canceled", endedAt: job.completedTime };
  }
  return run;
}

export function commandsFor(run: Pick<Doc<"runs">, "name" | "cliModule">): Commands {
  const verbs = run.cliModule;
  return {
    watch: `npx convex run ${verbs}:status --watch`,
    start: `npx convex run ${run.name}`,
    cancel: `npx convex run ${verbs}:cancel '${JSON.stringify({ name: run.name })}'`,
    startOver: `npx convex run ${run.name} '{"reset": true}'`,
  };
}

export function toStatus(run: Doc<"runs">): MigrationStatus {
  return {
    name: run.name,
    state: run.state,
    isDone: run.isDone,
    processed: run.processed,
    changed: run.changed,
    batches: run.batches,
    batchSize: run.batchSize,
    cursor: run.cursor,
    startedAt: run.startedAt,
    attemptStartedAt: run.attemptStartedAt,
    endedAt: run.endedAt,
    error: run.error,
    failedDocumentId: run.failedDocumentId,
    next: run.next.map((migration) => migration.name),
    commands: commandsFor(run),
  };
}

/** Stops a running run after the batch in flight. Idempotent on a run that is not running. */
export async function cancelRun(ctx: MutationCtx, run: Doc<"runs">): Promise<Doc<"runs">> {
  if (run.state !== "running") return run;
  if (run.jobId !== undefined) {
    const job = await ctx.db.system.get("_scheduled_functions", run.jobId);
    if (job?.state.kind === "pending") await ctx.scheduler.cancel(run.jobId);
  }
  const patch = { state: "canceled" as const, endedAt: Date.now(), jobId: undefined };
  await ctx.db.patch("runs", run._id, patch);
  return { ...run, ...patch };
}
