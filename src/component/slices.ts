/**
 * Parallel runs: a run cut into slices of `_creationTime`, each a run of its
 * own to the batch loop, the drivers and the monitor (a row of `runs` with
 * `parent` set). A slice's batch reads and writes its own row only; the run's
 * row is written when a slice settles (ends, fails, is split) and by the
 * controls. The rules are in `sliceDecisions.ts`; the table of what happens
 * when is in this folder's README ("Parallel runs: slices").
 */
import { rolloutError } from "../shared/errors.js";
import type { MigrationAddress, SliceRange, SliceStatus } from "../shared/validators.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { cancelPendingJob, driverOfRun, liveSlices, nextDriver } from "./drivers.js";
import {
  afterRampBatch,
  afterSliceDone,
  pickSplit,
  splitsToReach,
  type LiveSlice,
} from "./sliceDecisions.js";

type Schedule = { schedule: boolean };

/**
 * Inserts one slice of `run` over `range`, in the run's state; a running one
 * gets its driver. A slice split off another starts at that one's batch size
 * (same documents, same size) instead of growing again from the start.
 */
async function insertSlice(
  ctx: MutationCtx,
  run: Doc<"runs">,
  index: number,
  range: SliceRange,
  { schedule }: Schedule,
  sizedLike: Pick<Doc<"runs">, "batchSize" | "ceiling"> = run,
  ramping = false,
): Promise<Id<"runs">> {
  const now = Date.now();
  const sliceId = await ctx.db.insert("runs", {
    name: run.name,
    fnHandle: run.fnHandle,
    state: run.state,
    isDone: false,
    cursor: null,
    batchSize: sizedLike.batchSize,
    adaptive: run.adaptive,
    fixedBatchSize: run.fixedBatchSize,
    ceiling: sizedLike.ceiling,
    delayMs: run.delayMs,
    onError: run.onError,
    processed: 0,
    changed: 0,
    failed: 0,
    batches: 0,
    recent: [],
    by: run.by,
    startedAt: now,
    attemptStartedAt: now,
    // The chain, the ledger's settling and a rollout's verify belong to the run, not a slice.
    next: [],
    cliModule: run.cliModule,
    attempt: 1,
    pass: run.pass,
    parent: run._id,
    slice: { index, ...range, position: null, ...(ramping ? { ramping } : {}) },
  });
  if (run.state === "running") {
    const driver = await nextDriver(ctx, { _id: sliceId, attempt: 1, delayMs: 0 }, { schedule });
    await ctx.db.patch("runs", sliceId, driver);
  }
  return sliceId;
}

/** Starts a new parallel run's slices (`startingSlices`), all at once. */
export async function startSlices(
  ctx: MutationCtx,
  run: Doc<"runs">,
  { ranges, ramping }: { ranges: SliceRange[]; ramping: boolean },
  schedule: Schedule,
): Promise<void> {
  for (const [index, range] of ranges.entries()) {
    await insertSlice(ctx, run, index, range, schedule, run, ramping);
  }
  await ctx.db.patch("runs", run._id, { sliceCount: ranges.length });
}

/**
 * After a batch of the slice that ramps an adaptive run's size up, with more
 * to go (its row already saved): when the ramp ends (`afterRampBatch`), the
 * slice keeps the first part of what it has left and new slices, at its batch
 * size, take the rest. Reads the run's row only while it ramps: a few batches,
 * while no other slice exists unless the knob made one.
 */
export async function afterRamp(
  ctx: MutationCtx,
  slice: Doc<"runs">,
  ranSize: number,
  schedule: Schedule,
): Promise<void> {
  const run = (await ctx.db.get("runs", slice.parent!))!;
  const othersLive = (await liveSlices(ctx, run._id)).filter((s) => s._id !== slice._id).length;
  const { rampEnds, cuts } = afterRampBatch({
    slice: asLive(slice),
    bounds: run.bounds!,
    batchSize: ranSize,
    nextSize: slice.batchSize,
    parallelism: run.parallelism ?? 1,
    othersLive,
  });
  if (!rampEnds) return;
  const { ramping: _ended, ...range } = slice.slice!;
  await ctx.db.patch("runs", slice._id, { slice: { ...range, stop: cuts[0] ?? range.stop } });
  if (cuts.length === 0) return;
  let index = run.sliceCount ?? 1;
  for (const [i, lo] of cuts.entries()) {
    const hi = cuts[i + 1] ?? range.stop;
    await insertSlice(ctx, run, index++, { lo, hi, stop: hi }, schedule, slice);
  }
  await ctx.db.patch("runs", run._id, { sliceCount: index });
}

