/**
 * Parallel runs: one migration over k slices of its table at once. Each test
 * counts how often migrateOne ran on every post (the fixtures add one to
 * `wordCount`), so a document processed twice, or never, shows.
 */
import type { GenericId } from "convex/values";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { MigrationStatus, RolloutStatus, StartResult } from "../src/client/index.js";
import { fn } from "./fixtures/parallel.js";
import {
  bumpCounts,
  drain,
  expectRolloutError,
  runInComponent,
  runScheduledOnce,
  seedPosts,
  setup,
  type T,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const ones = (n: number) => Array<number>(n).fill(1);

async function statusOf(t: T, name: string): Promise<MigrationStatus> {
  const { migrations } = (await t.query(fn("query", "status"), { names: [name] })) as {
    migrations: MigrationStatus[];
  };
  return migrations[0]!;
}

const start = async (t: T, name: string, args: Record<string, unknown> = {}) =>
  ((await t.mutation(fn("mutation", name), args)) as StartResult).status;

/** Every slice row of the component, live or done. */
async function sliceRows(t: T) {
  return await runInComponent(t, async (ctx) =>
    (await ctx.db.query("runs").collect()).filter((r) => r.parent !== undefined),
  );
}

describe("a parallel run", () => {
  test("cuts the table into k slices that all start at once and covers it exactly once", async () => {
    const t = setup();
    await seedPosts(t, 1_000);
    const started = await start(t, "bump");
    expect(started).toMatchObject({ state: "running", parallelism: 4 });
    expect(started.slices).toHaveLength(4);
    // The slices partition _creationTime: open below and above, each ending where the next starts.
    const slices = started.slices!;
    expect(slices[0]!.from).toBeNull();
    expect(slices.at(-1)!.to).toBeNull();
    for (let i = 1; i < slices.length; i++) expect(slices[i]!.from).toBe(slices[i - 1]!.to);

    // One round runs one batch of every slice: four batches, not one.
    await runScheduledOnce(t);
    const afterOne = await statusOf(t, "parallel:bump");
    expect(afterOne).toMatchObject({ state: "running", batches: 4, processed: 100 });
    expect(afterOne.slices!.every((s) => s.batches === 1 && s.cursor !== null)).toBe(true);

    await drain(t);
    const done = await statusOf(t, "parallel:bump");
    expect(done).toMatchObject({ state: "done", isDone: true, processed: 1_000, changed: 1_000 });
    expect(done.slices).toEqual([]);
    expect(await bumpCounts(t)).toEqual(ones(1_000));
    // History shows the run, not its slices.
    const { history } = (await t.query(fn("query", "status"), {})) as {
      history: MigrationStatus[];
    };
    expect(history.map((h) => h.name)).toEqual(["parallel:bump"]);
  });

  test("documents inserted during the run fall in exactly one slice", async () => {
    const t = setup();
    await seedPosts(t, 400);
    await start(t, "bump");
    await runScheduledOnce(t);
    await seedPosts(t, 150);
    await runScheduledOnce(t);
    await seedPosts(t, 150);
    await drain(t);
    expect(await statusOf(t, "parallel:bump")).toMatchObject({ state: "done", processed: 700 });
    expect(await bumpCounts(t)).toEqual(ones(700));
  });

  test("a run's own parallelism overrides define()'s; 1 is one chain", async () => {
    const t = setup();
    await seedPosts(t, 300);
    expect((await start(t, "bump", { parallelism: 8 })).slices).toHaveLength(8);
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(300));
    const one = await start(t, "bump", { reset: true, parallelism: 1 });
    expect(one.parallelism).toBeUndefined();
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(300).map(() => 2));
  });

  test("an adaptive run grows its size in one slice, then cuts the rest at that size", async () => {
    const t = setup();
    // About 40 KB a post: a batch of 100 already reads and writes a quarter of the limits.
    await seedPosts(t, 300, undefined, () => "x".repeat(40_000));
    const started = await start(t, "plainBump", { parallelism: 4 });
    expect(started.adaptive).toBe(true);
    // One slice over the whole table finds the size, rather than four each growing from 100.
    expect(started.slices!.map((s) => [s.from, s.to, s.batchSize])).toEqual([[null, null, 100]]);
    await runScheduledOnce(t);
    const cut = await statusOf(t, "parallel:plainBump");
    // Its size stopped growing with about 200 posts (2 batches) left: cut into slices of one
    // batch or two each, as few as give the shortest path, all at the size it found.
    expect(cut.slices!.length).toBeGreaterThan(1);
    expect(cut.slices!.length).toBeLessThanOrEqual(4);
    const size = cut.slices![0]!.batchSize;
    expect(size).toBeLessThanOrEqual(100);
    expect(cut.slices!.every((s) => s.batchSize === size)).toBe(true);
    for (let i = 1; i < cut.slices!.length; i++) {
      expect(cut.slices![i]!.from).toBe(cut.slices![i - 1]!.to);
    }
    expect(cut.slices!.at(-1)!.to).toBeNull();
    await drain(t);
    const done = await statusOf(t, "parallel:plainBump");
    expect(done).toMatchObject({ state: "done", processed: 300 });
    // The ramp's batch, then the rest in whole batches (one more where a cut's estimate was off):
    // slices that just started are not halved again and again for want of a measurement.
    expect(done.batches).toBeLessThanOrEqual(1 + Math.ceil((300 - 100) / size) + 1);
    expect(await bumpCounts(t)).toEqual(ones(300));
  });

  test("an adaptive run over a table one growing chain finishes soon stays one slice", async () => {
    const t = setup();
    await seedPosts(t, 450);
    await start(t, "plainBump", { parallelism: 4 });
    await drain(t);
    const status = await statusOf(t, "parallel:plainBump");
    // 100, then 350 of a next size of 400: four slices would not have been shorter.
    expect(status).toMatchObject({ state: "done", processed: 450, batches: 2 });
    expect(await sliceRows(t)).toHaveLength(1);
    expect(await bumpCounts(t)).toEqual(ones(450));
  });

  test("the knob, pause and resume while the size is still growing: each post once", async () => {
    const t = setup();
    await seedPosts(t, 2_000);
    await start(t, "plainBump", { parallelism: 2 });
    await runScheduledOnce(t);
    // 100 done, the next 400: two slices of 400 would not take the 1,900 left, so it still grows.
    const growing = await statusOf(t, "parallel:plainBump");
    expect(growing.slices!.map((s) => s.batchSize)).toEqual([400]);
    const up = (await t.mutation(fn("mutation", "throttle"), {
      name: "parallel:plainBump",
      parallelism: 4,
    })) as MigrationStatus;
    expect(up.slices!.length).toBeGreaterThan(1);
    expect(up.slices!.every((s) => s.batchSize === 400)).toBe(true);
    await t.mutation(fn("mutation", "pause"), { name: "parallel:plainBump" });
    await drain(t);
    expect(await statusOf(t, "parallel:plainBump")).toMatchObject({
      state: "paused",
      processed: 100,
    });
    await t.mutation(fn("mutation", "resume"), { name: "parallel:plainBump" });
    await drain(t);
    expect(await statusOf(t, "parallel:plainBump")).toMatchObject({
      state: "done",
      processed: 2_000,
    });
    expect(await bumpCounts(t)).toEqual(ones(2_000));
  });

  test("refuses a parallelism out of range, saying what to pass", async () => {
    const t = setup();
    await seedPosts(t, 10);
    await expectRolloutError(start(t, "bump", { parallelism: 0 }), "InvalidArgument");
    await expectRolloutError(start(t, "bump", { parallelism: 2.5 }), "InvalidArgument");
    await expectRolloutError(start(t, "bump", { parallelism: 1_000 }), "InvalidArgument");
  });

  test("falls back to one chain, with a note, on a customRange and on a tiny table", async () => {
    const t = setup();
    await seedPosts(t, 1);
    const tiny = await start(t, "bump");
    expect(tiny.parallelism).toBeUndefined();
    expect(tiny.note).toMatch(/fewer than two documents/);
    await drain(t);
    const { internal } = await import("../example/convex/_generated/api.js");
    const ranged = (
      (await t.mutation(internal.migrations.archiveEmptyPosts, { parallelism: 4 })) as StartResult
    ).status;
    expect(ranged.parallelism).toBeUndefined();
    expect(ranged.note).toMatch(/customRange/);
  });
});

