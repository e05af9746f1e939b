/**
 * A migration moved from the drop-in to Rollouts: same component, same
 * history; it gains what Rollouts has (adaptive batches, skip-and-record, rollouts).
 */
import { Rollouts } from "convex-rollouts";
import { components } from "./_generated/api.js";
import type { DataModel } from "./_generated/dataModel.js";

export const rollouts = new Rollouts<DataModel>(components.migrations);

export const stringifyPriority = rollouts.define({
  table: "tasks",
  onError: "skip",
  migrateOne: (_ctx, task) =>
    typeof task.priority === "number" ? { priority: String(task.priority) } : undefined,
});

export const { status } = rollouts.api();
