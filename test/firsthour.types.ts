/**
 * Type tests of the exports a new user meets first, checked by `tsc` in
 * `npm run typecheck` (this file is not run): `advance` takes a phase, not any
 * string; `isRolloutError` narrows the error's data by kind; a dry run's
 * samples are the table's documents; status takes names and rollouts; a
 * `reshape()`'s backfill is typed through `internal` as a `define()` one is.
 * Each `@ts-expect-error` fails the typecheck if the line stops being an error.
 */
import type { GenericMutationCtx } from "convex/server";
import { internal } from "../example/convex/_generated/api.js";
import type { DataModel } from "../example/convex/_generated/dataModel.js";
import { migrations } from "../example/convex/migrations.js";
import { triggers } from "../example/convex/triggers.js";
import {
  removeField,
  isRolloutError,
  type MigrationState,
  type Phase,
} from "../src/client/index.js";

export async function firstHour(ctx: GenericMutationCtx<DataModel>, error: unknown) {
  // advance: `to` is a phase, from server code and through the CLI verb alike.
  await ctx.runMutation(internal.migrations.advance, { rollout: "users.splitName", to: "readNew" });
  // @ts-expect-error not a phase (the CLI gets the component's refusal naming the phases)
  await ctx.runMutation(internal.migrations.advance, { rollout: "users.splitName", to: "readnew" });
  const to: Phase = "dualWrite";
  await migrations.advance(ctx, "users.splitName", to);
  // @ts-expect-error not a phase
  await migrations.advance(ctx, "users.splitName", "done");

  // isRolloutError narrows data: its kind is the union of kinds, and a closed gate has its command.
  if (isRolloutError(error)) {
    if (error.data.kind === "PhaseGateClosed") {
      const command: string = error.data.command;
      const from: Phase = error.data.from;
      void [command, from];
    }
    // @ts-expect-error not a kind of this package's errors
    if (error.data.kind === "PhaseGateClose") return;
    // @ts-expect-error only a closed gate is sure to carry a command
    const command: string = error.data.command;
    void command;
  }
  if (isRolloutError(error, "PhaseGateClosed")) {
    const next: string = error.data.command;
    void next;
  }

  // A dry run's samples are documents of the migration's table.
  const report = await ctx.runMutation(internal.migrations.setDefaultPlan, { dryRun: true });
  if ("samples" in report) {
    for (const { before, after } of report.samples) {
      const plan: "free" | "pro" | undefined = before.plan;
      const email: string | undefined = after?.email;
      // @ts-expect-error users have no wordCount
      void before.wordCount;
      // @ts-expect-error deleted by migrateOne: after may be null
      void after.email;
      void [plan, email];
    }
  }

  // Status by name: migrations and rollouts, or rollouts alone.
  const status = await ctx.runQuery(internal.migrations.status, {
    names: ["migrations:setDefaultPlan", "users.splitName"],
    rollouts: ["users.bio"],
  });
  const state: MigrationState | undefined = status.migrations[0]?.state;
  // @ts-expect-error a migration's state is never a phase
  const phase: Phase | undefined = status.migrations[0]?.state;
  void [state, phase];
  // @ts-expect-error rollouts is a list of names
  await ctx.runQuery(internal.migrations.status, { rollouts: "users.bio" });

  // A reshape()'s backfill, exported as its `backfill`, is as exact through `internal` as define()'s.
  const backfill = await ctx.runMutation(internal.migrations.usersEmailDomain, { dryRun: true });
  if ("samples" in backfill) {
    const domain: string | undefined = backfill.samples[0]?.before.emailDomain;
    // @ts-expect-error users have no wordCount
    void backfill.samples[0]?.before.wordCount;
    void domain;
  }
  await ctx.runMutation(internal.migrations.usersBio, { batchSize: 10, reset: true });
  // @ts-expect-error not an argument of a migration
  await ctx.runMutation(internal.migrations.usersEmailDomain, { bogus: 1 });
  // @ts-expect-error a batch size is a number
  await ctx.runMutation(internal.migrations.usersBio, { batchSize: "ten" });
  // The rollout itself is no Convex function: only its backfill is in `internal`.
  // @ts-expect-error not a function of the app
  void internal.migrations.emailDomain;

  // A conversion may remove only an optional field: the schema would refuse every write it touched.
  const users = migrations.recipes("users");
  void users.removeField(
    // @ts-expect-error a user's name is required: make it optional before removing it
    "name",
  );
  void users.removeField("bio");
  migrations.reshape("types.removeRequired", {
    table: "users",
    // @ts-expect-error the same, by hand
    up: () => ({ name: undefined }),
    triggers,
  });
  // @ts-expect-error the standalone recipe, checked at reshape()
  migrations.reshape("types.removeRequiredStandalone", {
    table: "users",
    ...removeField("name"),
    triggers,
  });
}