describe("controls act on every slice", () => {
  test("pause stops every slice, resume continues each at its cursor", async () => {
    const t = setup();
    await seedPosts(t, 600);
    await start(t, "bump");
    await runScheduledOnce(t);
    const paused = (await t.mutation(fn("mutation", "pause"), {
      name: "parallel:bump",
    })) as MigrationStatus;
    expect(paused.state).toBe("paused");
    expect(paused.slices!.map((s) => s.state)).toEqual(ones(4).map(() => "paused"));
    await drain(t);
    expect(await statusOf(t, "parallel:bump")).toMatchObject({ state: "paused", processed: 100 });
    const resumed = (await t.mutation(fn("mutation", "resume"), {
      name: "parallel:bump",
    })) as MigrationStatus;
    expect(resumed.slices!.every((s) => s.state === "running")).toBe(true);
    await drain(t);
    expect(await statusOf(t, "parallel:bump")).toMatchObject({ state: "done", processed: 600 });
    expect(await bumpCounts(t)).toEqual(ones(600));
  });

  test("cancel and cancelAll stop every slice; starting again resumes them", async () => {
    const t = setup();
    await seedPosts(t, 600);
    await start(t, "bump");
    await runScheduledOnce(t);
    const canceled = (await t.mutation(fn("mutation", "cancel"), {
      name: "parallel:bump",
    })) as MigrationStatus;
    expect(canceled.state).toBe("canceled");
    expect(canceled.slices!.every((s) => s.state === "canceled")).toBe(true);
    await start(t, "bump");
    await runScheduledOnce(t);
    const all = (await t.mutation(fn("mutation", "cancelAll"), {})) as MigrationStatus[];
    expect(all.map((s) => s.name)).toEqual(["parallel:bump"]);
    expect((await sliceRows(t)).filter((s) => s.state === "running")).toEqual([]);
    await start(t, "bump");
    await drain(t);
    expect(await statusOf(t, "parallel:bump")).toMatchObject({ state: "done", processed: 600 });
    expect(await bumpCounts(t)).toEqual(ones(600));
  });

  test("the live knob: more slices split the longest, fewer are not replaced", async () => {
    const t = setup();
    await seedPosts(t, 1_200);
    await start(t, "bump", { parallelism: 2 });
    await runScheduledOnce(t);
    const up = (await t.mutation(fn("mutation", "throttle"), {
      name: "parallel:bump",
      parallelism: 6,
    })) as MigrationStatus;
    expect(up.parallelism).toBe(6);
    expect(up.slices).toHaveLength(6);
    await runScheduledOnce(t);
    expect((await statusOf(t, "parallel:bump")).batches).toBe(2 + 6);
    const down = (await t.mutation(fn("mutation", "throttle"), {
      name: "parallel:bump",
      parallelism: 1,
      delayMs: 10,
    })) as MigrationStatus;
    expect(down).toMatchObject({ parallelism: 1, delayMs: 10 });
    expect(down.slices).toHaveLength(6);
    await drain(t);
    expect(await statusOf(t, "parallel:bump")).toMatchObject({ state: "done", processed: 1_200 });
    expect(await bumpCounts(t)).toEqual(ones(1_200));
  });

  test("the knob on a run of one chain says how to start one in slices", async () => {
    const t = setup();
    await seedPosts(t, 50);
    await start(t, "plainBump");
    await expectRolloutError(
      t.mutation(fn("mutation", "throttle"), { name: "parallel:plainBump", parallelism: 4 }),
      "InvalidArgument",
    );
  });
});

