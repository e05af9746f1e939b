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
import { MONITOR_PAGE } from "../src/component/monitor.js";
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
/** An id of the scheduler's table that has no record (convex-test's id form). */
const MISSING_JOB = "99999999999999999999999999_scheduled_functions";
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
  // The app's batch runs under limits below its transaction's, so a batch that
  // reaches a limit is caught and retried in its own transaction. What cannot
  // be caught there fails the whole scheduled job: here, a skip run whose
  // failing documents need more ledger writes than the transaction may make.
  // Nothing of the job commits; the monitor finds the failed job and retries
  // the batch smaller, after a backoff.
  const failing = (i: number) => `FAIL ${i}`;

  test("the monitor retries it smaller; nothing of the failed attempt is kept, and every post is recorded once", async () => {
    const t = setup({ documentsWritten: 100 });
    await seedPosts(t, 240, failing);
    await t.mutation(bump, { batchSize: 110, onError: "skip" });
    // The batch fails. Status says so at once; the monitor (its check may already have run)
    // schedules a smaller retry.
    await runScheduledOnce(t);
    const recovering = await statusOf(t);
    expect(recovering).toMatchObject({ state: "running", processed: 0, batches: 0, cursor: null });
    expect(recovering.error).toMatch(
      /^(Recovering|Retry 1 of 5 after): a scheduled batch failed as a whole/,
    );
    const ledger = async () =>
      await runInComponent(t, async (ctx) => await ctx.db.query("failures").collect());
    expect(await ledger()).toEqual([]);

    await drain(t);
    const done = await statusOf(t);
    expect(done).toMatchObject({ state: "done", processed: 240, failed: 240 });
    expect(done.batchSize).toBeLessThan(110);
    expect(done.error).toBeUndefined();
    const entries = await ledger();
    expect(entries).toHaveLength(240);
    expect(new Set(entries.map((e) => e.documentId)).size).toBe(240);
    expect(await bumpCounts(t)).toEqual(Array(240).fill(null));
  });

  test("stepped by an action (runToCompletion), it is recorded and retried smaller, not thrown", async () => {
    const t = setup({ documentsWritten: 100 });
    await seedPosts(t, 240, failing);
    const status = (await t.action(fn("action", "complete"), {
      batchSize: 110,
      onError: "skip",
    })) as MigrationStatus;
    expect(status).toMatchObject({ state: "done", processed: 240, failed: 240 });
    expect(status.batchSize).toBeLessThan(110);
  });

  test("while it recovers, cancel stops it for good and starting resumes it at its cursor", async () => {
    const t = setup({ documentsWritten: 100 });
    await seedPosts(t, 240, failing);
    await t.mutation(bump, { batchSize: 110, onError: "skip" });
    await runScheduledOnce(t);
    expect(await t.mutation(internal.migrations.cancel, { name: NAME })).toMatchObject({
      state: "canceled",
    });
    // Nothing drives a canceled run: the monitor leaves it alone.
    const before = await pagedSnapshot(t);
    await drain(t);
    expect(await pagedSnapshot(t)).toEqual(before);
    await t.mutation(bump, { batchSize: 10 });
    await drain(t);
    expect(await statusOf(t)).toMatchObject({ state: "done", processed: 240, failed: 240 });
  });

  test("a job whose record is gone (past the scheduler's retention) counts as ended: the run is driven again", async () => {
    const t = setup();
    await seedPosts(t, 120);
    const { status } = (await t.mutation(bump, { batchSize: 50 })) as StartResult;
    await runScheduledOnce(t);
    // The pending batch is lost and its record with it: point the run at a job that is not there.
    await runInComponent(t, async (ctx) => {
      const run = (await ctx.db.get(status.runId as Id<"runs">)) as { jobId: string };
      await ctx.scheduler.cancel(run.jobId as Id<"_scheduled_functions">);
      await ctx.db.patch(status.runId as Id<"runs">, { jobId: MISSING_JOB });
    });
    expect((await statusOf(t)).error).toMatch(/record is gone/);
    await drain(t);
    expect(await statusOf(t)).toMatchObject({ state: "done", processed: 120 });
    expect(await bumpCounts(t)).toEqual(ones(120));
  });
});

