/** The dry run: a plan report of the next batch that writes nothing anywhere. */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import type { Doc } from "../example/convex/_generated/dataModel.js";
import type { DryRunReport } from "../src/client/index.js";
import { fn, ref } from "./fixtures/faults.js";
import { drain, runScheduledOnce, seedPosts, seedUsers, setup, snapshot } from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test("reports what the next batch would change, with samples, and writes nothing", async () => {
  const t = setup();
  await seedUsers(t, 60);
  await seedUsers(t, 50, "pro");
  const before = await snapshot(t);
  const report = (await t.mutation(internal.migrations.setDefaultPlan, {
    dryRun: true,
  })) as DryRunReport;
  expect(report).toMatchObject({
    dryRun: true,
    name: "migrations:setDefaultPlan",
    cursor: null,
    isDone: false,
    examined: 100,
    wouldChange: 60,
    unchanged: 40,
    wouldFail: 0,
    errors: [],
  });
  expect(report.samples).toHaveLength(5);
  const sample = report.samples[0] as { before: Doc<"users">; after: Doc<"users"> };
  expect(sample.before.plan).toBeUndefined();
  expect(sample.after).toMatchObject({ plan: "free", email: sample.before.email });
  expect(await snapshot(t)).toEqual(before);
});

test("a patch that changes nothing is not counted as a change", async () => {
  const t = setup();
  const ids = await seedPosts(t, 20, (i) => `Post ${i}`);
  await t.run(async (ctx) => {
    for (const id of ids.slice(0, 8)) await ctx.db.patch("posts", id, { wordCount: 0 });
  });
  const report = (await t.mutation(ref("restateCount"), { dryRun: true })) as DryRunReport;
  expect(report).toMatchObject({ examined: 20, wouldChange: 12, unchanged: 8 });
});

test("counts documents that would fail, with their errors, instead of stopping", async () => {
  const t = setup();
  const ids = await seedPosts(t, 30, (i) => (i % 10 === 3 ? `FAIL ${i}` : `Post ${i}`));
  const before = await snapshot(t);
  const report = (await t.mutation(ref("bump"), { dryRun: true })) as DryRunReport;
  expect(report).toMatchObject({ examined: 30, wouldChange: 27, unchanged: 0, wouldFail: 3 });
  expect(report.errors.map((e) => e.id)).toEqual([ids[3], ids[13], ids[23]]);
  expect(report.errors[0]?.error).toContain("FAIL 3");
  expect(await snapshot(t)).toEqual(before);
});

test("on a half-done migration, shows the batch at the saved cursor and keeps every saved state", async () => {
  const t = setup();
  await seedPosts(t, 250);
  await t.mutation(ref("bump"), { batchSize: 100 });
  await runScheduledOnce(t);
  await t.mutation(internal.migrations.cancel, { name: "testing:bump" });
  const before = await snapshot(t);
  const [status] = (await t.query(internal.migrations.status, { names: ["testing:bump"] }))
    .migrations;

  const report = (await t.mutation(ref("bump"), { dryRun: true })) as DryRunReport;
  expect(report).toMatchObject({ cursor: status?.cursor, examined: 100, wouldChange: 100 });
  // Counts the posts bumped by the next batch only: the first 100 are done.
  expect(report.samples.every((s) => (s.before as Doc<"posts">).wordCount === undefined)).toBe(
    true,
  );
  expect(await snapshot(t)).toEqual(before);

  // With reset, the plan is from the start of the table, still writing nothing.
  const fromStart = (await t.mutation(ref("bump"), { dryRun: true, reset: true })) as DryRunReport;
  expect(fromStart).toMatchObject({ cursor: null, examined: 100 });
  expect((fromStart.samples[0]?.before as Doc<"posts">).wordCount).toBe(1);
  expect(await snapshot(t)).toEqual(before);

  // The real run then resumes where it stopped and bumps every post once.
  await t.mutation(ref("bump"), {});
  await drain(t);
  const posts = await t.run(async (ctx) => await ctx.db.query("posts").collect());
  expect(posts.every((p) => p.wordCount === 1)).toBe(true);
});

test("counts writes a migrateOne makes itself, and runs through runOne and a runner", async () => {
  const t = setup();
  await seedPosts(t, 12);
  const before = await snapshot(t);
  const byHand = (await t.mutation(ref("bumpByHand"), { dryRun: true })) as DryRunReport;
  expect(byHand).toMatchObject({ examined: 12, wouldChange: 12, isDone: true });
  const viaRunOne = (await t.mutation(fn("mutation", "runOne"), { dryRun: true })) as DryRunReport;
  expect(viaRunOne).toMatchObject({ name: "testing:bump", wouldChange: 12 });
  const viaRunner = (await t.mutation(internal.migrations.run, {
    fn: "testing:bump",
    dryRun: true,
  })) as DryRunReport;
  expect(viaRunner).toMatchObject({ name: "testing:bump", wouldChange: 12 });
  expect(await snapshot(t)).toEqual(before);
});
