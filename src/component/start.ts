/** Starting, resuming and chaining runs. */
import {
  checkBatchSize,
  checkParallelism,
  checkWholeNumber,
  rolloutError,
} from "../shared/errors.js";
import { ADAPTIVE_START, MAX_PARALLELISM } from "../shared/limits.js";
import { canonicalName } from "../shared/names.js";
import {
  MAX_BATCH_SIZE,
  type MigrationAddress,
  type OnError,
  type StartResult,
} from "../shared/validators.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { describeMigration } from "./appCalls.js";
import { decideStart } from "./decisions.js";
import { driverOfRun, ensureMonitor, nextDriver } from "./drivers.js";
import { carryOver } from "./legacy.js";
import { migrationRow } from "./ledger.js";
import { getRollout } from "./rolloutStatus.js";
import { latestRun, toStatus } from "./runs.js";
import { parallelismFor, startingSlices } from "./sliceDecisions.js";
import { driveSlices, setParallelism, startSlices } from "./slices.js";

/** The longest pause between batches: an hour. */
export const MAX_DELAY_MS = 3_600_000;

export type RunSettings = {
  batchSize?: number;
  /** Pause between batches, in ms. */
  delayMs?: number;
  onError?: OnError;
  /** Who or what starts it, recorded in the run. */
  by?: string;
  /** An estimate of the documents in range, for the percentage and ETA. */
  estimatedTotal?: number;
  /** Slices of the table at once (a new run), or the live knob (a parallel run going on). */
  parallelism?: number;
};

export type StartRequest = RunSettings & {
  migration: MigrationAddress;
  /** Start here instead of the saved cursor; null is the start of the range. */
  cursor?: string | null;
  /** Start a new run from the beginning even if the last one finished. */
  reset?: boolean;
  /** A run over the failure ledger only, retrying the documents recorded there. */
  retryFailed?: boolean;
  /** Migrations to start in order after this one is done. */
  next: MigrationAddress[];
  cliModule: string;
  /** False when the caller drives the batches itself (`runToCompletion`). */
  schedule: boolean;
  /** The rollout whose backfill this is, when a rollout starts it. */
  rollout?: string;
};

export function checkSettings(settings: RunSettings): void {
  checkBatchSize(settings.batchSize, MAX_BATCH_SIZE);
  checkWholeNumber("delayMs", settings.delayMs, {
    min: 0,
    max: MAX_DELAY_MS,
    hint: `Milliseconds, at most an hour: pass e.g. '{"delayMs": 500}', or 0 for no pause.`,
  });
  checkWholeNumber("estimatedTotal", settings.estimatedTotal, { min: 0 });
  checkParallelism(settings.parallelism, MAX_PARALLELISM);
}

/**
 * Starts a migration, resumes it, or leaves it alone, as `decideStart` says:
 * - running: starts nothing, but takes the current function handle (a deploy
 *   may have replaced it) and a chain given now (so a deploy's `runAll` still
 *   continues after a run someone started by hand); one whose driver is gone
 *   is driven again at its cursor;
 * - a later member of the chain running: starts nothing (two migrations of
 *   one chain never run at once);
 * - done, with no reset or cursor: moves on to the next migration of the chain;
 * - paused, failed or canceled: resumes the same run at its saved cursor;
 * - never run, reset, an explicit cursor, or a retry of the ledger: a new run.
 * Everything is checked before anything is written.
 */
