/** The batched, resumable engine, through the example app on convex-test. */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import type { StartResult } from "../src/client/index.js";
import { fn, ref } from "./fixtures/faults.js";
import {
  bumpCounts,
  drain,
  runScheduledOnce,
  seedPosts,
  seedUsers,
  setup,
  statusOf,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const bump = ref("bump");
const ones = (n: number) => Array<number>(n).fill(1);

describe("a run", () => {
  test("goes over the whole table in batches and saves the cursor with each", async () => {
    const t = setup();
    await seedUsers(t, 230);
    await seedUsers(t, 20, "pro");
    const { started, status } = (await t.mutation(internal.migrations.setDefaultPlan, {
      batchSize: 100,
    })) as StartResult;
    expect(started).toBe(true);
    expect(status).toMatchObject({
      state: "running",
      batches: 0,
      cursor: null,
      batchSize: 100,
      adaptive: false,
    });

    await runScheduledOnce(t);
    const afterOne = await statusOf(t, "migrations:setDefaultPlan");
    expect(afterOne).toMatchObject({ state: "running", batches: 1, processed: 100 });
    expect(afterOne.cursor).toMatch(/^users\|/);

    await drain(t);
    const done = await statusOf(t, "migrations:setDefaultPlan");
    expect(done).toMatchObject({
      state: "done",
      isDone: true,
      processed: 250,
      changed: 230,
      batches: 3,
    });
    expect(done.endedAt).toBeGreaterThanOrEqual(done.startedAt);
    expect(await t.query(internal.users.countByPlan, {})).toEqual({ free: 230, pro: 20, none: 0 });
  });

  test("status carries the commands to watch, cancel, start and start over", async () => {
    const t = setup();
    await seedUsers(t, 3);
    await t.mutation(internal.migrations.setDefaultPlan, {});
    expect((await statusOf(t, "migrations:setDefaultPlan")).commands).toEqual({
      watch: "npx convex run migrations:status --watch",
      start: "npx convex run migrations:setDefaultPlan",
      cancel: `npx convex run migrations:cancel '{"name":"migrations:setDefaultPlan"}'`,
      pause: `npx convex run migrations:pause '{"name":"migrations:setDefaultPlan"}'`,
      resume: `npx convex run migrations:resume '{"name":"migrations:setDefaultPlan"}'`,
      startOver: `npx convex run migrations:setDefaultPlan '{"reset": true}'`,
      // A retry is refused until the pass is done: until then, the line that finishes it.
      retryFailed: "npx convex run migrations:setDefaultPlan",
    });
  });

  test("started again when done starts nothing; reset runs the whole range again", async () => {
    const t = setup();
    await seedPosts(t, 150);
    await t.mutation(bump, {});
    await drain(t);
    const again = (await t.mutation(bump, {})) as StartResult;
    expect(again.started).toBe(false);
    expect(again.status.state).toBe("done");
    await drain(t);
    expect(new Set(await bumpCounts(t))).toEqual(new Set([1]));

    const reset = (await t.mutation(bump, { reset: true })) as StartResult;
    expect(reset).toMatchObject({ started: true, status: { processed: 0, cursor: null } });
    await drain(t);
    expect(new Set(await bumpCounts(t))).toEqual(new Set([2]));
  });

  test("started while running returns its status and runs nothing twice", async () => {
    const t = setup();
    await seedPosts(t, 350);
    await t.mutation(bump, { batchSize: 100 });
    await runScheduledOnce(t);
    const second = (await t.mutation(bump, {})) as StartResult;
    expect(second).toMatchObject({ started: false, status: { state: "running", batches: 1 } });
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(350));
    expect((await statusOf(t, "testing:bump")).batches).toBe(4);
  });

  test("starts a new run at an explicit cursor", async () => {
    const t = setup();
    await seedPosts(t, 250);
    await t.mutation(bump, { batchSize: 100 });
    await runScheduledOnce(t);
    const { cursor } = await statusOf(t, "testing:bump");
    await drain(t);
    // A new run from the cursor saved after the first batch: only the last 150 again.
    const fromCursor = (await t.mutation(bump, { cursor })) as StartResult;
    expect(fromCursor).toMatchObject({ started: true, status: { cursor, processed: 0 } });
    await drain(t);
    expect(await bumpCounts(t)).toEqual([...ones(100), ...Array<number>(150).fill(2)]);
  });
});

