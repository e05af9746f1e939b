import { addField, Rollouts } from "convex-rollouts";
import { Triggers } from "convex-helpers/server/triggers";
import { components, internal } from "./_generated/api.js";
import type { DataModel } from "./_generated/dataModel.js";

export const migrations = new Rollouts<DataModel>(components.rollouts);

/** Tasks created before priorities existed get priority 1. */
export const backfillPriority = migrations.define({
  table: "tasks",
  migrateOne: (_ctx, task) => (task.priority === undefined ? { priority: 1 } : undefined),
});

export const run = migrations.runner();

// The form the design gives: no `table`, so `verify` gets any document.
export const priority = migrations.rollout("tasks.priority", {
  backfill: internal.migrations.backfillPriority,
  verify: (task) => task.priority !== undefined,
});

// The declarative form: the rollout, and its backfill exported under the name the component calls.
const triggers = new Triggers<DataModel>();
export const done = migrations.reshape("tasks.done", {
  table: "tasks",
  ...addField("done", false),
  triggers,
});
export const tasksDone = done.backfill;

export const { status, cancel, cancelAll, advance, rollback, verify } = migrations.api();