describe("failures and recovery, per slice", () => {
  test("skip: failing documents go to the ledger from every slice; a retry converts them", async () => {
    const t = setup();
    const ids = await seedPosts(t, 400, (i) => (i % 97 === 5 ? `FAIL ${i}` : `Post ${i}`));
    await start(t, "skipBump");
    await drain(t);
    const done = await statusOf(t, "parallel:skipBump");
    expect(done).toMatchObject({ state: "done", processed: 400, failed: 5, changed: 395 });
    await t.run(async (ctx) => {
      for (const [i, id] of ids.entries()) {
        if (i % 97 === 5) await ctx.db.patch("posts", id, { title: `Fixed ${i}` });
      }
    });
    const retry = await start(t, "skipBump", { retryFailed: true });
    expect(retry.note).toMatch(/retry of the failure ledger/);
    await drain(t);
    expect(await statusOf(t, "parallel:skipBump")).toMatchObject({ state: "done", failures: [] });
    expect(await bumpCounts(t)).toEqual(ones(400));
  });

  test("a slice that fails stops the run; fixed and resumed, every slice goes on", async () => {
    const t = setup();
    const ids = await seedPosts(t, 400, (i) => (i === 250 ? "FAIL here" : `Post ${i}`));
    await start(t, "bump");
    await drain(t);
    const failed = await statusOf(t, "parallel:bump");
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatch(/^Slice \d: .*FAIL here/);
    expect(failed.failedDocumentId).toBe(ids[250]);
    expect(failed.slices!.some((s) => s.error?.startsWith("Stopped: slice"))).toBe(true);
    await t.run(async (ctx) => await ctx.db.patch("posts", ids[250]!, { title: "fixed" }));
    await start(t, "bump");
    await drain(t);
    expect(await statusOf(t, "parallel:bump")).toMatchObject({ state: "done", processed: 400 });
    expect(await bumpCounts(t)).toEqual(ones(400));
  });

  test("the monitor revives a slice whose driver is gone", async () => {
    const t = setup();
    await seedPosts(t, 400);
    await start(t, "bump");
    // Someone cancels one slice's scheduled batch from outside: nothing drives that slice.
    await runInComponent(t, async (ctx) => {
      const rows = (await ctx.db.query("runs").collect()) as unknown as {
        jobId?: GenericId<"_scheduled_functions">;
        slice?: { index: number };
      }[];
      const slice = rows.find((r) => r.slice?.index === 2)!;
      await ctx.scheduler.cancel(slice.jobId!);
    });
    const before = await statusOf(t, "parallel:bump");
    expect(before.error).toMatch(/^Recovering: /);
    await drain(t);
    expect(await statusOf(t, "parallel:bump")).toMatchObject({ state: "done", processed: 400 });
    expect(await bumpCounts(t)).toEqual(ones(400));
  });

  test("runToCompletion steps every slice in one action", async () => {
    const t = setup();
    await seedPosts(t, 500);
    const done = (await t.action(fn("action", "complete"), { parallelism: 4 })) as MigrationStatus;
    expect(done).toMatchObject({ state: "done", processed: 500, parallelism: 4 });
    expect(await bumpCounts(t)).toEqual(ones(500));
  });
});

