/**
 * Features compose: regressions reported from a consumer app, one per case.
 * Each mixes two features that work on their own (the failure ledger and the
 * readNew gate, skip mode and limit errors, chains and `runToCompletion`,
 * shared backfills, big status pages, scheduler faults) and pins the behaviour
 * the design's invariants 5, 7, 8 and 9 ask for. The fixtures are in
 * fixtures/compose.ts (module "compose").
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { MigrationStatus, RolloutStatus, StartResult, Status } from "../src/client/index.js";
import type { Id } from "../src/component/_generated/dataModel.js";
import { BIG, MANY_ROLLOUTS, bulkName, fn, ref } from "./fixtures/compose.js";
import {
  bumpCounts,
  drain,
  expectRolloutError,
  runInComponent,
  runScheduledOnce,
  seedPosts,
  setup,
  statusOf,
  type T,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const ones = (n: number) => Array<number>(n).fill(1);
const name = (migration: string) => `compose:${migration}`;

async function advance(t: T, rollout: string, to: string, verb = "advance") {
  return (await t.mutation(fn("mutation", verb), { rollout, to })) as RolloutStatus;
}

async function rolloutOf(t: T, rollout: string, verb = "status"): Promise<RolloutStatus> {
  const found = ((await t.query(fn("query", verb), {})) as Status).rollouts.find(
    (r) => r.name === rollout,
  );
  if (!found) throw new Error(`no status for ${rollout}`);
  return found;
}

/** The latest run of a migration, or undefined if it never ran. */
async function maybeStatus(t: T, migration: string): Promise<MigrationStatus | undefined> {
  const { migrations } = (await t.query(fn("query", "status"), { names: [migration] })) as Status;
  // Asked by name, status answers "unknown" for one that never ran.
  return migrations.find((m) => m.state !== "unknown");
}

async function retitle(t: T, id: string, title: string) {
  await t.run(async (ctx) => ctx.db.patch("posts", ctx.db.normalizeId("posts", id)!, { title }));
}

async function remove(t: T, id: string) {
  await t.run(async (ctx) => ctx.db.delete("posts", ctx.db.normalizeId("posts", id)!));
}

/** Every post, read a page at a time (works under tight limits). */
async function allPosts(t: T) {
  const posts = [];
  let cursor: string | null = null;
  for (let isDone = false; !isDone;) {
    const page = await t.run(
      async (ctx) => await ctx.db.query("posts").paginate({ cursor, numItems: 10 }),
    );
    posts.push(...page.page);
    ({ continueCursor: cursor, isDone } = page);
  }
  return posts;
}

/** Every stored run (the component's own rows). */
async function storedRuns(t: T) {
  return (await runInComponent(t, async (ctx) => await ctx.db.query("runs").collect())) as {
    _id: string;
    name: string;
    state: string;
    jobId?: string;
  }[];
}

describe("1. readNew opens over skipped documents", () => {
  const ROLLOUT = "compose.skipped";
  const SKIP = name("skipBump");

  /** A backfill with onError "skip" that ended done with one document in the ledger. */
  async function backfilledOverASkip() {
    const t = setup();
    const ids = await seedPosts(t, 30, (i) => (i === 7 ? "FAIL 7" : `Post ${i}`));
    const failing = ids[7]!;
    await advance(t, ROLLOUT, "dualWrite");
    await advance(t, ROLLOUT, "backfill");
    await drain(t);
    const run = await statusOf(t, SKIP);
    expect(run).toMatchObject({ state: "done", isDone: true, onError: "skip", failed: 1 });
    expect(run.failures.map((f) => f.documentId)).toEqual([failing]);

    // The skipped document is still in the old shape: the gate must say so, and how to fix it.
    const data = await expectRolloutError(advance(t, ROLLOUT, "readNew"), "PhaseGateClosed");
    expect(data.message).toContain("retryFailed");
    expect((await rolloutOf(t, ROLLOUT)).phase).toBe("backfill");
    return { t, failing };
  }

  test("the gate stays closed until a retry converts the skipped document", async () => {
    const { t, failing } = await backfilledOverASkip();
    await retitle(t, failing, "fixed 7");
    await t.mutation(ref("skipBump"), { retryFailed: true });
    await drain(t);
    expect((await statusOf(t, SKIP)).failures).toEqual([]);
    expect((await advance(t, ROLLOUT, "readNew")).phase).toBe("readNew");
    expect(await bumpCounts(t)).toEqual(ones(30));
  });

  test("a skipped document that is deleted, then retried, opens the gate", async () => {
    const { t, failing } = await backfilledOverASkip();
    await remove(t, failing);
    await t.mutation(ref("skipBump"), { retryFailed: true });
    await drain(t);
    expect((await statusOf(t, SKIP)).failures).toEqual([]);
    expect((await advance(t, ROLLOUT, "readNew")).phase).toBe("readNew");
    expect(await bumpCounts(t)).toEqual(ones(29));
  });
});

