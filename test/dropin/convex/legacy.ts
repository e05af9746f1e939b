/**
 * The same migrations on @convex-dev/migrations itself, installed as
 * "oldMigrations": they leave the state its users' deployments hold when they
 * switch, for the carry-over tests.
 */
import { Migrations } from "@convex-dev/migrations";
import { components } from "./_generated/api.js";
import { internalMutation } from "./_generated/server.js";
import schema from "./schema.js";

export const theirs = new Migrations(components.oldMigrations, { internalMutation, schema });

export const fillOwner = theirs.define({
  table: "tasks",
  migrateOne: (_ctx, task) =>
    task.owner === undefined ? { owner: "nobody", visits: (task.visits ?? 0) + 1 } : undefined,
});

export const fixEmptyText = theirs.define({
  table: "tasks",
  customRange: (query) => query.withIndex("by_text", (q) => q.eq("text", "")),
  migrateOne: (_ctx, task) => ({ text: "(untitled)", visits: (task.visits ?? 0) + 1 }),
});
