/// <reference types="vite/client" />
/**
 * The drop-in, as a project switched from @convex-dev/migrations tests it:
 * `component.register(t)` from `convex-rollouts/migrations/test`.
 */
import { convexTest } from "convex-test";
import component from "convex-rollouts/migrations/test";
import { expect, test } from "vitest";
import { internal } from "./_generated/api.js";
import schema from "./schema.js";
import { migrations } from "./switched.js";

const modules = import.meta.glob("./**/*.*s");

test("setPriority runs to the end through runToCompletion; runOne's first batch is inline", async () => {
  const t = convexTest(schema, modules);
  component.register(t);
  await t.run(async (ctx) => {
    for (let i = 0; i < 25; i++) await ctx.db.insert("tasks", { text: `Task ${i}` });
  });
  const first = await t.run(
    async (ctx) => await migrations.runOne(ctx, internal.switched.setPriority),
  );
  expect(first).toMatchObject({ state: "inProgress", processed: 10 });
  await t.run(async (ctx) => await migrations.cancel(ctx, internal.switched.setPriority));
  const done = await t.action(internal.switched.toEnd, {});
  expect(done).toMatchObject({ state: "success", isDone: true, processed: 25 });
  const tasks = await t.run(async (ctx) => await ctx.db.query("tasks").collect());
  expect(tasks.every((task) => task.priority === 2)).toBe(true);
});
