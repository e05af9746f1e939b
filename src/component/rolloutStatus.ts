/** Reading rollouts and turning them into the status the app and the CLI see. */
import { rolloutError } from "../shared/errors.js";
import type { DeclaredRollout, Phase, RolloutStatus } from "../shared/validators.js";
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { gateOf, nextPhase, type GateFacts } from "./phases.js";
import { countStillFailing, migrationRow } from "./ledger.js";
import { latestRun, toStatus, withLiveState } from "./runs.js";
import { verifyRunOf, verifyStatusOf } from "./verify.js";

/** The ledger count a gate reports, counted up to this many. */
const LEDGER_COUNT_CAP = 100;

/** How many transitions status shows per rollout, newest first. */
export const STATUS_TRANSITIONS = 5;
/** Longest rollout name accepted. */
export const MAX_ROLLOUT_NAME = 200;

export async function getRollout(ctx: QueryCtx, name: string): Promise<Doc<"rollouts"> | null> {
  return await ctx.db
    .query("rollouts")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
}

export function checkRolloutName(name: string): void {
  if (name.length === 0 || name.length > MAX_ROLLOUT_NAME) {
    throw rolloutError(
      "UnknownRollout",
      `A rollout name is 1 to ${MAX_ROLLOUT_NAME} characters, like "users.fullName"; ` +
        `got ${name.length} characters. Run \`npx convex run migrations:status\` to list rollouts.`,
      { length: name.length },
    );
  }
}

/** The facts the gates look at, for a stored rollout or one still in `schema`. */
export async function gateFacts(
  ctx: QueryCtx,
  rollout: Doc<"rollouts"> | null,
  declared: Pick<DeclaredRollout, "name" | "backfill" | "hasVerify">,
  verbs: string,
): Promise<GateFacts & { run: Doc<"runs"> | null }> {
  const saved = rollout?.backfillRunId ? await ctx.db.get("runs", rollout.backfillRunId) : null;
  // A backfill renamed since the rollout entered backfill: its old run says nothing of the new one.
  const renamedFrom =
    saved !== null && saved.name !== declared.backfill.name ? saved.name : undefined;
  const own = renamedFrom === undefined ? saved : null;
  // Only in backfill: out of it, the rollout's next pass is its own, started on entering it.
  const backfillRun = own && (rollout?.phase === "backfill" ? await laterFullPass(ctx, own) : own);
  const run = backfillRun && (await withLiveState(ctx, backfillRun));
  const verifyRun = await verifyRunOf(ctx, rollout);
  // The readNew gate (asked in backfill) and the complete gate (asked in readNew) look at when
  // the rollout entered the phase it is in: its latest move.
  const entry =
    rollout?.phase === "backfill" || rollout?.phase === "readNew"
      ? await ctx.db
          .query("transitions")
          .withIndex("by_rollout", (q) => q.eq("rollout", rollout.name))
          .order("desc")
          .first()
      : null;
  return {
    rollout: declared.name,
    backfillName: declared.backfill.name,
    backfill: run,
    run,
    renamedFrom,
    stillFailing: run?.isDone
      ? await countStillFailing(ctx, declared.backfill.name, LEDGER_COUNT_CAP)
      : 0,
    busyWith: await backfillBusyWith(ctx, declared),
    hasVerify: declared.hasVerify,
    verify: verifyRun ? verifyStatusOf(await withLiveState(ctx, verifyRun)) : null,
    ...(entry === null
      ? {}
      : rollout?.phase === "readNew"
        ? { enteredReadNew: entry._creationTime }
        : { enteredBackfill: entry._creationTime }),
    ...(verifyRun !== null ? { verifyCreated: verifyRun._creationTime } : {}),
    backfillRanSinceVerify: verifyRun !== null && (await ranSince(ctx, declared, verifyRun)),
    verbs,
  };
}

/**
 * The pass the gate judges: the rollout's own, or, when that one stopped
 * without finishing (failed, canceled), a later full pass of the same
 * migration (another rollout's, or one started by hand). A pass created after
 * the rollout's own (which started when it last entered backfill, with dual
 * writes live, and it has not left backfill since) started with dual writes
 * live too, and covers the whole range: it serves this rollout as its own would.
 */