test('2. with onError "skip", a transaction limit is never a per-document failure', async () => {
  // Each document written is ~45 kB and a transaction may write 400 kB: a batch
  // of the default size fails on the write limit as a whole. That is the batch's
  // size, not the documents' fault: it must shrink, in "skip" mode as in "stop"
  // mode (which gets it right today), and never land in the ledger.
  for (const [migration, onError] of [
    ["bigSkip", "skip"],
    ["bigStop", "stop"],
  ] as const) {
    const t = setup({ bytesWritten: 400_000 });
    await seedPosts(t, 30);
    await t.mutation(ref(migration), {});
    await drain(t);
    const status = await statusOf(t, name(migration));
    expect(status.failures, onError).toEqual([]);
    expect(status, onError).toMatchObject({ state: "done", onError, processed: 30, failed: 0 });
    const posts = await allPosts(t);
    expect(posts).toHaveLength(30);
    expect(posts.map((p) => p.body.length)).toEqual(Array<number>(30).fill(BIG));
    expect(posts.map((p) => p.wordCount)).toEqual(ones(30));
  }
});

test("3. the ledger outlives the fix: a retry after a full reset pass runs nothing twice", async () => {
  const SKIP = name("skipBump");
  const t = setup();
  const ids = await seedPosts(t, 30, (i) => (i === 4 ? "FAIL 4" : `Post ${i}`));
  const d = ids[4]!;
  await t.mutation(ref("skipBump"), {});
  await drain(t);
  expect(await statusOf(t, SKIP)).toMatchObject({ state: "done", failed: 1 });

  // D is fixed, and a new full pass converts it along with every other post.
  await retitle(t, d, "fixed 4");
  await t.mutation(ref("skipBump"), { reset: true });
  await drain(t);
  const afterReset = await statusOf(t, SKIP);
  expect(afterReset).toMatchObject({ state: "done", processed: 30, failed: 0 });
  expect(afterReset.failures).toEqual([]);
  // The entry the pass settled is gone from the ledger itself, not only from status.
  const ledger = await runInComponent(t, async (ctx) => await ctx.db.query("failures").collect());
  expect(ledger).toEqual([]);
  const expected = ids.map((id) => (id === d ? 1 : 2));
  expect(await bumpCounts(t)).toEqual(expected);

  // Nothing is left to retry: a retry must not run migrateOne on D again.
  await t.mutation(ref("skipBump"), { retryFailed: true });
  await drain(t);
  expect(await bumpCounts(t)).toEqual(expected);
  expect((await statusOf(t, SKIP)).failures).toEqual([]);
});

describe("4. a chain stalls after runToCompletion", () => {
  const A = name("chainA");
  const B = name("chainB");

  /** How often chainB ran on each post: it appends one "#" to the body. */
  async function marksOfB(t: T) {
    return (await allPosts(t)).map((p) => p.body.split("#").length - 1);
  }

  test("runSerially([a, b]); a fails; fixed and finished with runToCompletion; b runs", async () => {
    const t = setup();
    const ids = await seedPosts(t, 30, (i) => (i === 12 ? "FAIL 12" : `Post ${i}`));
    const started = (await t.mutation(fn("mutation", "serially"), {})) as StartResult;
    expect(started).toMatchObject({ started: true, status: { name: A, next: [B] } });
    await drain(t);
    expect(await statusOf(t, A)).toMatchObject({ state: "failed", failedDocumentId: ids[12] });

    await retitle(t, ids[12]!, "fixed 12");
    const finished = (await t.action(fn("action", "completeA"), {})) as MigrationStatus;
    expect(finished).toMatchObject({ name: A, state: "done" });
    await drain(t);
    expect(await statusOf(t, B)).toMatchObject({ state: "done", processed: 30 });
    expect(await bumpCounts(t)).toEqual(ones(30));
    expect(await marksOfB(t)).toEqual(ones(30));
  });

  test("a started undriven, a runner chain [a, b] meets it, a driven to the end by step; b runs", async () => {
    const t = setup();
    await seedPosts(t, 30);
    const finished = (await t.action(fn("action", "driveAThenRunner"), {})) as MigrationStatus;
    expect(finished).toMatchObject({ name: A, state: "done", next: [B] });
    await drain(t);
    expect(await statusOf(t, B)).toMatchObject({ state: "done", processed: 30 });
    expect(await bumpCounts(t)).toEqual(ones(30));
    expect(await marksOfB(t)).toEqual(ones(30));
  });
});

