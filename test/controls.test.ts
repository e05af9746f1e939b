/** Pause, resume and throttle: idempotent, and answering sensibly in every state. */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import type { MigrationStatus } from "../src/client/index.js";
import { fn, ref } from "./fixtures/faults.js";
import {
  bumpCounts,
  drain,
  expectRolloutError,
  runScheduledOnce,
  seedPosts,
  setup,
  type T,
  statusOf,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const NAME = "testing:bump";
const bump = ref("bump");
const verb = (t: T, name: "pause" | "resume") =>
  t.mutation(fn("mutation", name), { name: NAME }) as Promise<MigrationStatus>;

test("pause stops after the batch in flight and keeps the cursor; resume finishes the run once", async () => {
  const t = setup();
  await seedPosts(t, 400);
  await t.mutation(bump, { batchSize: 100 });
  await runScheduledOnce(t);
  const paused = await verb(t, "pause");
  expect(paused).toMatchObject({ state: "paused", batches: 1, processed: 100 });
  await drain(t);
  expect(await statusOf(t, NAME)).toMatchObject({
    state: "paused",
    batches: 1,
    cursor: paused.cursor,
  });
  // Idempotent.
  expect(await verb(t, "pause")).toMatchObject({ state: "paused", batches: 1 });

  expect(await verb(t, "resume")).toMatchObject({ state: "running", cursor: paused.cursor });
  expect(await verb(t, "resume")).toMatchObject({ state: "running" });
  await drain(t);
  expect(await statusOf(t, NAME)).toMatchObject({ state: "done", processed: 400, batches: 4 });
  expect(new Set(await bumpCounts(t))).toEqual(new Set([1]));
  // On a finished run, pause and resume change nothing.
  expect(await verb(t, "pause")).toMatchObject({ state: "done" });
  expect(await verb(t, "resume")).toMatchObject({ state: "done" });
});

test("starting a paused migration resumes it like resume does", async () => {
  const t = setup();
  await seedPosts(t, 250);
  await t.mutation(bump, { batchSize: 100 });
  await runScheduledOnce(t);
  await verb(t, "pause");
  await t.mutation(bump, {});
  await drain(t);
  expect(await statusOf(t, NAME)).toMatchObject({ state: "done", processed: 250 });
  expect(new Set(await bumpCounts(t))).toEqual(new Set([1]));
});

test("cancel stops a paused run; resume then continues it", async () => {
  const t = setup();
  await seedPosts(t, 250);
  await t.mutation(bump, { batchSize: 100 });
  await runScheduledOnce(t);
  await verb(t, "pause");
  expect(await t.mutation(internal.migrations.cancel, { name: NAME })).toMatchObject({
    state: "canceled",
  });
  await verb(t, "resume");
  await drain(t);
  expect(await statusOf(t, NAME)).toMatchObject({ state: "done", processed: 250 });
});

test("a delay between batches can be set when starting and changed while the run goes on", async () => {
  const t = setup();
  await seedPosts(t, 400);
  await t.mutation(bump, { batchSize: 100, delayMs: 60_000 });
  await runScheduledOnce(t); // the first batch starts at once
  expect(await statusOf(t, NAME)).toMatchObject({ batches: 1, delayMs: 60_000 });
  vi.advanceTimersByTime(59_000);
  await t.finishInProgressScheduledFunctions();
  expect((await statusOf(t, NAME)).batches).toBe(1);
  vi.advanceTimersByTime(1_000);
  await t.finishInProgressScheduledFunctions();
  expect((await statusOf(t, NAME)).batches).toBe(2);

  const throttled = (await t.mutation(fn("mutation", "throttle"), {
    name: NAME,
    delayMs: 0,
  })) as MigrationStatus;
  expect(throttled).toMatchObject({ delayMs: 0 });
  vi.advanceTimersByTime(60_000); // the batch already scheduled keeps its time
  await t.finishInProgressScheduledFunctions();
  await runScheduledOnce(t); // the next one follows without a pause
  expect(await statusOf(t, NAME)).toMatchObject({ state: "done", batches: 4 });
});

test("a delay out of range is refused", async () => {
  const t = setup();
  await seedPosts(t, 10);
  for (const delayMs of [-1, 1.5, 3_600_001, Number.NaN]) {
    await expectRolloutError(t.mutation(bump, { delayMs }), "InvalidArgument");
  }
  await t.mutation(bump, {});
  await expectRolloutError(
    t.mutation(fn("mutation", "throttle"), { name: NAME, delayMs: -5 }),
    "InvalidArgument",
  );
});

test("pause, resume and throttle of a migration that never ran are refused", async () => {
  const t = setup();
  for (const name of ["pause", "resume"] as const) {
    await expectRolloutError(
      t.mutation(fn("mutation", name), { name: "testing:never" }),
      "UnknownMigration",
    );
  }
  await expectRolloutError(
    t.mutation(fn("mutation", "throttle"), { name: "testing:never", delayMs: 10 }),
    "UnknownMigration",
  );
});