describe("failures", () => {
  test("stop the run with the error and the document; running again resumes at the saved cursor", async () => {
    const t = setup();
    const ids = await seedPosts(t, 250, (i) => (i === 130 ? "FAIL here" : `Post ${i}`));
    await t.mutation(bump, { batchSize: 100 });
    await drain(t);
    const failed = await statusOf(t, "testing:bump");
    expect(failed).toMatchObject({
      state: "failed",
      isDone: false,
      batches: 1,
      processed: 100,
      failedDocumentId: ids[130],
    });
    expect(failed.error).toContain("FAIL here");
    expect(failed.endedAt).toBeDefined();
    // The failing batch committed nothing: its 100 posts are untouched.
    const counts = await bumpCounts(t);
    expect(counts.slice(0, 100)).toEqual(ones(100));
    expect(counts.slice(100)).toEqual(Array(150).fill(null));

    await t.run(async (ctx) => ctx.db.patch("posts", ids[130]!, { title: "Fixed" }));
    const resumed = (await t.mutation(bump, {})) as StartResult;
    expect(resumed).toMatchObject({
      started: true,
      status: { cursor: failed.cursor, processed: 100 },
    });
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(250));
    expect(await statusOf(t, "testing:bump")).toMatchObject({
      state: "done",
      processed: 250,
      batches: 3,
    });
  });

  test("a batch that reaches a limit is retried smaller on its own, and every post is done once", async () => {
    // With Convex's limits enforced, a fixed batch of 100 reads more than a
    // transaction may. The batch runs under lower limits than its transaction,
    // so it fails alone and the component retries the same cursor smaller.
    const t = setup({ documentsRead: 60 });
    await seedPosts(t, 120);
    await t.mutation(bump, { batchSize: 100 });
    await drain(t);
    const status = await statusOf(t, "testing:bump");
    expect(status).toMatchObject({ state: "done", processed: 120, adaptive: false });
    expect(status.batchSize).toBeLessThan(100);
    expect(await bumpCounts(t)).toEqual(ones(120));
  });
});

describe("names", () => {
  test("every spelling Convex accepts names one migration: a second start does not run it twice", async () => {
    const t = setup();
    await seedPosts(t, 120);
    const first = (await t.mutation(internal.migrations.run, {
      fn: "testing.js:bump",
      batchSize: 50,
    })) as StartResult;
    expect(first).toMatchObject({ started: true, status: { name: "testing:bump" } });
    const second = (await t.mutation(internal.migrations.run, {
      fn: " testing:bump ",
    })) as StartResult;
    expect(second).toMatchObject({ started: false, status: { runId: first.status.runId } });
    await drain(t);
    const { migrations } = await t.query(internal.migrations.status, {
      names: ["./testing.ts:bump"],
    });
    expect(migrations).toMatchObject([{ name: "testing:bump", state: "done", processed: 120 }]);
    expect(new Set(await bumpCounts(t))).toEqual(new Set([1]));
  });
});