async function laterFullPass(ctx: QueryCtx, own: Doc<"runs">): Promise<Doc<"runs">> {
  if (own.isDone || own.state === "running") return own;
  const latest = (await migrationRow(ctx, own.name))?.fullPassRunId;
  const later = latest && latest !== own._id ? await ctx.db.get("runs", latest) : null;
  return later !== null && later._creationTime > own._creationTime ? later : own;
}

/** Whether a run of the backfill migration finished after the verify pass started. */
async function ranSince(
  ctx: QueryCtx,
  declared: Pick<DeclaredRollout, "backfill">,
  verifyRun: Doc<"runs">,
): Promise<boolean> {
  const latest = await latestRun(ctx, declared.backfill.name);
  return latest?.state === "done" && (latest.endedAt ?? 0) > verifyRun.startedAt;
}

/**
 * Another rollout whose backfill pass of the same migration is under way: a
 * new pass for this rollout would cancel it and strand that rollout.
 */
async function backfillBusyWith(
  ctx: QueryCtx,
  declared: Pick<DeclaredRollout, "name" | "backfill">,
): Promise<string | undefined> {
  const run = await latestRun(ctx, declared.backfill.name);
  if (run === null || (run.state !== "running" && run.state !== "paused")) return undefined;
  if (run.rollout === undefined || run.rollout === declared.name) return undefined;
  const other = await getRollout(ctx, run.rollout);
  return other?.phase === "backfill" && other.backfillRunId === run._id ? other.name : undefined;
}

/** A stored rollout's status; or, for one nobody has moved, its status in `schema`. */
export async function rolloutStatus(
  ctx: QueryCtx,
  rollout: Doc<"rollouts"> | null,
  declared: Pick<DeclaredRollout, "name" | "backfill" | "hasVerify"> & { cliModule: string },
): Promise<RolloutStatus> {
  const facts = await gateFacts(ctx, rollout, declared, declared.cliModule);
  const phase: Phase = rollout?.phase ?? "schema";
  const next = nextPhase(phase);
  const transitions = rollout
    ? await ctx.db
        .query("transitions")
        .withIndex("by_rollout", (q) => q.eq("rollout", declared.name))
        .order("desc")
        .take(STATUS_TRANSITIONS)
    : [];
  return {
    name: declared.name,
    phase,
    next: next === null ? null : gateOf(next, facts),
    backfill: {
      name: declared.backfill.name,
      run: facts.run ? await toStatus(ctx, facts.run) : null,
    },
    hasVerify: declared.hasVerify,
    verify: facts.verify,
    transitions: transitions.map(({ from, to, at, by, reason }) => ({ from, to, at, by, reason })),
    ...(rollout ? { updatedAt: rollout.updatedAt } : {}),
  };
}

/** A stored rollout's status, described by what it last stored. */
export async function storedRolloutStatus(
  ctx: QueryCtx,
  rollout: Doc<"rollouts">,
): Promise<RolloutStatus> {
  return await rolloutStatus(ctx, rollout, rollout);
}

/** A name status was given that names a rollout: declared by the app, or moved before. */
export async function isRolloutName(
  ctx: QueryCtx,
  name: string,
  declared: Pick<DeclaredRollout, "name">[],
): Promise<boolean> {
  return declared.some((d) => d.name === name) || (await getRollout(ctx, name)) !== null;
}

/** The status of a rollout asked for by name, or `UnknownRollout` listing the declared ones. */
export async function namedRolloutStatus(
  ctx: QueryCtx,
  name: string,
  declared: (Pick<DeclaredRollout, "name" | "backfill" | "hasVerify"> & { cliModule: string })[],
): Promise<RolloutStatus> {
  const stored = await getRollout(ctx, name);
  const current = declared.find((d) => d.name === name);
  if (current !== undefined) return await rolloutStatus(ctx, stored, current);
  if (stored !== null) return await storedRolloutStatus(ctx, stored);
  throw rolloutError(
    "UnknownRollout",
    `No rollout named "${name}" is declared or has moved here. ` +
      (declared.length > 0
        ? `Declared: ${declared.map((d) => d.name).join(", ")}.`
        : `Run \`npx convex run migrations:status\` to list rollouts.`),
    { name },
  );
}
