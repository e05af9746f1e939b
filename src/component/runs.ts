/** Reading runs and turning them into the status the app and the CLI see. */
import { rolloutError } from "../shared/errors.js";
import { canonicalName } from "../shared/names.js";
import type { Commands, Failure, MigrationStatus } from "../shared/validators.js";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { cancelPendingJob, driverOfRun, liveSlices } from "./drivers.js";
import { sliceStatus, stopSlices } from "./slices.js";
import { isOurRow, migrationRow, stillFailing } from "./ledger.js";
import { progressOf } from "../shared/progress.js";

/** How many failures status shows per migration. */
export const STATUS_FAILURES = 3;
/** How many recent batches the rate is measured over. */
export const RATE_WINDOW = 8;

/** The latest run of a migration, or null if it never ran. Two indexed reads. */
export async function latestRun(ctx: QueryCtx, name: string): Promise<Doc<"runs"> | null> {
  const row = await migrationRow(ctx, canonicalName(name));
  return row ? await ctx.db.get("runs", row.runId) : null;
}

/**
 * A run as status shows it. A running run whose driver is gone (its scheduled
 * batch failed as a whole, or the action stepping it stopped) could not
 * record that itself; it stays running, and says that the monitor is about to
 * recover it.
 */
export async function withLiveState(ctx: QueryCtx, run: Doc<"runs">): Promise<Doc<"runs">> {
  if (run.state !== "running") return run;
  const driver = await driverOfRun(ctx, run);
  if (driver.driven) return run;
  return {
    ...run,
    error:
      `Recovering: ${driver.failure.error}. The monitor retries it within a minute; ` +
      `resume retries it now.`,
  };
}

export function commandsFor(
  run: Pick<Doc<"runs">, "name" | "cliModule" | "kind" | "isDone" | "retryFailed">,
): Commands {
  const verbs = run.cliModule;
  if (run.kind === "verify") {
    // A verify pass belongs to its rollout: `verify` starts a new one; it has no pause or
    // cancel of its own (it writes nothing; a new pass replaces it, a rollback stops it).
    const verify = `npx convex run ${verbs}:verify '${JSON.stringify({ rollout: run.name })}'`;
    const watch = `npx convex run ${verbs}:status --watch`;
    return {
      watch,
      start: verify,
      cancel: watch,
      pause: watch,
      resume: verify,
      startOver: verify,
      retryFailed: verify,
    };
  }
  const byName = `'${JSON.stringify({ name: run.name })}'`;
  return {
    watch: `npx convex run ${verbs}:status --watch`,
    start: `npx convex run ${run.name}`,
    cancel: `npx convex run ${verbs}:cancel ${byName}`,
    pause: `npx convex run ${verbs}:pause ${byName}`,
    resume: `npx convex run ${verbs}:resume ${byName}`,
    startOver: `npx convex run ${run.name} '{"reset": true}'`,
    // A retry is refused until the pass that fills the ledger has finished (`decideStart`):
    // until then the line to offer is the one that finishes it.
    retryFailed:
      run.isDone || run.retryFailed === true
        ? `npx convex run ${run.name} '{"retryFailed": true}'`
        : `npx convex run ${run.name}`,
  };
}

/** The first few documents of a migration still in the failure ledger. */
export async function firstFailures(ctx: QueryCtx, name: string): Promise<Failure[]> {
  const rows = await stillFailing(ctx, name, STATUS_FAILURES);
  return rows.map(({ documentId, error, at }) => ({ documentId, error, at }));
}

/** Documents per second over the recent batches, or null before there is a measure. */
function rateOf(run: Pick<Doc<"runs">, "recent" | "attemptStartedAt">): number | null {
  const [first, ...rest] = run.recent;
  if (first === undefined) return null;
  // With one batch, measure from the start of the attempt.
  const from = rest.length > 0 ? first.at : run.attemptStartedAt;
  const docs = rest.length > 0 ? rest.reduce((sum, b) => sum + b.processed, 0) : first.processed;
  const last = rest.at(-1)?.at ?? first.at;
  return last > from ? (docs * 1000) / (last - from) : null;
}

/**
 * A parallel run as one: its settled slices' counts (on its row) plus its live
 * slices', and their rates added up. At most `MAX_PARALLELISM` reads.
 */
async function combined(ctx: QueryCtx, run: Doc<"runs">) {
  const slices = await liveSlices(ctx, run._id);
  const rates = slices.map(rateOf).filter((r): r is number => r !== null);
  const sum = (key: "processed" | "changed" | "failed" | "batches") =>
    slices.reduce((total, slice) => total + slice[key], run[key]);
  return {
    run: {
      ...run,
      processed: sum("processed"),
      changed: sum("changed"),
      failed: sum("failed"),
      batches: sum("batches"),
      batchSize: Math.max(run.batchSize, ...slices.map((s) => s.batchSize)),
    },
    rate: rates.length > 0 ? rates.reduce((a, b) => a + b, 0) : null,
    slices: slices.map(sliceStatus),
  };
}