describe("cancel", () => {
  test("stops after the batch in flight, keeps the cursor, and starting again resumes", async () => {
    const t = setup();
    await seedPosts(t, 300);
    await t.mutation(bump, { batchSize: 100 });
    await runScheduledOnce(t);
    const canceled = await t.mutation(internal.migrations.cancel, { name: "testing:bump" });
    expect(canceled).toMatchObject({ state: "canceled", batches: 1 });
    await drain(t);
    expect((await bumpCounts(t)).filter((c) => c === 1)).toHaveLength(100);
    // Idempotent on a run that is not running.
    expect(await t.mutation(internal.migrations.cancel, { name: "testing:bump" })).toMatchObject({
      state: "canceled",
      batches: 1,
    });
    await t.mutation(bump, {});
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(300));
    expect(await statusOf(t, "testing:bump")).toMatchObject({ state: "done", processed: 300 });
  });

  test("cancelAll stops every running migration", async () => {
    const t = setup();
    await seedPosts(t, 200);
    await seedUsers(t, 200);
    await t.mutation(bump, {});
    await t.mutation(internal.migrations.setDefaultPlan, {});
    const canceled = await t.mutation(internal.migrations.cancelAll, {});
    expect(canceled.map((s) => s.state)).toEqual(["canceled", "canceled"]);
    await drain(t);
    expect(await t.query(internal.users.countByPlan, {})).toMatchObject({ free: 0 });
  });
});

describe("ranges and batches", () => {
  test("customRange visits only its index range", async () => {
    const t = setup();
    await seedPosts(t, 140, undefined, (i) => (i % 4 === 0 ? "" : "some words"));
    await t.mutation(internal.migrations.countPostWords, {});
    await drain(t);
    await t.mutation(internal.migrations.archiveEmptyPosts, {});
    await drain(t);
    const status = await statusOf(t, "migrations:archiveEmptyPosts");
    expect(status).toMatchObject({ state: "done", processed: 35, changed: 35, batchSize: 50 });
    const posts = await t.run(async (ctx) => await ctx.db.query("posts").collect());
    for (const post of posts) expect(post.archived === true).toBe(post.body === "");
  });

  test("parallelize processes each batch concurrently with the same result", async () => {
    const t = setup();
    await seedPosts(t, 130);
    await t.mutation(ref("bumpParallel"), {});
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(130));
    expect(await statusOf(t, "testing:bumpParallel")).toMatchObject({ batches: 4, batchSize: 40 });
  });

  test("a migrateOne that writes through ctx.db is applied once per document", async () => {
    const t = setup();
    await seedPosts(t, 120);
    await t.mutation(ref("bumpByHand"), {});
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(120));
    expect(await statusOf(t, "testing:bumpByHand")).toMatchObject({ processed: 120, changed: 0 });
  });
});