export async function startMigration(
  ctx: MutationCtx,
  request: StartRequest,
): Promise<StartResult> {
  checkSettings(request);
  const migration = { ...request.migration, name: canonicalName(request.migration.name) };
  const next = request.next.map((m) => ({ ...m, name: canonicalName(m.name) }));
  // In the drop-in component, a migration @convex-dev/migrations ran becomes a run of ours first.
  await carryOver(ctx, migration, request.cliModule);
  const saved = await latestRun(ctx, migration.name);
  const retry = request.retryFailed === true;
  const decision = decideStart({
    live: saved && {
      state: saved.state,
      isDone: saved.isDone,
      retryFailed: saved.retryFailed,
      driven: saved.state !== "running" || (await driverOfRun(ctx, saved)).driven,
    },
    passed: await hasPassed(ctx, migration.name, saved),
    reset: request.reset === true,
    cursorGiven: request.cursor !== undefined,
    retry,
    laterRunning: await firstRunning(ctx, next),
  });
  if (decision.kind === "refuseRetry") {
    const why =
      decision.reason === "unfinished"
        ? `has a run that is ${saved!.state}, not done`
        : decision.reason === "neverRan"
          ? "has never run, so its failure ledger is empty"
          : "has never finished a pass over its range, only retries of its ledger";
    throw rolloutError(
      "InvalidArgument",
      `${migration.name} ${why}: run it first (\`npx convex run ${migration.name}\`) and ` +
        `wait for it to finish, then retry its failures.`,
      { name: migration.name },
    );
  }
  if (decision.kind === "busy") {
    const running = (await latestRun(ctx, decision.running))!;
    return { started: false, status: await toStatus(ctx, running) };
  }
  const cursor =
    request.cursor !== undefined ? request.cursor : decision.kind === "new" ? null : saved!.cursor;
  // A retry run's cursor walks the ledger, not the table: check table cursors only.
  const ledgerCursor = retry || (decision.kind !== "new" && saved?.retryFailed === true);
  // A new full pass may go in parallel: the app also answers the table's bounds to cut it.
  const mayCut = decision.kind === "new" && decision.fullPass;
  const description = await describeMigration(ctx, migration, ledgerCursor ? null : cursor, {
    bounds: mayCut,
  });
  // A chain with a name that leads nowhere would stop halfway; refuse it now.
  for (const member of next) await describeMigration(ctx, member, null);

  if (decision.kind === "keep") {
    // A new handle is a deploy: failures at the old one say nothing of the new one.
    const redeployed = migration.fnHandle !== saved!.fnHandle;
    const patch = {
      fnHandle: migration.fnHandle,
      next: next.length > 0 && saved!.next.length === 0 ? next : saved!.next,
      ...(redeployed ? { retries: undefined } : {}),
    };
    await ctx.db.patch("runs", saved!._id, patch);
    let kept = { ...saved!, ...patch };
    if (kept.parallelism !== undefined) {
      await driveSlices(ctx, kept, { migration, schedule: request.schedule });
      if (request.parallelism !== undefined) {
        kept = await setParallelism(ctx, kept, request.parallelism);
      }
    }
    return { started: false, status: await toStatus(ctx, kept) };
  }
  if (decision.kind === "next") {
    const [head, ...rest] = next;
    if (head === undefined) return { started: false, status: await toStatus(ctx, saved!) };
    return await startMigration(ctx, {
      ...request,
      migration: head,
      next: rest,
      reset: false,
      retryFailed: false,
    });
  }

  const now = Date.now();
  let run: Doc<"runs">;
  if (decision.kind === "new") {
    const fixed = request.batchSize ?? description.batchSize;
    const pass = await passFor(ctx, migration.name, decision.fullPass);
    const parallel = parallelismFor({
      requested: request.parallelism ?? description.parallelism,
      customRange: description.customRange === true,
      retry,
      cursorGiven: request.cursor !== undefined,
      bounds: description.bounds,
    });
    const runId = await ctx.db.insert("runs", {
      name: migration.name,
      fnHandle: migration.fnHandle,
      state: "running",
      isDone: false,
      cursor,
      batchSize: fixed ?? ADAPTIVE_START,
      adaptive: fixed === null,
      fixedBatchSize: fixed ?? undefined,
      delayMs: request.delayMs ?? 0,
      onError: request.onError ?? description.onError,
      retryFailed: retry || undefined,
      processed: 0,
      changed: 0,
      failed: 0,
      batches: 0,
      recent: [],
      estimatedTotal: request.estimatedTotal ?? estimateFrom(saved, retry),
      // From the start of the default order, status can estimate the total from the cursor.
      span: cursor === null && !retry ? description.span : undefined,
      by: request.by,
      startedAt: now,
      attemptStartedAt: now,
      next,
      resetChain: (request.reset === true && next.length > 0) || undefined,
      cliModule: request.cliModule,
      attempt: 1,
      pass,
      fullPass: decision.fullPass || undefined,
      rollout: request.rollout ?? (await rolloutToCarry(ctx, saved, cursor, retry)),
      ...(parallel.k > 1 ? { parallelism: parallel.k, bounds: description.bounds! } : {}),
      ...(parallel.note !== undefined ? { note: parallel.note } : {}),
    });
    run = (await ctx.db.get("runs", runId))!;
    if (run.rollout !== undefined && request.rollout === undefined) {
      await adoptBackfill(ctx, run.rollout, runId);
    }
    await pointAtRun(ctx, migration.name, run._id, now, decision.fullPass ? pass : undefined);
  } else {
    // resume or revive: the same run, at its cursor.
    run = await resumeRun(ctx, saved!, { ...request, migration, next });
    await pointAtRun(ctx, migration.name, run._id, now, undefined);
  }
  if (run.parallelism !== undefined) {
    // A parallel run has no driver of its own: each slice has one.
    if (decision.kind === "new") {
      const starting = startingSlices(run.bounds!, run.parallelism, run.adaptive);
      await startSlices(ctx, run, starting, request);
    } else {
      await driveSlices(ctx, run, {
        migration,
        schedule: request.schedule,
        batchSize: request.batchSize,
      });
      if (request.parallelism !== undefined) {
        run = await setParallelism(ctx, run, request.parallelism);
      }
    }
    await ensureMonitor(ctx);
    return { started: true, status: await toStatus(ctx, (await ctx.db.get("runs", run._id))!) };
  }
  const driver = await nextDriver(ctx, run, { schedule: request.schedule, delayMs: 0 });
  await ctx.db.patch("runs", run._id, driver);
  await ensureMonitor(ctx);
  return { started: true, status: await toStatus(ctx, { ...run, ...driver }) };
}