describe("5. two rollouts on one backfill", () => {
  const A = "compose.sharedA";
  const B = "compose.sharedB";

  test("the second rollout waits for the first's pass instead of canceling it", async () => {
    const t = setup();
    await seedPosts(t, 50);
    await advance(t, A, "dualWrite");
    const enteredA = await advance(t, A, "backfill");
    const runA = enteredA.backfill.run!.runId;
    await runScheduledOnce(t); // A's pass of sharedFill is under way
    expect((await rolloutOf(t, A)).backfill.run).toMatchObject({ runId: runA, state: "running" });

    await advance(t, B, "dualWrite");
    const data = await expectRolloutError(advance(t, B, "backfill"), "PhaseGateClosed");
    expect(data.message).toContain(A);
    expect((await rolloutOf(t, B)).phase).toBe("dualWrite");
    // A's run goes on.
    expect((await rolloutOf(t, A)).backfill.run).toMatchObject({ runId: runA, state: "running" });

    await drain(t);
    expect((await rolloutOf(t, A)).backfill.run).toMatchObject({
      runId: runA,
      state: "done",
      processed: 50,
    });
    expect((await advance(t, A, "readNew")).phase).toBe("readNew");

    // Now B's backfill may start its own pass.
    expect((await advance(t, B, "backfill")).phase).toBe("backfill");
    await drain(t);
    expect((await advance(t, B, "readNew")).phase).toBe("readNew");
    expect((await allPosts(t)).every((p) => p.wordCount !== undefined)).toBe(true);
  });

  test("a rollout whose own pass stopped is served by the other rollout's later full pass", async () => {
    const t = setup();
    const ids = await seedPosts(t, 50, (i) => (i === 25 ? "FAIL 25" : `Post ${i}`));
    await advance(t, A, "dualWrite");
    await advance(t, A, "backfill");
    await drain(t);
    // A's pass stopped on the failing post.
    expect((await rolloutOf(t, A)).backfill.run).toMatchObject({ state: "failed" });
    await retitle(t, ids[25]!, "Post 25");
    // B's pass is a full pass started after A's (so after A's dual writes): it serves A too.
    await advance(t, B, "dualWrite");
    await advance(t, B, "backfill");
    await drain(t);
    const a = await rolloutOf(t, A);
    expect(a.backfill.run).toMatchObject({ state: "done", processed: 50 });
    expect(a.next).toMatchObject({ to: "readNew", open: true });
    expect((await advance(t, A, "readNew")).phase).toBe("readNew");
    expect((await advance(t, B, "readNew")).phase).toBe("readNew");
    expect((await allPosts(t)).every((p) => p.wordCount !== undefined)).toBe(true);
  });

  test("a backfill renamed by a deploy: the gate says advance, and re-advancing starts the new one", async () => {
    const R = "compose.renamed";
    const t = setup();
    await seedPosts(t, 50);
    await advance(t, R, "dualWrite");
    await advance(t, R, "backfill");
    await runScheduledOnce(t);
    expect(await statusOf(t, name("fillOld"))).toMatchObject({ state: "running", processed: 10 });

    // The deploy: the same rollout now declares fillNew as its backfill.
    const seen = await rolloutOf(t, R, "statusRenamed");
    expect(seen.phase).toBe("backfill");
    expect(seen.next).toMatchObject({ to: "readNew", open: false });
    expect(seen.next!.command).toContain("advance");

    const again = await advance(t, R, "backfill", "advanceRenamed");
    expect(again.phase).toBe("backfill");
    expect(again.backfill).toMatchObject({
      name: name("fillNew"),
      run: { name: name("fillNew"), state: "running", processed: 0, cursor: null },
    });
    await drain(t);
    expect(await statusOf(t, name("fillNew"))).toMatchObject({ state: "done", processed: 50 });
    expect((await advance(t, R, "readNew", "advanceRenamed")).phase).toBe("readNew");
    expect((await allPosts(t)).every((p) => p.wordCount !== undefined)).toBe(true);
  });
});