describe("what waits for every slice", () => {
  test("a chain continues only after the last slice", async () => {
    const t = setup();
    await seedPosts(t, 500);
    await t.mutation(fn("mutation", "runSerially"), {});
    for (let i = 0; i < 3; i++) await runScheduledOnce(t);
    expect((await statusOf(t, "parallel:bump")).state).toBe("running");
    expect(
      (await t.query(fn("query", "status"), { names: ["parallel:mark"] })) as unknown,
    ).toMatchObject({
      // Named and never run: status answers it as unknown (not started yet).
      migrations: [{ name: "parallel:mark", state: "unknown" }],
    });
    await drain(t);
    expect(await statusOf(t, "parallel:mark")).toMatchObject({ state: "done", processed: 500 });
    const marks = await t.run(async (ctx) =>
      (await ctx.db.query("posts").collect()).map((p) => p.body.split("#").length - 1),
    );
    expect(marks).toEqual(ones(500));
  });

  test("a rollout's readNew gate waits for every slice of its backfill, then its verify", async () => {
    const t = setup();
    await seedPosts(t, 600);
    const move = async (to: string) =>
      (await t.mutation(fn("mutation", "advance"), {
        rollout: "parallel.counted",
        to,
      })) as RolloutStatus;
    await move("dualWrite");
    const entered = await move("backfill");
    expect(entered.backfill.run).toMatchObject({ state: "running", parallelism: 4 });
    // Posts written during the backfill all land in the last slice, so the others finish first.
    await seedPosts(t, 300);
    for (let i = 0; i < 7; i++) await runScheduledOnce(t);
    const partway = await statusOf(t, "parallel:countOnce");
    expect(partway.state).toBe("running");
    expect(partway.processed).toBeGreaterThanOrEqual(600);
    await expectRolloutError(move("readNew"), "PhaseGateClosed");
    await drain(t);
    const moved = await move("readNew");
    expect(moved.phase).toBe("readNew");
    expect(moved.verify).toMatchObject({ state: "done", checked: 900, mismatches: 0 });
  });
});
