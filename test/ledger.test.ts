/** The failure ledger: onError "skip" records failing documents and goes on; retryFailed retries them. */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import type { StartResult } from "../src/client/index.js";
import { ref } from "./fixtures/faults.js";
import {
  bumpCounts,
  drain,
  expectRolloutError,
  seedPosts,
  setup,
  snapshot,
  type T,
  statusOf,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const bump = ref("bump");

async function seedWithFailures(t: T) {
  const fail = new Set([7, 130, 255]);
  const ids = await seedPosts(t, 300, (i) => (fail.has(i) ? `FAIL ${i}` : `Post ${i}`));
  return { ids, failing: [...fail].map((i) => ids[i]!) };
}

async function rename(t: T, id: string, title: string) {
  await t.run(async (ctx) => {
    const postId = ctx.db.normalizeId("posts", id)!;
    await ctx.db.patch("posts", postId, { title });
  });
}

test('onError "stop" (the default) stops at the first failing document', async () => {
  const t = setup();
  const { failing } = await seedWithFailures(t);
  await t.mutation(bump, { batchSize: 100 });
  await drain(t);
  expect(await statusOf(t)).toMatchObject({
    state: "failed",
    onError: "stop",
    failedDocumentId: failing[0],
    processed: 0,
    failed: 0,
  });
});

test('onError "skip" records each failing document and the rest of its batch commits', async () => {
  const t = setup();
  const { ids, failing } = await seedWithFailures(t);
  await t.mutation(bump, { batchSize: 100, onError: "skip" });
  await drain(t);
  const status = await statusOf(t);
  expect(status).toMatchObject({
    state: "done",
    onError: "skip",
    processed: 300,
    changed: 297,
    failed: 3,
  });
  expect(status.failures.map((f) => f.documentId).sort()).toEqual([...failing].sort());
  expect(status.failures[0]?.error).toMatch(/cannot migrate "FAIL/);
  const counts = await bumpCounts(t);
  ids.forEach((id, i) => expect(counts[i]).toBe(failing.includes(id) ? null : 1));
});

test("a failing document's half-done writes are rolled back while the rest commits", async () => {
  const t = setup();
  const { ids, failing } = await seedWithFailures(t);
  await t.mutation(ref("bumpThenFail"), {}); // onError "skip" is its default
  await drain(t);
  expect(await statusOf(t, "testing:bumpThenFail")).toMatchObject({ state: "done", failed: 3 });
  const counts = await bumpCounts(t);
  ids.forEach((id, i) => expect(counts[i]).toBe(failing.includes(id) ? null : 1));
});

test("retryFailed runs only the recorded documents and clears those that now succeed", async () => {
  const t = setup();
  const { failing } = await seedWithFailures(t);
  await t.mutation(bump, { onError: "skip" });
  await drain(t);
  await rename(t, failing[0]!, "fixed 0");
  await rename(t, failing[1]!, "fixed 1");
  const retry = (await t.mutation(bump, { retryFailed: true })) as StartResult;
  expect(retry).toMatchObject({
    started: true,
    status: { mode: "retryFailed", estimatedTotal: 3 },
  });
  await drain(t);
  const after = await statusOf(t);
  expect(after).toMatchObject({
    state: "done",
    mode: "retryFailed",
    processed: 3,
    changed: 2,
    failed: 1,
  });
  expect(after.failures.map((f) => f.documentId)).toEqual([failing[2]]);

  // Deleting the last one empties the ledger on the next retry.
  await t.run(async (ctx) => ctx.db.delete("posts", ctx.db.normalizeId("posts", failing[2]!)!));
  await t.mutation(bump, { retryFailed: true });
  await drain(t);
  expect(await statusOf(t)).toMatchObject({ state: "done", processed: 1, failed: 0, failures: [] });
  const counts = await bumpCounts(t);
  expect(counts).toHaveLength(299);
  expect(counts.every((c) => c === 1)).toBe(true);
});

test("retryFailed is refused while the main run is not done, and nothing changes", async () => {
  const t = setup();
  await seedWithFailures(t);
  await t.mutation(bump, { onError: "skip", batchSize: 100 });
  const before = await snapshot(t);
  await expectRolloutError(t.mutation(bump, { retryFailed: true }), "InvalidArgument");
  expect(await snapshot(t)).toEqual(before);
});
