/**
 * Failures in the component's own scheduling, not in migrateOne: a scheduled
 * batch that fails as a whole (a Convex limit), a function handle that no
 * longer leads anywhere after a deploy, and a migration renamed in code. Each
 * must end in a clear state that status shows, and the recovery the package
 * offers (start again, resume, cancel) must work, or its limits are written
 * down here precisely.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import type { Id } from "../src/component/_generated/dataModel.js";
import type { MigrationStatus, RolloutStatus, StartResult, Status } from "../src/client/index.js";
import { fn, ref } from "./fixtures/faults.js";
import {
  bumpCounts,
  drain,
  runScheduledOnce,
  seedPosts,
  seedUsers,
  setup,
  snapshot,
  type T,
  runInComponent,
  statusOf,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const NAME = "testing:bump";
const bump = ref("bump");
const ones = (n: number) => Array<number>(n).fill(1);
/** What a deploy that removed or renamed a function leaves in a stored handle (convex-test's form). */
const GONE = "function://;testing:removedByDeploy";

/**
 * Everything a run could change, read in pages so it works under tight
 * transaction limits (the harness's snapshot reads whole tables at once).
 */
async function pagedSnapshot(t: T) {
  const component = await runInComponent(t, async (ctx) => ({
    migrations: await ctx.db.query("migrations").collect(),
    runs: await ctx.db.query("runs").collect(),
    failures: await ctx.db.query("failures").collect(),
  }));
  return { counts: await bumpCounts(t), component };
}

/** What a deploy that removed the function does to a stored run: its handle leads nowhere. */
async function breakHandle(t: T, runId: string) {
  await runInComponent(t, async (ctx) => {
    await ctx.db.patch(runId as Id<"runs">, { fnHandle: GONE });
  });
}