describe("runners", () => {
  test("runner() runs the migration its fn names", async () => {
    const t = setup();
    await seedUsers(t, 120);
    const result = (await t.mutation(internal.migrations.run, {
      fn: "migrations:setDefaultPlan",
    })) as StartResult;
    expect(result.started).toBe(true);
    await drain(t);
    expect(await t.query(internal.users.countByPlan, {})).toMatchObject({ free: 120, none: 0 });
  });

  test("runAll runs the chain in order, each after the last is done", async () => {
    const t = setup();
    await seedUsers(t, 150);
    await seedPosts(t, 120, undefined, (i) => (i % 3 === 0 ? "" : "a b c"));
    const first = (await t.mutation(internal.migrations.runAll, {})) as StartResult;
    expect(first.status).toMatchObject({
      name: "migrations:setDefaultPlan",
      next: ["migrations:countPostWords", "migrations:archiveEmptyPosts"],
    });
    // Nothing after the first starts until it is done.
    await runScheduledOnce(t);
    const early = (await t.query(internal.migrations.status, {})).migrations;
    expect(early.map((s) => s.name)).toEqual(["migrations:setDefaultPlan"]);
    await drain(t);
    const statuses = (await t.query(internal.migrations.status, {})).migrations;
    expect(statuses.map((s) => [s.name, s.state])).toEqual(
      expect.arrayContaining([
        ["migrations:setDefaultPlan", "done"],
        ["migrations:countPostWords", "done"],
        ["migrations:archiveEmptyPosts", "done"],
      ]),
    );
    const posts = await t.run(async (ctx) => await ctx.db.query("posts").collect());
    expect(posts.filter((p) => p.archived)).toHaveLength(40);
  });

  test("two runAll started at once run nothing twice, and a rerun skips what is done", async () => {
    const t = setup();
    await seedUsers(t, 120);
    await seedPosts(t, 90);
    await t.mutation(internal.migrations.runAll, {});
    const second = (await t.mutation(internal.migrations.runAll, {})) as StartResult;
    expect(second.started).toBe(false);
    await drain(t);
    const statuses = (await t.query(internal.migrations.status, {})).migrations;
    expect(statuses.map((s) => s.processed).sort((a, b) => a - b)).toEqual([13, 90, 121]);
    const batchesBefore = statuses.map((s) => s.batches);
    const third = (await t.mutation(internal.migrations.runAll, {})) as StartResult;
    expect(third.started).toBe(false);
    await drain(t);
    expect(
      (await t.query(internal.migrations.status, {})).migrations.map((s) => s.batches),
    ).toEqual(batchesBefore);
  });

  test("runAll with reset starts every migration of the chain over", async () => {
    const t = setup();
    await seedUsers(t, 30);
    await seedPosts(t, 40);
    await t.mutation(internal.migrations.runAll, {});
    await drain(t);
    const first = (await t.query(internal.migrations.status, {})).migrations;
    await t.mutation(internal.migrations.runAll, { reset: true });
    await drain(t);
    const second = (await t.query(internal.migrations.status, {})).migrations;
    expect(second.map((s) => s.state)).toEqual(["done", "done", "done"]);
    for (const status of second) {
      const before = first.find((s) => s.name === status.name)!;
      expect(status.runId).not.toBe(before.runId);
      expect(status.processed).toBe(before.processed);
    }
  });

  test("a runAll started while the first migration runs by hand continues the chain after it", async () => {
    const t = setup();
    await seedUsers(t, 150);
    await seedPosts(t, 10);
    await t.mutation(internal.migrations.setDefaultPlan, {});
    const chained = (await t.mutation(internal.migrations.runAll, {})) as StartResult;
    expect(chained).toMatchObject({
      started: false,
      status: { next: ["migrations:countPostWords", "migrations:archiveEmptyPosts"] },
    });
    await drain(t);
    expect(
      (await t.query(internal.migrations.status, {})).migrations.every((s) => s.state === "done"),
    ).toBe(true);
    expect((await t.query(internal.migrations.status, {})).migrations).toHaveLength(3);
  });

  test("runOne, runSerially, cancel and cancelAll work from server code", async () => {
    const t = setup();
    await seedPosts(t, 120);
    const one = (await t.mutation(fn("mutation", "runOne"), {})) as StartResult;
    expect(one.started).toBe(true);
    expect(await t.mutation(fn("mutation", "cancel"), { name: "testing:bump" })).toMatchObject({
      state: "canceled",
    });
    const serial = (await t.mutation(fn("mutation", "runSerially"), {})) as StartResult;
    expect(serial.status).toMatchObject({ name: "testing:bump", next: ["testing:bumpByHand"] });
    await drain(t);
    expect(await bumpCounts(t)).toEqual(Array(120).fill(2));
    expect(await t.mutation(fn("mutation", "cancelAll"), {})).toEqual([]);
  });

  test("runToCompletion runs every batch from an action without the scheduler", async () => {
    const t = setup();
    await seedPosts(t, 230);
    const status = (await t.action(fn("action", "complete"), { batchSize: 100 })) as unknown;
    expect(status).toMatchObject({ state: "done", processed: 230, batches: 3 });
    expect(await bumpCounts(t)).toEqual(ones(230));
  });
});

describe("status", () => {
  test("reads the same number of documents whatever the size of the migrated table", async () => {
    const reads: number[] = [];
    for (const size of [50, 1000]) {
      const t = setup();
      await seedPosts(t, size);
      await t.mutation(bump, {});
      await drain(t);
      const cost = (await t.query(fn("query", "statusCost"), {})) as { documentsRead: number };
      reads.push(cost.documentsRead);
    }
    expect(reads[0]).toBe(reads[1]);
    // The migration's row and run, the latest run, and the ledger's row (for what still fails), per entry.
    expect(reads[0]).toBeLessThanOrEqual(6);
  });
});
