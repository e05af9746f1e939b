/**
 * No start of any kind marks a migration done that has not gone over its whole range (issue 18
 * #13): a retry of the failure ledger before the pass that fills it is refused, and a finished
 * retry with no pass before it (a state older versions left) is not taken for done by a plain
 * start, a runner or a chain. The rule itself is `decideStart`'s (test/decisions.test.ts).
 */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { fn, ref } from "./fixtures/faults.js";
import {
  bumpCounts,
  drain,
  expectRolloutError,
  runInComponent,
  seedPosts,
  setup,
  snapshot,
  statusOf,
  type T,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const NAME = "testing:bump";
const bump = ref("bump");

test("retryFailed on a migration that never ran is refused, changes nothing, and the start then migrates everything", async () => {
  const t = setup();
  await seedPosts(t, 120);
  const before = await snapshot(t);
  const refused = await expectRolloutError(
    t.mutation(bump, { retryFailed: true }),
    "InvalidArgument",
  );
  expect(refused.message).toContain("has never run");
  expect(refused.message).toContain(`run it first (\`npx convex run ${NAME}\`)`);
  // The same through the runner.
  await expectRolloutError(
    t.mutation(internal.migrations.run, { fn: NAME, retryFailed: true }),
    "InvalidArgument",
  );
  expect(await snapshot(t)).toEqual(before);

  // Before the fix the empty retry finished `done` and this start answered `started: false`.
  expect(await t.mutation(bump, { batchSize: 50 })).toMatchObject({ started: true });
  await drain(t);
  expect(await statusOf(t)).toMatchObject({ state: "done", mode: "all", processed: 120 });
  expect(new Set(await bumpCounts(t))).toEqual(new Set([1]));
});

test("retryFailed while the pass is canceled is refused, and its status offers the line that finishes the pass", async () => {
  const t = setup();
  await seedPosts(t, 120);
  await t.mutation(bump, { batchSize: 50, onError: "skip" });
  await t.mutation(fn("mutation", "cancel"), { name: NAME });
  const status = await statusOf(t);
  expect(status.state).toBe("canceled");
  expect(status.commands.retryFailed).toBe(`npx convex run ${NAME}`);
  const refused = await expectRolloutError(
    t.mutation(bump, { retryFailed: true }),
    "InvalidArgument",
  );
  expect(refused.message).toContain("not done");

  // Once the pass is done, the line offered is the retry, and it works.
  await t.mutation(bump, {});
  await drain(t);
  const done = await statusOf(t);
  expect(done).toMatchObject({ state: "done", processed: 120 });
  expect(done.commands.retryFailed).toBe(`npx convex run ${NAME} '{"retryFailed": true}'`);
  expect(await t.mutation(bump, { retryFailed: true })).toMatchObject({ started: true });
});

/**
 * The state an older version left after `{retryFailed: true}` on a migration that never ran: its
 * only run a finished, empty retry of the ledger, and no full pass.
 */
async function leftByAnEmptyRetry(t: T) {
  await seedPosts(t, 90);
  await runInComponent(t, async (ctx) => {
    const now = Date.now();
    const runId = await ctx.db.insert("runs", {
      name: NAME,
      fnHandle: "function://testing/bump",
      state: "done",
      isDone: true,
      cursor: null,
      batchSize: 100,
      adaptive: true,
      delayMs: 0,
      onError: "stop",
      retryFailed: true,
      processed: 0,
      changed: 0,
      failed: 0,
      batches: 1,
      recent: [],
      startedAt: now,
      attemptStartedAt: now,
      endedAt: now,
      next: [],
      cliModule: "testing",
      attempt: 1,
      pass: 0,
    });
    await ctx.db.insert("migrations", {
      name: NAME,
      runId,
      updatedAt: now,
      passes: 0,
    });
  });
}

test("a finished retry with no pass before it is not done: a start runs the pass", async () => {
  const t = setup();
  await leftByAnEmptyRetry(t);
  expect(await t.mutation(bump, {})).toMatchObject({ started: true });
  await drain(t);
  expect(await statusOf(t)).toMatchObject({ state: "done", mode: "all", processed: 90 });
  expect(new Set(await bumpCounts(t))).toEqual(new Set([1]));
  // And a retry of such a state is refused rather than run again.
  const t2 = setup();
  await leftByAnEmptyRetry(t2);
  const refused = await expectRolloutError(
    t2.mutation(bump, { retryFailed: true }),
    "InvalidArgument",
  );
  expect(refused.message).toContain("never finished a pass");
});

test("a finished retry with no pass before it is not done for a chain either", async () => {
  const t = setup();
  await leftByAnEmptyRetry(t);
  // runSerially is bump, then bumpByHand: bump must run its pass, not be skipped as done.
  await t.mutation(fn("mutation", "runSerially"), {});
  await drain(t);
  expect(await statusOf(t)).toMatchObject({ state: "done", mode: "all", processed: 90 });
  expect(await statusOf(t, "testing:bumpByHand")).toMatchObject({ state: "done" });
  expect(new Set(await bumpCounts(t))).toEqual(new Set([2]));
});
