/** The example app's own functions that drive migrations from code (example/convex/admin.ts). */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { drain, seedPosts, seedUsers, setup } from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test("startPlanBackfill runs the plan migration with its own batch size, and planStatus shows it", async () => {
  const t = setup();
  await seedUsers(t, 120);
  const started = await t.mutation(internal.admin.startPlanBackfill, {});
  expect(started).toMatchObject({ started: true, status: { batchSize: 50 } });
  await drain(t);
  const [status] = await t.query(internal.admin.planStatus, {});
  expect(status).toMatchObject({ state: "done", processed: 120, batches: 3 });
});

test("backfillPosts counts words, then archives the empty posts", async () => {
  const t = setup();
  await seedPosts(t, 70, undefined, (i) => (i % 5 === 0 ? "" : "one two three"));
  await t.mutation(internal.admin.backfillPosts, {});
  await drain(t);
  const posts = await t.run(async (ctx) => await ctx.db.query("posts").collect());
  expect(posts.filter((p) => p.wordCount === 3)).toHaveLength(56);
  expect(posts.filter((p) => p.archived)).toHaveLength(14);
});

test("stopPlanBackfill cancels one or everything", async () => {
  const t = setup();
  await seedUsers(t, 300);
  await seedPosts(t, 300);
  await t.mutation(internal.admin.startPlanBackfill, {});
  await t.mutation(internal.admin.backfillPosts, {});
  const [one] = await t.mutation(internal.admin.stopPlanBackfill, {});
  expect(one).toMatchObject({ name: "migrations:setDefaultPlan", state: "canceled" });
  const rest = await t.mutation(internal.admin.stopPlanBackfill, { everything: true });
  expect(rest.map((s) => s.name)).toEqual(["migrations:countPostWords"]);
});

test("countWordsNow runs a migration to the end from an action", async () => {
  const t = setup();
  await seedPosts(t, 230);
  const status = await t.action(internal.admin.countWordsNow, {});
  expect(status).toMatchObject({ state: "done", processed: 230, changed: 230 });
});
