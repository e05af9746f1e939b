/**
 * Rollouts: the staged change of a data shape, moved phase by phase.
 * See phases.ts for the state machine and ROLLOUTS.md for the design.
 */
import { v } from "convex/values";
import { rolloutError } from "../shared/errors.js";
import {
  vDeclaredRollout,
  vPhase,
  vRolloutStatus,
  type DeclaredRollout,
  type Phase,
} from "../shared/validators.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { describeMigration } from "./appCalls.js";
import { checkAdvance, checkRollback, gateOf } from "./phases.js";
import { checkRolloutName, gateFacts, getRollout, rolloutStatus } from "./rolloutStatus.js";
import { cancelRun, latestRun } from "./runs.js";
import { startMigration } from "./start.js";
import { startVerifyPass, stopVerifyPass } from "./verify.js";

const vWho = { by: v.optional(v.string()), reason: v.optional(v.string()) };

/**
 * The phase a rollout is in, read in the caller's transaction: the `to` of
 * its latest transition. A mutation that asks this and then writes has that
 * index range in its read set, so if an `advance` or `rollback` commits in
 * between, Convex retries the mutation against the new phase instead of
 * letting a write in the old shape slip past the phase change. A query that
 * asks this is re-run when it changes. Transitions are only ever inserted, by
 * phase moves: nothing a backfill or verify pass writes is in this read set,
 * so they neither conflict with app mutations nor re-run app queries.
 */
export const phase = query({
  args: { name: v.string() },
  returns: vPhase,
  handler: async (ctx, { name }) => await currentPhase(ctx, name),
});

export async function currentPhase(ctx: QueryCtx, name: string): Promise<Phase> {
  const latest = await ctx.db
    .query("transitions")
    .withIndex("by_rollout", (q) => q.eq("rollout", name))
    .order("desc")
    .first();
  return latest?.to ?? "schema";
}

/**
 * What the component stored of a rollout when it was last moved or verified: its declaration
 * (backfill, whether it verifies) and the module of its CLI verbs; null for one never moved. A
 * deployment runs a function with only the modules its file imports, so a verb may be asked
 * about a rollout whose declaring module it does not load: this lets it act on what was stored.
 */
export const stored = query({
  args: { name: v.string() },
  returns: v.union(v.object({ ...vDeclaredRollout.fields, cliModule: v.string() }), v.null()),
  handler: async (ctx, { name }) => {
    const rollout = await getRollout(ctx, name);
    if (rollout === null) return null;
    const { backfill, hasVerify, cliModule } = rollout;
    return { name, backfill, hasVerify, cliModule };
  },
});

export const advance = mutation({
  args: { rollout: vDeclaredRollout, to: v.string(), cliModule: v.string(), ...vWho },
  returns: vRolloutStatus,
  handler: async (ctx, { rollout: declared, to, cliModule, by, reason }) => {
    checkRolloutName(declared.name);
    const stored = await getRollout(ctx, declared.name);
    const from: Phase = stored?.phase ?? "schema";
    // Advancing to the phase it is in changes nothing, so deploy scripts can always call it;
    // except that a backfill renamed since the rollout entered backfill starts anew.
    if (!checkAdvance(declared.name, from, to, cliModule)) {
      const facts = await gateFacts(ctx, stored, declared, cliModule);
      if (from === "backfill" && facts.renamedFrom !== undefined) {
        await stopVerifyPass(ctx, stored!);
        await ctx.db.patch("rollouts", stored!._id, {
          backfill: declared.backfill,
          hasVerify: declared.hasVerify,
          backfillRunId: await startBackfill(ctx, declared, cliModule, by, facts.run),
          updatedAt: Date.now(),
        });
      }
      return await rolloutStatus(ctx, await getRollout(ctx, declared.name), {
        ...declared,
        cliModule,
      });
    }
    const target = to as Phase;
    const gate = gateOf(target, await gateFacts(ctx, stored, declared, cliModule));
    if (!gate.open) {
      throw rolloutError(
        "PhaseGateClosed",
        `${declared.name} cannot enter ${target}: ${gate.detail}. Next: ${gate.command}`,
        { rollout: declared.name, from, to: target, command: gate.command },
      );
    }
    // The backfill must be reachable before dual writes begin, not two deploys later when
    // entering backfill starts it: asking it what it is writes nothing, and a refusal here
    // leaves the rollout in schema.
    if (target === "dualWrite") await describeMigration(ctx, declared.backfill, null);
    const rolloutId = stored?._id ?? (await insertRollout(ctx, declared, cliModule));
    const changes: Partial<Doc<"rollouts">> = {};
    if (target === "backfill") {
      const current = (await ctx.db.get("rollouts", rolloutId))!;
      await stopVerifyPass(ctx, current);
      changes.backfillRunId = await startBackfill(ctx, declared, cliModule, by, null);
      changes.verifyRunId = undefined;
    }
    await moveTo(ctx, rolloutId, from, target, { ...declared, cliModule }, changes, by, reason);
    return await rolloutStatus(ctx, await ctx.db.get("rollouts", rolloutId), {
      ...declared,
      cliModule,
    });
  },
});