describe("a scheduled batch that fails as a whole", () => {
  // With Convex's limits enforced, a batch that scans too much fails, and the
  // component's bookkeeping in the same transaction fails with it: the
  // scheduled job fails, and the run cannot record anything itself.

  test("shows as failed in status, writes nothing, and starting again resumes at the cursor", async () => {
    const t = setup({ documentsRead: 150 });
    await seedPosts(t, 250);
    await t.mutation(bump, { batchSize: 60 });
    await runScheduledOnce(t);
    const good = await statusOf(t);
    expect(good).toMatchObject({ state: "running", batches: 1, processed: 60 });
    // A deploy raises the batch size past what a transaction may scan.
    await t.mutation(fn("mutation", "pause"), { name: NAME });
    await t.mutation(bump, { batchSize: 200 });
    await runScheduledOnce(t);
    const failed = await statusOf(t);
    expect(failed).toMatchObject({
      state: "failed",
      isDone: false,
      batches: 1,
      processed: 60,
      cursor: good.cursor,
    });
    // convex-test records a failed job without its error text, so here the message ends
    // in "undefined"; on a deployment it carries the job's error ("Scanned too many…").
    expect(failed.error).toMatch(/^A scheduled batch failed outside the migration's own code/);
    expect(failed.endedAt).toBeDefined();
    const counts = await bumpCounts(t);
    expect(counts.slice(0, 60)).toEqual(ones(60));
    expect(counts.slice(60)).toEqual(Array(190).fill(null));

    // Nothing else runs on its own: the failed job scheduled no successor.
    const before = await pagedSnapshot(t);
    await drain(t);
    expect(await pagedSnapshot(t)).toEqual(before);

    // Recovery: start again with a batch that fits; it resumes the same run at its cursor.
    const resumed = (await t.mutation(bump, { batchSize: 50 })) as StartResult;
    expect(resumed).toMatchObject({
      started: true,
      status: { state: "running", runId: failed.runId, cursor: good.cursor, processed: 60 },
    });
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(250));
    expect(await statusOf(t)).toMatchObject({ state: "done", processed: 250, runId: failed.runId });
  });

  test("the resume verb and cancel act on it as on any failed run", async () => {
    const t = setup({ documentsRead: 60 });
    await seedPosts(t, 120);
    await t.mutation(bump, { batchSize: 100 });
    await runScheduledOnce(t);
    expect(await statusOf(t)).toMatchObject({ state: "failed", processed: 0 });

    // cancel answers the failed state and writes nothing: a failed run is already stopped.
    const before = await pagedSnapshot(t);
    expect(await t.mutation(internal.migrations.cancel, { name: NAME })).toMatchObject({
      state: "failed",
    });
    expect(await pagedSnapshot(t)).toEqual(before);
    // pause likewise.
    expect(await t.mutation(fn("mutation", "pause"), { name: NAME })).toMatchObject({
      state: "failed",
    });

    // resume keeps the fixed batch size, so it fails again the same way...
    expect(await t.mutation(fn("mutation", "resume"), { name: NAME })).toMatchObject({
      state: "running",
      batchSize: 100,
    });
    await runScheduledOnce(t);
    expect(await statusOf(t)).toMatchObject({ state: "failed", processed: 0 });
    // ...and starting with a smaller one finishes it, every post once.
    await t.mutation(bump, { batchSize: 20 });
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(120));
    expect(await statusOf(t)).toMatchObject({ state: "done", processed: 120 });
  });

  test("cancel and cancelAll both leave it failed, as it stands, and starting resumes it", async () => {
    // Both read the run as it really stands (its batch failed), so neither turns it
    // into "canceled"; starting it again resumes it in place either way.
    const t = setup({ documentsRead: 60 });
    await seedPosts(t, 120);
    await t.mutation(bump, { batchSize: 100 });
    await runScheduledOnce(t);
    expect(await statusOf(t)).toMatchObject({ state: "failed" });
    expect(await t.mutation(internal.migrations.cancelAll, {})).toEqual([]);
    expect(await t.mutation(internal.migrations.cancel, { name: NAME })).toMatchObject({
      state: "failed",
    });
    await t.mutation(bump, { batchSize: 20 });
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(120));
  });

  test("an adaptive run resumes smaller after each, and finishes every post exactly once", async () => {
    // A whole-batch failure cannot shrink the batch in its own transaction (the
    // transaction is over its limit): the run stops as failed, and each resume
    // starts at a quarter of the failed size, with a ceiling of half of it.
    const t = setup({ documentsRead: 60 });
    await seedPosts(t, 120);
    await t.mutation(bump, {});
    let resumes = 0;
    const sizes: number[] = [];
    for (let i = 0; i < 60; i++) {
      await runScheduledOnce(t);
      const status = await statusOf(t);
      if (status.state === "done") break;
      if (status.state === "failed") {
        expect(status.error).toMatch(/scheduled batch failed/);
        const resumed = (await t.mutation(fn("mutation", "resume"), {
          name: NAME,
        })) as MigrationStatus;
        sizes.push(resumed.batchSize);
        resumes++;
      }
    }
    expect(await statusOf(t)).toMatchObject({ state: "done", processed: 120, adaptive: true });
    expect(await bumpCounts(t)).toEqual(ones(120));
    // Each resume starts smaller than the batch that failed; it took a person to resume each time.
    expect(resumes).toBeGreaterThan(0);
    expect(sizes[0]).toBe(25);
    expect(sizes.every((size) => size < 100)).toBe(true);
  });
});