function asLive(slice: Doc<"runs">): LiveSlice {
  const { lo, stop, position } = slice.slice!;
  return {
    id: slice._id,
    lo,
    stop,
    position,
    processed: slice.processed,
    batchSize: slice.batchSize,
  };
}

/**
 * Splits the live slice with the most left, if one is worth it: it keeps the
 * first half (its query and cursor unchanged, a lower stop), a new slice takes
 * the rest. Answers whether it split.
 */
async function splitLongest(
  ctx: MutationCtx,
  run: Doc<"runs">,
  live: Doc<"runs">[],
  schedule: Schedule,
  ended?: Doc<"runs">,
): Promise<boolean> {
  const pick = pickSplit(live.map(asLive), run.bounds!, ended && asLive(ended));
  if (pick === null) return false;
  const slice = live.find((s) => s._id === pick.id)!;
  const range = slice.slice!;
  await ctx.db.patch("runs", slice._id, { slice: { ...range, stop: pick.at } });
  const index = run.sliceCount ?? live.length;
  const rest = { lo: pick.at, hi: range.stop, stop: range.stop };
  await insertSlice(ctx, run, index, rest, schedule, slice);
  await ctx.db.patch("runs", run._id, { sliceCount: index + 1 });
  run.sliceCount = index + 1;
  slice.slice = { ...range, stop: pick.at };
  return true;
}

/**
 * A slice's last page committed (its row already says done): its counts go
 * to the run. When it was the last live slice, the run is done and is
 * answered, for the caller to settle the ledger, continue the chain and start
 * a rollout's verify; otherwise a slice may be split to keep `parallelism` live.
 */
export async function sliceDone(
  ctx: MutationCtx,
  slice: Doc<"runs">,
  schedule: Schedule,
): Promise<Doc<"runs"> | null> {
  const run = (await ctx.db.get("runs", slice.parent!))!;
  const totals = {
    processed: run.processed + slice.processed,
    changed: run.changed + slice.changed,
    failed: run.failed + slice.failed,
    batches: run.batches + slice.batches,
  };
  const others = await liveSlices(ctx, run._id);
  const next = afterSliceDone({
    othersLive: others.length,
    parallelism: run.parallelism ?? 1,
    runRunning: run.state === "running",
  });
  if (next.finishRun) {
    const done = {
      ...totals,
      state: "done" as const,
      isDone: true,
      endedAt: Date.now(),
      jobId: undefined,
      leaseUntil: undefined,
    };
    await ctx.db.patch("runs", run._id, done);
    return { ...run, ...done };
  }
  await ctx.db.patch("runs", run._id, totals);
  // Slices that have not run a batch yet (just cut) are measured by what this one met.
  if (next.split) await splitLongest(ctx, { ...run, ...totals }, others, schedule, slice);
  return null;
}

/**
 * A slice failed for good (its row already says so): the run fails with its
 * reason, and every other running slice stops with it, keeping its cursor, so
 * a resume continues them all.
 */
export async function sliceFailed(ctx: MutationCtx, slice: Doc<"runs">): Promise<void> {
  const index = slice.slice!.index;
  for (const other of await liveSlices(ctx, slice.parent!)) {
    if (other._id === slice._id || other.state !== "running") continue;
    await cancelPendingJob(ctx, other.jobId);
    await ctx.db.patch("runs", other._id, {
      state: "failed",
      error: `Stopped: slice ${index} failed.`,
      endedAt: Date.now(),
      jobId: undefined,
      leaseUntil: undefined,
    });
  }
  await ctx.db.patch("runs", slice.parent!, {
    state: "failed",
    error: `Slice ${index}: ${slice.error ?? "failed"}`,
    failedDocumentId: slice.failedDocumentId,
    endedAt: Date.now(),
  });
}

/** Pauses or cancels every slice that state applies to (the run's row is the caller's). */
export async function stopSlices(
  ctx: MutationCtx,
  run: Doc<"runs">,
  state: "paused" | "canceled",
): Promise<void> {
  for (const slice of await liveSlices(ctx, run._id)) {
    const stoppable = slice.state === "running" || (state === "canceled" && slice.state !== "done");
    if (!stoppable || slice.state === state) continue;
    await cancelPendingJob(ctx, slice.jobId);
    await ctx.db.patch("runs", slice._id, {
      state,
      endedAt: state === "canceled" ? Date.now() : undefined,
      jobId: undefined,
      leaseUntil: undefined,
    });
  }
}