export const rollback = mutation({
  args: { name: v.string(), cliModule: v.optional(v.string()), ...vWho },
  returns: vRolloutStatus,
  handler: async (ctx, { name, by, reason }) => {
    checkRolloutName(name);
    const stored = await getRollout(ctx, name);
    const from: Phase = stored?.phase ?? "schema";
    const to = checkRollback(name, from);
    // A rollout out of `schema` always has a row.
    const rollout = stored!;
    if (from === "backfill") {
      // Going back to dualWrite: stop converting documents and checking them.
      if (rollout.backfillRunId) {
        const run = await ctx.db.get("runs", rollout.backfillRunId);
        if (run) await cancelRun(ctx, run);
      }
    }
    // A verify pass under way started before this move: it cannot open the readNew gate any
    // more (a pass must start after the rollout last entered backfill), so stop it.
    if (from === "backfill" || from === "readNew") await stopVerifyPass(ctx, rollout);
    await moveTo(ctx, rollout._id, from, to, rollout, {}, by, reason);
    return await rolloutStatus(ctx, await ctx.db.get("rollouts", rollout._id), rollout);
  },
});

/** Starts a verify pass over the whole table; a pass already running is left to run. */
export const verify = mutation({
  args: { rollout: vDeclaredRollout, cliModule: v.string() },
  returns: vRolloutStatus,
  handler: async (ctx, { rollout: declared, cliModule }) => {
    checkRolloutName(declared.name);
    if (!declared.hasVerify) {
      throw rolloutError(
        "InvalidArgument",
        `${declared.name} has no verify function. Give one to migrations.rollout(` +
          `"${declared.name}", { verify: (doc) => ... }) to check documents before readNew.`,
        { rollout: declared.name },
      );
    }
    const stored = await getRollout(ctx, declared.name);
    const rolloutId = stored?._id ?? (await insertRollout(ctx, declared, cliModule));
    const rollout = (await ctx.db.get("rollouts", rolloutId))!;
    await ctx.db.patch("rollouts", rolloutId, {
      backfill: declared.backfill,
      hasVerify: true,
      cliModule,
    });
    const facts = await gateFacts(ctx, rollout, declared, cliModule);
    if (facts.verify?.state !== "running") {
      await startVerifyPass(ctx, { ...rollout, backfill: declared.backfill, cliModule });
    }
    return await rolloutStatus(ctx, await ctx.db.get("rollouts", rolloutId), {
      ...declared,
      cliModule,
    });
  },
});

async function insertRollout(
  ctx: MutationCtx,
  declared: DeclaredRollout,
  cliModule: string,
): Promise<Id<"rollouts">> {
  return await ctx.db.insert("rollouts", {
    name: declared.name,
    phase: "schema",
    backfill: declared.backfill,
    hasVerify: declared.hasVerify,
    cliModule,
    updatedAt: Date.now(),
  });
}

/**
 * Starts the backfill from the beginning of the table, so that every document
 * written before dual writes went live is converted. A run of the same
 * migration already going (started by hand, perhaps before dualWrite) is
 * canceled: it may have passed documents that were then written in the old
 * shape; the chain it was part of carries on after the new pass. (A pass
 * that is another rollout's backfill is never canceled here: the gate to
 * backfill stays closed while it runs.) `replaced` is the run of a backfill
 * the app has renamed since, stopped too.
 */
async function startBackfill(
  ctx: MutationCtx,
  declared: DeclaredRollout,
  cliModule: string,
  by: string | undefined,
  replaced: Doc<"runs"> | null,
): Promise<Id<"runs">> {
  if (replaced) await cancelRun(ctx, replaced);
  const running = await latestRun(ctx, declared.backfill.name);
  const next = running && running.state !== "done" ? running.next : [];
  if (running) await cancelRun(ctx, running);
  await startMigration(ctx, {
    migration: declared.backfill,
    reset: true,
    next,
    cliModule,
    schedule: true,
    rollout: declared.name,
    by,
  });
  return (await latestRun(ctx, declared.backfill.name))!._id;
}

async function moveTo(
  ctx: MutationCtx,
  rolloutId: Id<"rollouts">,
  from: Phase,
  to: Phase,
  declared: DeclaredRollout & { cliModule: string },
  changes: Partial<Doc<"rollouts">>,
  by: string | undefined,
  reason: string | undefined,
): Promise<void> {
  const at = Date.now();
  await ctx.db.patch("rollouts", rolloutId, {
    ...changes,
    phase: to,
    backfill: declared.backfill,
    hasVerify: declared.hasVerify,
    cliModule: declared.cliModule,
    updatedAt: at,
  });
  await ctx.db.insert("transitions", { rollout: declared.name, from, to, at, by, reason });
}
