import { Rollouts } from "convex-rollouts";
import { components } from "./_generated/api.js";
import type { DataModel } from "./_generated/dataModel.js";

export const migrations = new Rollouts<DataModel>(components.rollouts);

/** Tasks created before priorities existed get priority 1. */
export const backfillPriority = migrations.define({
  table: "tasks",
  migrateOne: (_ctx, task) => (task.priority === undefined ? { priority: 1 } : undefined),
});

export const run = migrations.runner();

export const { status, cancel, cancelAll } = migrations.api();
