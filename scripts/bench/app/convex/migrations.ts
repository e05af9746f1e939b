/**
 * The same change, four ways (BENCHMARKS.md reports them):
 *
 * - `oursSmall` / `oursLarge`: convex-rollouts. Called with no arguments the
 *   run sizes its batches itself (adaptive); with `{batchSize: 100}` it is fixed.
 * - `theirsSmall` / `theirsLarge`: @convex-dev/migrations with its defaults.
 * - `loopSmall` / `loopLarge`: the floor with no bookkeeping: one mutation reads
 *   a page with one query, patches each document and schedules itself.
 */
import { Migrations } from "@convex-dev/migrations";
import { v } from "convex/values";
import { Rollouts } from "convex-rollouts";
import { components, internal } from "./_generated/api";
import type { DataModel, Doc } from "./_generated/dataModel";
import { internalMutation } from "./_generated/server";

export const rollouts = new Rollouts<DataModel>(components.rollouts, { internalMutation });
export const migrations = new Migrations<DataModel>(components.migrations, { internalMutation });

/** What each variant writes, in one place. */
export const change = {
  small: (doc: Doc<"small">) => ({ b: doc.a * 2 }),
  large: (doc: Doc<"large">) => ({ titleCopy: doc.title }),
};

export const oursSmall = rollouts.define({
  table: "small",
  migrateOne: (_ctx, doc) => change.small(doc),
});
export const oursLarge = rollouts.define({
  table: "large",
  migrateOne: (_ctx, doc) => change.large(doc),
});

export const theirsSmall = migrations.define({
  table: "small",
  migrateOne: (_ctx, doc) => change.small(doc),
});
export const theirsLarge = migrations.define({
  table: "large",
  migrateOne: (_ctx, doc) => change.large(doc),
});

const LOOP_PAGE = 100;

export const loopSmall = internalMutation({
  args: { cursor: v.union(v.string(), v.null()) },
  returns: v.null(),
  handler: async (ctx, { cursor }) => {
    const page = await ctx.db.query("small").paginate({ cursor, numItems: LOOP_PAGE });
    for (const doc of page.page) await ctx.db.patch("small", doc._id, change.small(doc));
    if (!page.isDone) {
      await ctx.scheduler.runAfter(0, internal.migrations.loopSmall, {
        cursor: page.continueCursor,
      });
    }
    return null;
  },
});

export const loopLarge = internalMutation({
  args: { cursor: v.union(v.string(), v.null()) },
  returns: v.null(),
  handler: async (ctx, { cursor }) => {
    const page = await ctx.db.query("large").paginate({ cursor, numItems: LOOP_PAGE });
    for (const doc of page.page) await ctx.db.patch("large", doc._id, change.large(doc));
    if (!page.isDone) {
      await ctx.scheduler.runAfter(0, internal.migrations.loopLarge, {
        cursor: page.continueCursor,
      });
    }
    return null;
  },
});