describe("a function handle that no longer exists after a deploy", () => {
  test("fails the run with the reason in status; starting the migration again refreshes the handle", async () => {
    const t = setup();
    await seedPosts(t, 250);
    const { status: started } = (await t.mutation(bump, { batchSize: 100 })) as StartResult;
    await runScheduledOnce(t);
    const afterOne = await statusOf(t);
    await breakHandle(t, started.runId);
    await runScheduledOnce(t);

    const failed = await statusOf(t);
    expect(failed).toMatchObject({
      state: "failed",
      processed: 100,
      batches: 1,
      cursor: afterOne.cursor,
    });
    expect(failed.error).toMatch(/no such export/);
    expect(failed.failedDocumentId).toBeUndefined();
    expect(failed.commands.start).toBe(`npx convex run ${NAME}`);
    const counts = await bumpCounts(t);
    expect(counts.filter((c) => c === 1)).toHaveLength(100);

    // Starting through the migration itself sends the current handle: the run
    // resumes in place and finishes, every post once.
    const resumed = (await t.mutation(bump, {})) as StartResult;
    expect(resumed).toMatchObject({
      started: true,
      status: { runId: started.runId, cursor: afterOne.cursor, processed: 100 },
    });
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(250));
    expect(await statusOf(t)).toMatchObject({ state: "done", processed: 250 });
  });

  test("a runner started after the deploy refreshes it too", async () => {
    const t = setup();
    await seedPosts(t, 250);
    const { status: started } = (await t.mutation(bump, { batchSize: 100 })) as StartResult;
    await runScheduledOnce(t);
    await breakHandle(t, started.runId);
    await runScheduledOnce(t);
    expect(await statusOf(t)).toMatchObject({ state: "failed" });
    await t.mutation(internal.migrations.run, { fn: NAME });
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(250));
  });

  test("the resume verb takes the current handle and finishes the run exactly once", async () => {
    // After a deploy that moved the function, the handle stored with the run leads
    // nowhere; `resume` (like `status.commands.resume`) sends the current one.
    const t = setup();
    await seedPosts(t, 250);
    const { status: started } = (await t.mutation(bump, { batchSize: 100 })) as StartResult;
    await runScheduledOnce(t);
    await breakHandle(t, started.runId);
    await runScheduledOnce(t);
    expect(await statusOf(t)).toMatchObject({ state: "failed", processed: 100 });
    expect(await t.mutation(fn("mutation", "resume"), { name: NAME })).toMatchObject({
      state: "running",
    });
    await drain(t);
    expect(await statusOf(t)).toMatchObject({ state: "done", processed: 250 });
    const stored = await runInComponent(
      t,
      async (ctx) => await ctx.db.get(started.runId as Id<"runs">),
    );
    expect((stored as { fnHandle: string }).fnHandle).not.toBe(GONE);
    expect(await bumpCounts(t)).toEqual(ones(250));
  });

  test("a run canceled before the deploy resumes with the new handle when started", async () => {
    const t = setup();
    await seedPosts(t, 250);
    const { status: started } = (await t.mutation(bump, { batchSize: 100 })) as StartResult;
    await runScheduledOnce(t);
    await t.mutation(internal.migrations.cancel, { name: NAME });
    await breakHandle(t, started.runId);
    await t.mutation(bump, {});
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(250));
  });

  test("in a runAll chain: the finished run says why the next did not start; runAll again continues", async () => {
    const t = setup();
    await seedUsers(t, 120);
    await seedPosts(t, 60, undefined, (i) => (i % 3 === 0 ? "" : "a b c"));
    const first = (await t.mutation(internal.migrations.runAll, {})) as StartResult;
    // The deploy removed the chain's next function while the first ran.
    await runInComponent(t, async (ctx) => {
      const runId = first.status.runId as Id<"runs">;
      const run = (await ctx.db.get(runId)) as { next: { name: string; fnHandle: string }[] };
      const next = [{ ...run.next[0]!, fnHandle: GONE }, ...run.next.slice(1)];
      await ctx.db.patch(runId, { next });
    });
    await drain(t);
    const done = await statusOf(t, "migrations:setDefaultPlan");
    expect(done).toMatchObject({ state: "done", isDone: true });
    expect(done.error).toMatch(
      /^Done, but the next migration migrations:countPostWords could not start: .*no such export/,
    );
    expect(
      (await t.query(internal.migrations.status, { names: ["migrations:countPostWords"] }))
        .migrations,
    ).toEqual([]);

    // runAll again: the first is done, so the chain goes on from the next, with current handles.
    const again = (await t.mutation(internal.migrations.runAll, {})) as StartResult;
    expect(again).toMatchObject({ started: true, status: { name: "migrations:countPostWords" } });
    await drain(t);
    for (const name of ["migrations:countPostWords", "migrations:archiveEmptyPosts"]) {
      expect(await statusOf(t, name)).toMatchObject({ state: "done" });
    }
    const posts = await t.run(async (ctx) => await ctx.db.query("posts").collect());
    expect(posts.filter((p) => p.archived)).toHaveLength(20);
  });

  test("in a rollout's verify pass: the pass fails with the reason, the gate says verify, and verify recovers", async () => {
    const t = setup();
    await seedPosts(t, 40);
    const move = (to: string) =>
      t.mutation(fn("mutation", "advance"), {
        rollout: "posts.counted",
        to,
      }) as Promise<RolloutStatus>;
    const rollout = async () =>
      ((await t.query(fn("query", "status"), {})) as Status).rollouts.find(
        (r) => r.name === "posts.counted",
      )!;
    await move("dualWrite");
    await move("backfill");
    await runScheduledOnce(t); // the backfill's only batch; the verify pass is scheduled
    expect((await rollout()).verify?.state).toBe("running");
    await runInComponent(t, async (ctx) => {
      const row = await ctx.db
        .query("rollouts")
        .filter((q) => q.eq(q.field("name"), "posts.counted"))
        .unique();
      const { _id, backfill } = row as { _id: Id<"rollouts">; backfill: { name: string } };
      await ctx.db.patch(_id, { backfill: { ...backfill, fnHandle: GONE } });
    });
    await runScheduledOnce(t);
    const broken = await rollout();
    expect(broken.verify).toMatchObject({ state: "failed" });
    expect(broken.verify?.error).toMatch(/no such export/);
    expect(broken.next).toMatchObject({
      to: "readNew",
      open: false,
      command: `npx convex run testing:verify '{"rollout":"posts.counted"}'`,
    });
    // The verify command sends the current handle and runs a new pass.
    await t.mutation(fn("mutation", "verify"), { rollout: "posts.counted" });
    await drain(t);
    expect((await rollout()).verify).toMatchObject({ state: "done", checked: 40, mismatches: 0 });
    expect((await move("readNew")).phase).toBe("readNew");
  });

  test("in a rollout's backfill: the gate names the command that resumes it, which works", async () => {
    const t = setup();
    await seedPosts(t, 250);
    const move = (to: string) =>
      t.mutation(fn("mutation", "advance"), {
        rollout: "posts.counted",
        to,
      }) as Promise<RolloutStatus>;
    await move("dualWrite");
    const entered = await move("backfill");
    await runScheduledOnce(t);
    await breakHandle(t, entered.backfill.run!.runId);
    await runScheduledOnce(t);
    const rollout = ((await t.query(fn("query", "status"), {})) as Status).rollouts.find(
      (r) => r.name === "posts.counted",
    )!;
    expect(rollout.backfill.run).toMatchObject({ state: "failed", processed: 100 });
    expect(rollout.next).toMatchObject({
      to: "readNew",
      open: false,
      command: "npx convex run testing:countOnce",
    });
    await t.mutation(ref("countOnce"), {});
    await drain(t); // the backfill, then the verify pass it starts
    expect((await move("readNew")).phase).toBe("readNew");
    const posts = await t.run(async (ctx) => await ctx.db.query("posts").collect());
    expect(posts.every((p) => p.wordCount !== undefined)).toBe(true);
  });
});

