/** Progress (rate, percentage, ETA), run history, and multi-batch plan reports. */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import type { DryRunReport, MigrationStatus } from "../src/client/index.js";
import { fn, ref } from "./fixtures/faults.js";
import {
  drain,
  runScheduledOnce,
  seedPosts,
  setup,
  snapshot,
  type T,
  statusOf,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const NAME = "testing:bump";
const bump = ref("bump");

/** One batch, then the clock moves on by the run's delay. */
async function nextBatch(t: T, ms: number) {
  vi.advanceTimersByTime(ms);
  await t.finishInProgressScheduledFunctions();
}

describe("progress", () => {
  test("shows the rate over recent batches, and a percentage and ETA against the estimate", async () => {
    const t = setup();
    await seedPosts(t, 400);
    await t.mutation(bump, { batchSize: 100, delayMs: 1_000, estimatedTotal: 400 });
    const start = await statusOf(t, NAME);
    expect(start).toMatchObject({ rate: null, percent: 0, etaMs: null, estimatedTotal: 400 });
    await runScheduledOnce(t);
    await nextBatch(t, 1_000);
    const two = await statusOf(t, NAME);
    // 100 documents a second, 200 of 400 done: 2 s to go.
    expect(two).toMatchObject({ processed: 200, rate: 100, percent: 50, etaMs: 2_000 });
    await drain(t);
    expect(await statusOf(t, NAME)).toMatchObject({ state: "done", percent: 100, etaMs: null });
  });

  test("never shows more than 100%, with the raw counts beside it", async () => {
    const t = setup();
    await seedPosts(t, 300);
    await t.mutation(bump, { batchSize: 100, estimatedTotal: 100 });
    await runScheduledOnce(t);
    await runScheduledOnce(t);
    expect(await statusOf(t, NAME)).toMatchObject({
      processed: 200,
      percent: 99.9,
      estimatedTotal: 100,
    });
    await drain(t);
    expect(await statusOf(t, NAME)).toMatchObject({ processed: 300, percent: 100 });
  });

  test("without an estimate there is no percentage; a rerun estimates from the last run", async () => {
    const t = setup();
    await seedPosts(t, 150);
    await t.mutation(bump, {});
    expect(await statusOf(t, NAME)).toMatchObject({ estimatedTotal: null, percent: null });
    await drain(t);
    await t.mutation(bump, { reset: true, batchSize: 100 });
    await runScheduledOnce(t);
    expect(await statusOf(t, NAME)).toMatchObject({ estimatedTotal: 150, percent: 66.7 });
  });
});

describe("history", () => {
  test("keeps every run with who started it and its settings; status shows the last five", async () => {
    const t = setup();
    await seedPosts(t, 20);
    for (let i = 0; i < 7; i++) {
      await t.mutation(bump, { reset: true, by: `deploy ${i}`, batchSize: 10 + i });
      await drain(t);
    }
    const { history } = await t.query(internal.migrations.status, {});
    expect(history.map((r) => r.by)).toEqual([
      "deploy 6",
      "deploy 5",
      "deploy 4",
      "deploy 3",
      "deploy 2",
    ]);
    expect(history[0]).toMatchObject({
      state: "done",
      processed: 20,
      batchSize: 16,
      adaptive: false,
    });

    const seen: MigrationStatus[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page = (await t.query(fn("query", "history"), { cursor, numItems: 3 })) as {
        page: MigrationStatus[];
        continueCursor: string;
        isDone: boolean;
      };
      seen.push(...page.page);
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    expect(seen.map((r) => r.by)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `deploy ${i}`));
    expect(new Set(seen.map((r) => r.runId)).size).toBe(7);
    // `npx convex run migrations:history`, with no arguments: the newest page.
    const newest = (await t.query(fn("query", "history"), {})) as { page: MigrationStatus[] };
    expect(newest.page.map((r) => r.by)).toEqual(seen.map((r) => r.by));
  });

  test("status reads a bounded number of documents however many runs there were", async () => {
    const reads: number[] = [];
    for (const runs of [6, 14]) {
      const t = setup();
      await seedPosts(t, 10);
      for (let i = 0; i < runs; i++) {
        await t.mutation(bump, { reset: true });
        await drain(t);
      }
      reads.push(
        ((await t.query(fn("query", "statusCost"), {})) as { documentsRead: number }).documentsRead,
      );
    }
    expect(reads[0]).toBe(reads[1]);
  });
});

describe("plan reports", () => {
  test("a dry run over several batches adds them up and changes nothing, on a half-done run", async () => {
    const t = setup();
    await seedPosts(t, 450, (i) => (i % 50 === 49 ? `FAIL ${i}` : `Post ${i}`));
    await t.mutation(bump, { batchSize: 100, onError: "skip" });
    await runScheduledOnce(t);
    await t.mutation(fn("mutation", "pause"), { name: NAME });
    const before = await snapshot(t);
    const report = (await t.mutation(bump, { dryRun: true, maxBatches: 3 })) as DryRunReport;
    expect(report).toMatchObject({
      batches: 3,
      examined: 300,
      wouldChange: 294,
      wouldFail: 6,
      unchanged: 0,
      isDone: false,
      stoppedEarly: false,
    });
    expect(report.errors).toHaveLength(5);
    expect(report.samples).toHaveLength(5);
    expect(await snapshot(t)).toEqual(before);
  });

  test("the plan action covers the whole table across transactions and writes nothing", async () => {
    const t = setup();
    await seedPosts(t, 450);
    const before = await snapshot(t);
    const report = (await t.action(fn("action", "plan"), {
      fn: NAME,
      batchSize: 100,
    })) as DryRunReport;
    expect(report).toMatchObject({ batches: 5, examined: 450, wouldChange: 450, isDone: true });
    expect(await snapshot(t)).toEqual(before);
  });

  test("maxBatches out of range is refused", async () => {
    const t = setup();
    await seedPosts(t, 10);
    for (const maxBatches of [0, 101, 2.5]) {
      await expect(t.mutation(bump, { dryRun: true, maxBatches })).rejects.toThrow(/maxBatches/);
    }
  });
});