/**
 * Whether a run of the migration has gone over its whole range (`StartFacts.passed`): a full pass
 * finished, or the latest run is a finished pass over the range rather than a retry of the ledger.
 */
async function hasPassed(
  ctx: MutationCtx,
  name: string,
  latest: Doc<"runs"> | null,
): Promise<boolean> {
  if (latest === null) return false;
  if (latest.isDone && latest.retryFailed !== true) return true;
  return (await migrationRow(ctx, name))?.clearedPass !== undefined;
}

/** The first migration of `chain` that is running now, if any. */
async function firstRunning(ctx: MutationCtx, chain: MigrationAddress[]): Promise<string | null> {
  for (const member of chain) {
    const run = await latestRun(ctx, member.name);
    if (run?.state === "running") return member.name;
  }
  return null;
}

/**
 * Continues a paused, failed or canceled run in place (same row, same counts,
 * its cursor), or one whose driver is gone. A new attempt: a batch left over
 * from an earlier one stops instead of running beside it.
 */
export async function resumeRun(
  ctx: MutationCtx,
  live: Doc<"runs">,
  settings: RunSettings & {
    migration?: MigrationAddress;
    next?: MigrationAddress[];
    cliModule?: string;
  },
): Promise<Doc<"runs">> {
  const fixed = settings.batchSize;
  const patch = {
    // The handle may have changed with a deploy; the name is what identifies it.
    fnHandle: settings.migration?.fnHandle ?? live.fnHandle,
    state: "running" as const,
    batchSize: fixed ?? live.batchSize,
    adaptive: fixed === undefined && live.adaptive,
    fixedBatchSize: fixed ?? live.fixedBatchSize,
    retries: undefined,
    delayMs: settings.delayMs ?? live.delayMs,
    onError: settings.onError ?? live.onError,
    estimatedTotal: settings.estimatedTotal ?? live.estimatedTotal,
    attemptStartedAt: Date.now(),
    endedAt: undefined,
    error: undefined,
    failedDocumentId: undefined,
    next: settings.next && settings.next.length > 0 ? settings.next : live.next,
    cliModule: settings.cliModule ?? live.cliModule,
    attempt: live.attempt + 1,
    recent: [],
    jobId: undefined,
    leaseUntil: undefined,
  };
  await ctx.db.patch("runs", live._id, patch);
  return { ...live, ...patch };
}

/**
 * A new full pass of a migration that is the current backfill of a rollout in
 * `backfill` (someone ran it again with `reset`) becomes that rollout's
 * backfill: it started after dual writes went live and covers the whole
 * table, and the run it replaces will never finish. Answers the rollout's name.
 */
async function rolloutToCarry(
  ctx: MutationCtx,
  previous: Doc<"runs"> | null,
  cursor: string | null,
  retry: boolean,
): Promise<string | undefined> {
  if (previous?.rollout === undefined || cursor !== null || retry) return undefined;
  const rollout = await getRollout(ctx, previous.rollout);
  const current = rollout?.phase === "backfill" && rollout.backfillRunId === previous._id;
  return current ? previous.rollout : undefined;
}

async function adoptBackfill(ctx: MutationCtx, name: string, runId: Id<"runs">) {
  const rollout = (await getRollout(ctx, name))!;
  await ctx.db.patch("rollouts", rollout._id, { backfillRunId: runId, updatedAt: Date.now() });
}

/** The size of the last full pass, as an estimate for the next one. */
function estimateFrom(previous: Doc<"runs"> | null, retry: boolean): number | undefined {
  if (previous === null || !previous.isDone) return undefined;
  return retry ? previous.failed : previous.retryFailed ? undefined : previous.processed;
}

/**
 * The ledger pass a new run belongs to: a full pass starts the next one; any
 * other run belongs to the latest.
 */
async function passFor(ctx: MutationCtx, name: string, fullPass: boolean): Promise<number> {
  const passes = (await migrationRow(ctx, name))?.passes ?? 0;
  return fullPass ? passes + 1 : passes;
}

async function pointAtRun(
  ctx: MutationCtx,
  name: string,
  runId: Id<"runs">,
  now: number,
  newPass: number | undefined,
) {
  const row = await migrationRow(ctx, name);
  const passes = newPass ?? row?.passes;
  const fullPassRunId = newPass !== undefined ? runId : row?.fullPassRunId;
  const fields = { runId, updatedAt: now, passes, fullPassRunId };
  if (row) await ctx.db.patch("migrations", row._id, fields);
  else await ctx.db.insert("migrations", { name, ...fields });
}
