/**
 * No hot row: on a deployment, two transactions conflict when one writes what
 * the other read or wrote, and Convex runs them one after the other. Slices
 * are k times faster only if a batch of one slice touches nothing another
 * slice's batch touches. convex-test runs one transaction at a time and shows
 * no conflicts; it shows the reads and writes that cause them. This test
 * records, for one round in which every slice runs exactly one batch, every
 * document of the component each batch read or wrote, by id.
 */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import type { MigrationStatus, StartResult } from "../src/client/index.js";
import { fn } from "./fixtures/parallel.js";
import {
  bumpCounts,
  drain,
  runInComponent,
  runScheduledOnce,
  seedPosts,
  setup,
  watchSyscalls,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const WRITES = new Set(["1.0/insert", "1.0/shallowMerge", "1.0/replace", "1.0/remove"]);

/** Runs `body`, recording the documents it reads and writes by id, in order. */
async function recordTouches(body: () => Promise<void>) {
  const touches: { op: "read" | "write"; id: string }[] = [];
  await watchSyscalls((op, { id }) => {
    if (id !== undefined && (op === "1.0/get" || WRITES.has(op))) {
      touches.push({ op: op === "1.0/get" ? "read" : "write", id });
    }
  }, body);
  return touches;
}

test("a slice's batch reads and writes only its own row: no document is shared between slices", async () => {
  const t = setup();
  await seedPosts(t, 2_000);
  const { status } = (await t.mutation(fn("mutation", "bump"), { parallelism: 8 })) as StartResult;
  const runId = status.runId;
  const sliceIds = await runInComponent(t, async (ctx) =>
    (await ctx.db.query("runs").collect())
      .filter((r) => r.parent === runId)
      .map((r) => r._id as string),
  );
  expect(sliceIds).toHaveLength(8);
  await runScheduledOnce(t);

  // One round mid-run: each of the 8 slices runs one batch (none finishes).
  // Only the batches due now: the monitor's check, a minute away, is not a batch.
  const touches = await recordTouches(async () => {
    vi.advanceTimersByTime(1);
    await t.finishInProgressScheduledFunctions();
  });
  const after = (await t.query(fn("query", "status"), { names: ["parallel:bump"] })) as {
    migrations: MigrationStatus[];
  };
  expect(after.migrations[0]).toMatchObject({ state: "running", batches: 16 });

  const component = new Set([runId, ...sliceIds]);
  // Besides the slices' rows, only the app's posts (convex-test's ids end with their table)
  // and each job's own scheduler record, which convex-test reads as it runs the job.
  const jobs = touches.filter((touch) => touch.id.endsWith("_scheduled_functions"));
  expect(new Set(jobs.map((job) => job.id)).size).toBe(jobs.length);
  const others = touches.filter(
    (touch) => !component.has(touch.id) && !touch.id.endsWith("posts") && !jobs.includes(touch),
  );
  expect(others).toEqual([]);
  const ours = touches.filter((touch) => component.has(touch.id));
  // The run's own row: not read, not written, by any batch.
  expect(ours.filter((touch) => touch.id === runId)).toEqual([]);
  // Each slice's row: read and written by its one batch, once each; nothing else.
  for (const id of sliceIds) {
    expect(ours.filter((touch) => touch.id === id).map((touch) => touch.op)).toEqual([
      "read",
      "write",
    ]);
  }
  console.log(`component reads and writes in one round of 8 slices: ${ours.length}`);

  await drain(t);
  expect(await bumpCounts(t)).toEqual(Array<number>(2_000).fill(1));
});