describe("6. bounded is not complete", () => {
  const COUNT = 102;

  /** The bulk runs' states, through status, in pages of 50 names. */
  async function bulkStates(t: T) {
    const states: Record<string, string> = {};
    for (let from = 0; from < COUNT; from += 50) {
      const names = Array.from({ length: Math.min(50, COUNT - from) }, (_, i) =>
        bulkName(from + i),
      );
      const { migrations } = (await t.query(fn("query", "status"), { names })) as Status;
      for (const m of migrations) states[m.name] = m.state;
    }
    return states;
  }

  test("cancelAll stops every one of 102 running migrations", async () => {
    const t = setup();
    await seedPosts(t, 3);
    await t.mutation(fn("mutation", "startBulk"), { count: COUNT });
    const before = await bulkStates(t);
    expect(Object.values(before).filter((s) => s === "running")).toHaveLength(COUNT);

    await t.mutation(fn("mutation", "cancelEverything"), {});
    const after = await bulkStates(t);
    expect(Object.keys(after)).toHaveLength(COUNT);
    expect(Object.keys(after).filter((n) => after[n] === "running")).toEqual([]);
  });

  test(`status of an app declaring ${MANY_ROLLOUTS} rollouts answers`, async () => {
    const t = setup();
    const answer = (await t.query(fn("query", "manyStatus"), {})) as {
      rollouts: number;
      omitted: number;
      phases: string[];
    };
    expect(answer.rollouts).toBeGreaterThan(0);
    expect(answer.phases).toEqual(["schema"]);
    // Bounded, and it says how many it left out: every declared rollout is accounted for.
    expect(answer.rollouts + answer.omitted).toBe(MANY_ROLLOUTS);
  });

  test("getStatus of 102 named migrations answers one entry per name", async () => {
    const t = setup();
    await seedPosts(t, 3);
    await t.mutation(fn("mutation", "startBulk"), { count: COUNT });
    const names = (await t.query(fn("query", "bulkStatus"), { count: COUNT })) as string[];
    expect(names).toHaveLength(COUNT);
    expect([...names].sort()).toEqual(Array.from({ length: COUNT }, (_, i) => bulkName(i)).sort());
  });
});

describe("7. recovery without a person", () => {
  const STALE = name("staleBump");
  /** What a deploy that removed or renamed a function leaves in a stored handle. */
  const GONE = "function://;compose:removedByDeploy";

  test("batches that hit the read limit shrink on their own and the run finishes", async () => {
    const t = setup({ documentsRead: 1500 });
    await seedPosts(t, 200);
    await t.mutation(ref("readsMany"), {});
    await drain(t);
    expect(await statusOf(t, name("readsMany"))).toMatchObject({
      state: "done",
      isDone: true,
      processed: 200,
    });
    expect(await bumpCounts(t)).toEqual(ones(200));
  });

  test("a stale handle is refreshed by the runner a new deploy calls", async () => {
    const t = setup();
    await seedPosts(t, 150);
    const { status: started } = (await t.mutation(ref("staleBump"), {})) as StartResult;
    await runScheduledOnce(t);
    await runInComponent(t, async (ctx) => {
      await ctx.db.patch(started.runId as Id<"runs">, { fnHandle: GONE });
    });
    expect(await statusOf(t, STALE)).toMatchObject({ state: "running", processed: 50 });

    await t.mutation(fn("mutation", "staleRunner"), {});
    await drain(t);
    expect(await statusOf(t, STALE)).toMatchObject({ state: "done", processed: 150 });
    expect(await bumpCounts(t)).toEqual(ones(150));
  });

  test("a run whose scheduled batch is lost is revived and finishes", async () => {
    const t = setup();
    await seedPosts(t, 150);
    const { status: started } = (await t.mutation(ref("staleBump"), {})) as StartResult;
    await runScheduledOnce(t);
    const run = (await storedRuns(t)).find((r) => r._id === started.runId)!;
    expect(run).toMatchObject({ state: "running" });
    expect(run.jobId).toBeDefined();
    // Lost beyond the scheduler's retention: nothing of it is left to look at.
    await runInComponent(t, async (ctx) => {
      await ctx.scheduler.cancel(run.jobId as Id<"_scheduled_functions">);
    });

    await drain(t);
    expect(await statusOf(t, STALE)).toMatchObject({ state: "done", processed: 150 });
    expect(await bumpCounts(t)).toEqual(ones(150));
  });
});

test("8. runSerially does not start a beside a later member b already running", async () => {
  const A = name("chainA");
  const B = name("chainB");
  const t = setup();
  await seedPosts(t, 30);
  await t.mutation(ref("chainB"), {});
  await runScheduledOnce(t);
  expect(await statusOf(t, B)).toMatchObject({ state: "running", processed: 5 });

  const answer = (await t.mutation(fn("mutation", "serially"), {})) as StartResult;
  expect(answer.started).toBe(false);
  // a never ran: it has no run at all.
  expect(await maybeStatus(t, A)).toBeUndefined();
});