describe("a function handle that no longer exists after a deploy", () => {
  // The batch fails in its own transaction ("no such export"): the run retries
  // it after a backoff, a bounded number of times, so a deploy that is still
  // rolling out (or a runAll that brings the current handle) needs nobody.

  test("the batch is retried with a backoff; then the run fails with the reason, and starting again refreshes the handle", async () => {
    const t = setup();
    await seedPosts(t, 250);
    const { status: started } = (await t.mutation(bump, { batchSize: 100 })) as StartResult;
    await runScheduledOnce(t);
    const afterOne = await statusOf(t);
    await breakHandle(t, started.runId);
    await runScheduledOnce(t);
    const retrying = await statusOf(t);
    expect(retrying).toMatchObject({ state: "running", processed: 100, cursor: afterOne.cursor });
    expect(retrying.error).toMatch(/^Retry 1 of 5 after: .*no such export/);

    await drain(t);
    const failed = await statusOf(t);
    expect(failed).toMatchObject({
      state: "failed",
      processed: 100,
      batches: 1,
      cursor: afterOne.cursor,
    });
    expect(failed.error).toMatch(
      /^Stopped after 6 failed attempts at the same batch: .*no such export/,
    );
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

  test("a runner started during the retries refreshes it: the run finishes without failing", async () => {
    const t = setup();
    await seedPosts(t, 250);
    const { status: started } = (await t.mutation(bump, { batchSize: 100 })) as StartResult;
    await runScheduledOnce(t);
    await breakHandle(t, started.runId);
    await runScheduledOnce(t);
    expect(await statusOf(t)).toMatchObject({ state: "running" });
    expect(await t.mutation(internal.migrations.run, { fn: NAME })).toMatchObject({
      started: false,
      status: { runId: started.runId },
    });
    await drain(t);
    expect(await statusOf(t)).toMatchObject({ state: "done", processed: 250 });
    expect(await bumpCounts(t)).toEqual(ones(250));
  });

  test("the resume verb takes the current handle and finishes a failed run exactly once", async () => {
    // After a deploy that moved the function, the handle stored with the run leads
    // nowhere; `resume` (like `status.commands.resume`) sends the current one.
    const t = setup();
    await seedPosts(t, 250);
    const { status: started } = (await t.mutation(bump, { batchSize: 100 })) as StartResult;
    await runScheduledOnce(t);
    await breakHandle(t, started.runId);
    await drain(t);
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
    // It never ran: status answers it as unknown.
    expect(
      (
        await t.query(internal.migrations.status, { names: ["migrations:countPostWords"] })
      ).migrations.map((m) => m.state),
    ).toEqual(["unknown"]);

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

  test("in a rollout's verify pass: after its retries the pass fails with the reason, the gate says verify, and verify recovers", async () => {
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
    // A deploy removed the function the pass calls.
    await runInComponent(t, async (ctx) => {
      const row = await ctx.db
        .query("rollouts")
        .filter((q) => q.eq(q.field("name"), "posts.counted"))
        .unique();
      const { verifyRunId } = row as { verifyRunId: Id<"runs"> };
      await ctx.db.patch(verifyRunId, { fnHandle: GONE });
    });
    await drain(t);
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
    await drain(t);
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
    await drain(t); // the retries, then the run fails
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

describe("the monitor", () => {
  test("with more running runs than one check's page, it looks at them all", async () => {
    const t = setup();
    await seedPosts(t, 20);
    // 205 runs of one migration under different names, each with its job lost.
    const count = MONITOR_PAGE + 5;
    await t.mutation(fn("mutation", "startMany"), { count });
    await runInComponent(t, async (ctx) => {
      for (const run of await ctx.db.query("runs").collect()) {
        const jobId = (run as { jobId?: Id<"_scheduled_functions"> }).jobId;
        if (jobId) await ctx.scheduler.cancel(jobId);
      }
    });
    await drain(t);
    const states = await runInComponent(t, async (ctx) =>
      (await ctx.db.query("runs").collect()).map((run) => (run as { state: string }).state),
    );
    expect(states).toHaveLength(count);
    expect(new Set(states)).toEqual(new Set(["done"]));
  });
});