describe("a migration renamed in code", () => {
  // testing:bumpByHand stands for testing:bump under a new name: it also adds one
  // to each post's wordCount. The deploy that renamed it left the old name's run
  // with a handle to a function that is gone.
  async function renamedMidRun(): Promise<{ t: T; old: MigrationStatus }> {
    const t = setup();
    await seedPosts(t, 250);
    const { status } = (await t.mutation(bump, { batchSize: 100 })) as StartResult;
    await runScheduledOnce(t);
    await breakHandle(t, status.runId);
    await runScheduledOnce(t);
    const old = await statusOf(t);
    expect(old).toMatchObject({ state: "failed", processed: 100 });
    expect(old.error).toMatch(/no such export/);
    return { t, old };
  }

  test("the old name's run is left failed, saying why; the new name starts a fresh run", async () => {
    const { t, old } = await renamedMidRun();
    const fresh = (await t.mutation(ref("bumpByHand"), { batchSize: 100 })) as StartResult;
    expect(fresh).toMatchObject({
      started: true,
      status: { name: "testing:bumpByHand", cursor: null, processed: 0 },
    });
    await drain(t);
    expect(await statusOf(t, "testing:bumpByHand")).toMatchObject({
      state: "done",
      processed: 250,
    });
    // A fresh run goes over the whole range: the posts the old name had done get migrateOne
    // again (harmless for an idempotent migrateOne; this counter shows it).
    expect(await bumpCounts(t)).toEqual([...Array<number>(100).fill(2), ...ones(150)]);
    // The old run stays in status as it was: failed, with the reason.
    expect(await statusOf(t)).toMatchObject({
      state: "failed",
      processed: 100,
      error: old.error,
      runId: old.runId,
    });
    // Canceling it changes nothing: a failed run is already stopped.
    const before = await snapshot(t);
    expect(await t.mutation(internal.migrations.cancel, { name: NAME })).toMatchObject({
      state: "failed",
    });
    expect(await snapshot(t)).toEqual(before);
  });

  test("started at the old run's cursor, the new name continues where the old one stopped", async () => {
    const { t, old } = await renamedMidRun();
    const continued = (await t.mutation(ref("bumpByHand"), {
      cursor: old.cursor,
      batchSize: 100,
    })) as StartResult;
    expect(continued).toMatchObject({ started: true, status: { cursor: old.cursor } });
    await drain(t);
    expect(await bumpCounts(t)).toEqual(ones(250));
    expect(await statusOf(t, "testing:bumpByHand")).toMatchObject({
      state: "done",
      processed: 150,
    });
  });
});
