/// <reference types="vite/client" />
/**
 * The fresh app's own test: one migration, run end to end on convex-test
 * through `convex-rollouts/test`. Named `.spec.ts` so the package's own
 * vitest run (test/**\/*.test.ts) leaves it to the app; test/package.test.ts
 * runs it in a temporary copy of this app, against the packed tarball.
 */
import { convexTest } from "convex-test";
import { register } from "convex-rollouts/test";
import type { MigrationStatus } from "convex-rollouts";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { internal } from "./_generated/api.js";
import schema from "./schema.js";
import { migrations } from "./migrations.js";

const modules = import.meta.glob("./**/*.*s");

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test("backfillPriority migrates every task, one scheduled batch after another", async () => {
  const t = convexTest(schema, modules);
  register(t);
  await t.run(async (ctx) => {
    for (let i = 0; i < 250; i++) await ctx.db.insert("tasks", { text: `Task ${i}` });
    await ctx.db.insert("tasks", { text: "Already has one", priority: 5 });
  });

  await t.mutation(internal.migrations.backfillPriority, {});
  await t.finishAllScheduledFunctions(vi.runAllTimers);

  const tasks = await t.run(async (ctx) => await ctx.db.query("tasks").collect());
  expect(tasks).toHaveLength(251);
  expect(tasks.filter((task) => task.priority === undefined)).toEqual([]);
  expect(tasks.find((task) => task.text === "Already has one")?.priority).toBe(5);

  const { migrations: statuses } = await t.query(internal.migrations.status, {});
  expect(statuses).toHaveLength(1);
  expect(statuses[0]).toMatchObject({
    name: "migrations:backfillPriority",
    state: "done",
    isDone: true,
    processed: 251,
    changed: 250,
  });
  expect(statuses[0]!.batches).toBeGreaterThan(1);
  const typed: MigrationStatus[] = statuses;
  expect(typed).toBe(statuses);

  // Both rollouts are declared, and nobody has moved them.
  const { rollouts } = await t.query(internal.migrations.status, {});
  expect(rollouts.map((r) => [r.name, r.phase])).toEqual([
    ["tasks.priority", "schema"],
    ["tasks.done", "schema"],
  ]);
});

// Type checks only (never called): the package's types are real, not `any`.
export function typeChecks() {
  migrations.define({
    // @ts-expect-error: no such table in this app's schema.
    table: "nope",
    migrateOne: () => undefined,
  });
  migrations.define({
    table: "tasks",
    // @ts-expect-error: priority is a number in this app's schema.
    migrateOne: () => ({ priority: "high" }),
  });
  // A reshape()'s backfill is typed through `internal` like a define() migration.
  const t = convexTest(schema, modules);
  void t.mutation(internal.migrations.tasksDone, { dryRun: true, batchSize: 10 });
  // @ts-expect-error: not an argument of a migration.
  void t.mutation(internal.migrations.tasksDone, { bogus: 1 });
  // @ts-expect-error: the rollout itself is no Convex function.
  void internal.migrations.done;
}
