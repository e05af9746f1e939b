/**
 * A slice's batch that reaches one of Convex's limits is retried smaller,
 * on its own, at the same cursor, as for one chain; the other slices go on.
 * convex-test enforces scaled-down limits here (see test/compose.test.ts, 2).
 */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import type { MigrationStatus } from "../src/client/index.js";
import { BIG, fn } from "./fixtures/parallel.js";
import { bumpCounts, drain, runScheduledOnce, seedPosts, setup } from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test("a slice's batch that reaches a limit is retried smaller; every document once", async () => {
  const t = setup({ bytesWritten: 400_000 });
  await seedPosts(t, 120);
  await t.mutation(fn("mutation", "bigBump"), {});
  await runScheduledOnce(t);
  const status = async () =>
    (
      (await t.query(fn("query", "status"), { names: ["parallel:bigBump"] })) as {
        migrations: MigrationStatus[];
      }
    ).migrations[0]!;
  const retrying = await status();
  expect(retrying.state).toBe("running");
  // 25 documents of 45 kB write past 400 kB: each slice retries a quarter of the size.
  expect(retrying.slices!.map((s) => s.batchSize)).toEqual([6, 6]);
  expect(retrying.slices!.every((s) => s.processed === 0)).toBe(true);
  expect(retrying.slices!.every((s) => /Retrying a smaller batch/.test(s.error ?? ""))).toBe(true);
  await drain(t);
  expect(await status()).toMatchObject({ state: "done", processed: 120, failed: 0 });
  expect(await bumpCounts(t)).toEqual(Array<number>(120).fill(1));
  const bodies = await t.run(async (ctx) =>
    (await ctx.db.query("posts").collect()).map((p) => p.body.length),
  );
  expect(bodies).toEqual(Array<number>(120).fill(BIG));
});