/**
 * Drives every live slice of a run a start or `resume` set running: a slice
 * still driven only takes the current handle; any other (paused, failed,
 * canceled, or running with its driver gone) continues at its cursor in a new
 * attempt, so a batch left over from an earlier one stops.
 */
export async function driveSlices(
  ctx: MutationCtx,
  run: Doc<"runs">,
  {
    migration,
    schedule,
    batchSize,
  }: Schedule & { migration: MigrationAddress; batchSize?: number },
): Promise<void> {
  for (const slice of await liveSlices(ctx, run._id)) {
    if (slice.state === "running" && (await driverOfRun(ctx, slice)).driven) {
      await ctx.db.patch("runs", slice._id, { fnHandle: migration.fnHandle });
      continue;
    }
    const resumed = {
      fnHandle: migration.fnHandle,
      state: "running" as const,
      batchSize: batchSize ?? slice.batchSize,
      adaptive: batchSize === undefined && slice.adaptive,
      fixedBatchSize: batchSize ?? slice.fixedBatchSize,
      retries: undefined,
      delayMs: run.delayMs,
      onError: run.onError,
      attemptStartedAt: Date.now(),
      endedAt: undefined,
      error: undefined,
      failedDocumentId: undefined,
      attempt: slice.attempt + 1,
      recent: [],
    };
    const driver = await nextDriver(ctx, { ...slice, ...resumed }, { schedule, delayMs: 0 });
    await ctx.db.patch("runs", slice._id, { ...resumed, ...driver });
  }
}

/**
 * The live knob: sets how many slices the run keeps live. Up splits the
 * longest live slices now, as far as they are worth splitting; down lets
 * slices finish without replacing them. A run of one chain cannot change:
 * its cursor belongs to one query over the whole range.
 */
export async function setParallelism(
  ctx: MutationCtx,
  run: Doc<"runs">,
  parallelism: number,
): Promise<Doc<"runs">> {
  if (run.parallelism === undefined) {
    throw rolloutError(
      "InvalidArgument",
      `${run.name}'s ${run.state} run goes as one chain (its cursor covers the whole range), ` +
        `so its parallelism cannot change. Start a new run with it: npx convex run ${run.name} ` +
        `'${JSON.stringify({ reset: true, parallelism })}'.`,
      { name: run.name },
    );
  }
  await ctx.db.patch("runs", run._id, { parallelism });
  const updated = { ...run, parallelism };
  if (run.state === "done") return updated;
  const live = await liveSlices(ctx, run._id);
  // Slices of a run an action steps are stepped by it too.
  const schedule = { schedule: live.every((s) => s.leaseUntil === undefined) };
  for (let i = splitsToReach(live.length, parallelism); i > 0; i--) {
    if (!(await splitLongest(ctx, updated, live, schedule))) break;
    live.splice(0, live.length, ...(await liveSlices(ctx, run._id)));
  }
  return updated;
}

/** Sets the pause between batches on every live slice. */
export async function throttleSlices(
  ctx: MutationCtx,
  run: Doc<"runs">,
  delayMs: number,
): Promise<void> {
  for (const slice of await liveSlices(ctx, run._id)) {
    await ctx.db.patch("runs", slice._id, { delayMs });
  }
}

/** The slice an action steps next: the running one it holds with the fewest batches. */
export async function sliceToStep(ctx: MutationCtx, run: Doc<"runs">): Promise<Doc<"runs"> | null> {
  const held = (await liveSlices(ctx, run._id)).filter(
    (s) => s.state === "running" && s.jobId === undefined,
  );
  held.sort((a, b) => a.batches - b.batches);
  return held[0] ?? null;
}

/** A slice as status shows it. */
export function sliceStatus(slice: Doc<"runs">): SliceStatus {
  const { index, lo, stop, position } = slice.slice!;
  return {
    index,
    from: lo,
    to: stop,
    position,
    cursor: slice.cursor,
    state: slice.state,
    batchSize: slice.batchSize,
    processed: slice.processed,
    batches: slice.batches,
    ...(slice.error !== undefined ? { error: slice.error } : {}),
  };
}
