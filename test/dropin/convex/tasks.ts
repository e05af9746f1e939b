/**
 * An app written for @convex-dev/migrations 0.3.6, switched to the drop-in by
 * changing module specifiers only.
 */
import { Migrations, type MigrationStatus } from "convex-rollouts/migrations";
import { v } from "convex/values";
import { components, internal } from "./_generated/api.js";
import { internalMutation, internalQuery } from "./_generated/server.js";
import schema from "./schema.js";

export const migrations = new Migrations(components.migrations, { internalMutation, schema });

export const fillOwner = migrations.define({
  table: "tasks",
  batchSize: 2,
  parallelize: true,
  migrateOne: (_ctx, task) =>
    task.owner === undefined ? { owner: "nobody", visits: (task.visits ?? 0) + 1 } : undefined,
});

export const clearOwner = migrations.define({
  table: "tasks",
  migrateOne: (_ctx, task) => ({ owner: undefined, visits: (task.visits ?? 0) + 1 }),
});

export const fixEmptyText = migrations.define({
  table: "tasks",
  customRange: (query) => query.withIndex("by_text", (q) => q.eq("text", "")),
  migrateOne: () => ({ text: "(untitled)" }),
});

export const stringifyPriority = migrations.define({
  table: "tasks",
  migrateOne: async (ctx, task) => {
    if (typeof task.priority === "number") {
      await ctx.db.patch("tasks", task._id, { priority: String(task.priority) });
    }
  },
});

export const failing = migrations.define({
  table: "tasks",
  batchSize: 1,
  migrateOne: async (ctx, task) => {
    if (task._id !== (await ctx.db.query("tasks").first())?._id) {
      throw new Error("Only the first task can be migrated");
    }
  },
});

export const run = migrations.runner();

const all = [
  internal.tasks.fillOwner,
  internal.tasks.fixEmptyText,
  internal.tasks.stringifyPriority,
  internal.tasks.failing,
];
export const runAll = migrations.runner(all);

export const postDeploy = internalMutation({
  args: {},
  handler: async (ctx): Promise<void> => {
    await migrations.runSerially(ctx, all);
  },
});

export const statusOfAll = internalQuery({
  args: {},
  handler: async (ctx): Promise<MigrationStatus[]> =>
    await migrations.getStatus(ctx, { migrations: all }),
});

export const seed = internalMutation({
  args: { count: v.number() },
  handler: async (ctx, { count }) => {
    for (let i = 0; i < count; i++) {
      await ctx.db.insert("tasks", {
        text: i % 5 === 0 ? "" : `Task ${i}`,
        owner: i % 2 ? "someone" : undefined,
        priority: i % 2 ? "1" : 1,
      });
    }
  },
});
