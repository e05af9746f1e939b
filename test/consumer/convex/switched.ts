/** Code written for @convex-dev/migrations 0.3.6, with its module specifiers changed. */
import { Migrations, runToCompletion, type MigrationStatus } from "convex-rollouts/migrations";
import { components, internal } from "./_generated/api.js";
import { internalAction } from "./_generated/server.js";
import schema from "./schema.js";

// Their documented form: typed by the schema.
export const migrations = new Migrations(components.migrations, { schema });

export const setPriority = migrations.define({
  table: "tasks",
  batchSize: 10,
  migrateOne: (_ctx, task) => (task.priority === undefined ? { priority: 2 } : undefined),
});

export const run = migrations.runner();

export const toEnd = internalAction({
  args: {},
  handler: async (ctx): Promise<MigrationStatus> =>
    await runToCompletion(ctx, components.migrations, internal.switched.setPriority),
});