export async function toStatus(ctx: QueryCtx, stored: Doc<"runs">): Promise<MigrationStatus> {
  const parallel = stored.parallelism !== undefined ? await combined(ctx, stored) : null;
  const run = parallel?.run ?? stored;
  const rate = parallel ? parallel.rate : rateOf(run);
  const progress = progressOf({
    done: run.state === "done",
    processed: run.processed,
    estimatedTotal: run.estimatedTotal,
    // One cursor's place in the table says nothing of how far k slices are.
    ...(parallel ? {} : { span: run.span, reached: run.reached }),
    rate,
  });
  return {
    name: run.name,
    runId: run._id,
    state: run.state,
    mode: run.kind === "verify" ? "verify" : run.retryFailed ? "retryFailed" : "all",
    isDone: run.isDone,
    processed: run.processed,
    changed: run.changed,
    failed: run.failed,
    failures: run.kind === "verify" ? [] : await firstFailures(ctx, run.name),
    onError: run.onError,
    batches: run.batches,
    batchSize: run.batchSize,
    adaptive: run.adaptive,
    delayMs: run.delayMs,
    rate: rate === null ? null : Math.round(rate),
    ...progress,
    by: run.by,
    cursor: run.cursor,
    startedAt: run.startedAt,
    attemptStartedAt: run.attemptStartedAt,
    endedAt: run.endedAt,
    error: run.error,
    failedDocumentId: run.failedDocumentId,
    next: run.next.map((migration) => migration.name),
    commands: commandsFor(run),
    ...(parallel ? { parallelism: run.parallelism, slices: parallel.slices } : {}),
    ...(run.note !== undefined ? { note: run.note } : {}),
  };
}

/**
 * A named migration that never ran here, as status answers it (the drop-in's
 * `getStatus` answers "unknown" too): its commands start it or plan it.
 */
export function unknownStatus(name: string): MigrationStatus {
  const verbs = name.includes(":") ? name.slice(0, name.lastIndexOf(":")) : "migrations";
  const start = `npx convex run ${name}`;
  const watch = `npx convex run ${verbs}:status --watch`;
  return {
    name,
    runId: "",
    state: "unknown",
    mode: "all",
    isDone: false,
    processed: 0,
    changed: 0,
    failed: 0,
    failures: [],
    onError: "stop",
    batches: 0,
    batchSize: 0,
    adaptive: true,
    delayMs: 0,
    rate: null,
    estimatedTotal: null,
    percent: null,
    etaMs: null,
    cursor: null,
    startedAt: 0,
    attemptStartedAt: 0,
    next: [],
    commands: {
      watch,
      start,
      cancel: watch,
      pause: watch,
      resume: start,
      startOver: start,
      retryFailed: start,
    },
  };
}

/** Cancels every running or paused run, however many; answers them as they now stand. */
export async function cancelEveryRun(ctx: MutationCtx): Promise<Doc<"runs">[]> {
  const canceled: Doc<"runs">[] = [];
  for (const state of ["running", "paused"] as const) {
    const runs = await ctx.db
      .query("runs")
      .withIndex("by_state", (q) => q.eq("state", state))
      .collect();
    for (const run of runs) {
      // A slice stops with its run, which is in this list too.
      if (run.parent === undefined) canceled.push(await cancelRun(ctx, run));
    }
  }
  return canceled;
}

/** Stops a running run after the batch in flight. Idempotent on a run that is not running. */
export async function cancelRun(ctx: MutationCtx, run: Doc<"runs">): Promise<Doc<"runs">> {
  return await stopRun(ctx, run, "canceled");
}

/**
 * Stops a running (or, for cancel, paused) run: its pending batch is canceled
 * and its cursor kept. Anything else is returned unchanged.
 */
export async function stopRun(
  ctx: MutationCtx,
  run: Doc<"runs">,
  state: "canceled" | "paused",
): Promise<Doc<"runs">> {
  const stoppable = run.state === "running" || (state === "canceled" && run.state === "paused");
  if (!stoppable) return run;
  await cancelPendingJob(ctx, run.jobId);
  const patch = {
    state,
    endedAt: state === "canceled" ? Date.now() : undefined,
    jobId: undefined,
    leaseUntil: undefined,
  };
  await ctx.db.patch("runs", run._id, patch);
  if (run.parallelism !== undefined) await stopSlices(ctx, run, state);
  return { ...run, ...patch };
}

/** How many migrations a "did you mean" looks through: an error path, still bounded. */
const SUGGEST_SCAN = 200;

/** The latest run of a migration, or `UnknownMigration` (with a name that has run, if one fits). */
export async function requireRun(ctx: QueryCtx, name: string): Promise<Doc<"runs">> {
  const run = await latestRun(ctx, name);
  if (run === null) {
    const similar = await similarName(ctx, name);
    throw rolloutError(
      "UnknownMigration",
      similar !== null
        ? `No migration named "${name}" has run here; did you mean "${similar}"? ` +
            `Names are "file:export".`
        : `No migration named "${name}" has run here. Names look like "migrations:setDefault" ` +
            `(file:export); run \`npx convex run migrations:status\` to list those that have.`,
      { name, ...(similar !== null ? { didYouMean: similar } : {}) },
    );
  }
  return run;
}

/**
 * A migration that has run whose export is the one named ("x" or "other:x"
 * for "migrations:x"), among the most recently started: people leave out the
 * file, or name the wrong one.
 */
async function similarName(ctx: QueryCtx, name: string): Promise<string | null> {
  const wanted = exportOf(canonicalName(name));
  const rows = await ctx.db
    .query("migrations")
    .withIndex("by_updatedAt")
    .order("desc")
    .take(SUGGEST_SCAN);
  const match = rows.find((row) => isOurRow(row) && exportOf(row.name) === wanted);
  return match?.name ?? null;
}

function exportOf(name: string): string {
  return name.slice(name.lastIndexOf(":") + 1);
}
