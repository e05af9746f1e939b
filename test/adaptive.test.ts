/** Adaptive batch sizes: batches grow while well inside Convex's limits and shrink on them. */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { ADAPTIVE_MAX, ADAPTIVE_START } from "../src/client/index.js";
import { ref } from "./fixtures/faults.js";
import { bumpCounts, runScheduledOnce, seedPosts, setup, type T, statusOf } from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Runs the migration batch by batch; answers the batch size used by each batch. */
async function batchSizes(t: T, name: string): Promise<number[]> {
  const sizes: number[] = [];
  for (let status = await statusOf(t, name); status.state === "running";) {
    sizes.push(status.batchSize);
    await runScheduledOnce(t);
    status = await statusOf(t, name);
  }
  return sizes;
}

test("a table of small documents converges to large batches", async () => {
  const t = setup();
  await seedPosts(t, 12_000);
  await t.mutation(ref("bump"), {});
  const sizes = await batchSizes(t, "testing:bump");
  console.log(`small documents: batch sizes ${sizes.join(", ")}`);
  expect(sizes[0]).toBe(ADAPTIVE_START);
  // The component's own write in each batch counts too: just under the cap.
  expect(Math.max(...sizes)).toBeGreaterThanOrEqual(ADAPTIVE_MAX * 0.99);
  for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThanOrEqual(sizes[i - 1]!);
  expect(sizes.length).toBeLessThanOrEqual(8);
  expect(await statusOf(t, "testing:bump")).toMatchObject({
    state: "done",
    adaptive: true,
    processed: 12_000,
  });
  expect(new Set(await bumpCounts(t))).toEqual(new Set([1]));
  // 12,000 documents on convex-test, which scans the table per query: slow on a shared machine.
}, 120_000);

test("a table of large documents converges to small batches", async () => {
  const t = setup();
  const body = "x".repeat(200_000); // about 200 KB per post
  await seedPosts(t, 70, undefined, () => body);
  await t.mutation(ref("bump"), {});
  const sizes = await batchSizes(t, "testing:bump");
  console.log(`200 KB documents: batch sizes ${sizes.join(", ")}`);
  const last = (await statusOf(t, "testing:bump")).batchSize;
  expect(last).toBeLessThan(25);
  expect(last).toBeGreaterThan(5);
  expect(await statusOf(t, "testing:bump")).toMatchObject({ state: "done", processed: 70 });
  expect(new Set(await bumpCounts(t))).toEqual(new Set([1]));
});

test("a batch that fails on a limit is retried smaller, and every document is done once", async () => {
  // convex-test enforcing a write limit of 150 documents: the second batch (400) breaks it.
  const t = setup({ documentsWritten: 150 });
  await seedPosts(t, 1_000);
  await t.mutation(ref("bump"), {});
  const sizes = await batchSizes(t, "testing:bump");
  console.log(`write limit 150: batch sizes ${sizes.join(", ")}`);
  expect(sizes).toContain(400);
  expect(Math.max(...sizes.slice(sizes.indexOf(400) + 1))).toBeLessThanOrEqual(200);
  expect(await statusOf(t, "testing:bump")).toMatchObject({ state: "done", processed: 1_000 });
  expect(new Set(await bumpCounts(t))).toEqual(new Set([1]));
});

test("a given batch size is kept as it is", async () => {
  const t = setup();
  await seedPosts(t, 500);
  await t.mutation(ref("bump"), { batchSize: 70 });
  const sizes = await batchSizes(t, "testing:bump");
  expect(new Set(sizes)).toEqual(new Set([70]));
  expect(await statusOf(t, "testing:bump")).toMatchObject({ adaptive: false, batches: 8 });
});
