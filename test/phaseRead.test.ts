/**
 * The phase read on a real deployment: app code asks `writesNew`/`readsNew`/
 * `phase` inside its own transactions, so whatever that read touches is in
 * the read set of every such query and mutation. A write to it re-runs every
 * subscribed query and conflicts every in-flight mutation that asked. So only
 * a phase move may write what it reads; a backfill or a verify pass, which
 * write their progress every batch, must not. convex-test runs one
 * transaction at a time and shows no conflicts; it shows the writes, which are
 * what cause them: this test counts every write the component makes while a
 * rollout's backfill and verify pass run, by the table each goes to.
 */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import type { RolloutStatus } from "../src/client/index.js";
import { fn } from "./fixtures/faults.js";
import { drain, expectRolloutError, seedPosts, setup, watchSyscalls } from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const WRITES = new Set(["1.0/insert", "1.0/shallowMerge", "1.0/replace", "1.0/remove"]);

/** Runs `body`, counting writes per table (convex-test's ids end with their table's name). */
async function countWrites(body: () => Promise<void>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await watchSyscalls((op, args) => {
    if (!WRITES.has(op)) return;
    const table = args.table ?? args.id?.replace(/^[0-9]+/, "") ?? "?";
    counts.set(table, (counts.get(table) ?? 0) + 1);
  }, body);
  return counts;
}

test("a backfill and a verify pass write nothing the phase read reads", async () => {
  const t = setup();
  await seedPosts(t, 1_500);
  const move = async (to: string) =>
    (await t.mutation(fn("mutation", "advance"), {
      rollout: "posts.counted",
      to,
    })) as RolloutStatus;
  await move("dualWrite");
  const entered = await move("backfill");
  expect(entered.phase).toBe("backfill");

  // What the phase read touches: the rollout's latest transition, one index range.
  expect(await t.query(fn("query", "phaseReadCost"), {})).toEqual({
    documentsRead: 1,
    databaseQueries: 1,
  });

  const writes = await countWrites(async () => await drain(t));
  const status = (await t.query(fn("query", "status"), {})) as {
    rollouts: RolloutStatus[];
  };
  const rollout = status.rollouts.find((r) => r.name === "posts.counted")!;
  // The backfill and the verify pass both ran, in several batches each...
  expect(rollout.backfill.run).toMatchObject({ state: "done", processed: 1_500 });
  expect(rollout.backfill.run!.batches).toBeGreaterThan(2);
  expect(rollout.verify).toMatchObject({ state: "done", checked: 1_500, mismatches: 0 });
  expect(rollout.verify!.batches).toBeGreaterThan(1);
  expect(writes.get("runs")).toBeGreaterThan(5);
  // ...and not one write went to what the phase read reads.
  expect(writes.get("transitions") ?? 0).toBe(0);
  console.log(`writes while the backfill and verify ran: ${JSON.stringify([...writes])}`);

  // A phase move is the one thing that does.
  const moved = await countWrites(async () => {
    await move("readNew");
  });
  expect(moved.get("transitions")).toBe(1);
});

test("an action cannot ask the phase: its answer would outlive its transaction", async () => {
  const t = setup();
  await expectRolloutError(t.action(fn("action", "writesNewFromAction"), {}), "InvalidArgument");
});
