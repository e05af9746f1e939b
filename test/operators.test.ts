/**
 * The operators' functions (`migrations.operatorApi()`), through the example's
 * dashboard module and the fixtures in fixtures/operators.ts: who may do what,
 * what an operator's moves record, and what a viewer does not see. Who is
 * refused by every one of them is in exposure.test.ts.
 */
import { makeFunctionReference } from "convex/server";
import { describe, expect, test } from "vitest";
import { api, internal } from "../example/convex/_generated/api.js";
import { HIDDEN, redactError, type OperatorStatus } from "../src/client/index.js";
import {
  drain,
  expectRolloutError,
  runScheduledOnce,
  seedUsers,
  setup,
  snapshot,
  type T,
} from "./harness.js";
import { ANA, listDashboardCallers, VIC } from "./dashboardCallers.js";

// Olu is an operator too.
listDashboardCallers(["olu"]);

/** Users, two of whose emails cannot be normalized: they quote the address in their error. */
async function withBadEmails(t: T, count = 40) {
  await seedUsers(t, count);
  return await t.run(async (ctx) => {
    const users = await ctx.db.query("users").take(2);
    for (const user of users) {
      await ctx.db.patch("users", user._id, { email: `${user.name} lives at 4 Elm Road` });
    }
    return users.map((u) => u._id as string);
  });
}

const run = (status: OperatorStatus, name: string) =>
  status.migrations.find((m) => m.name === name)!;

describe("operators act, and their moves say who and why", () => {
  test("advance and rollback keep the operator's name and reason in the transitions", async () => {
    const t = setup();
    await seedUsers(t, 30);
    const ana = t.withIdentity(ANA);
    await ana.mutation(api.dashboard.advance, {
      rollout: "users.splitName",
      to: "dualWrite",
      reason: "  dual writes deployed in v42 ",
    });
    await ana.mutation(api.dashboard.advance, { rollout: "users.splitName", to: "backfill" });
    await drain(t);
    const status = await ana.query(api.dashboard.status, {});
    const rollout = status.rollouts.find((r) => r.name === "users.splitName")!;
    expect(rollout.next).toMatchObject({ to: "readNew", open: true });
    await ana.mutation(api.dashboard.advance, { rollout: "users.splitName", to: "readNew" });
    const back = await ana.mutation(api.dashboard.rollback, {
      rollout: "users.splitName",
      reason: "p99 up",
    });
    expect(back.phase).toBe("backfill");
    expect(back.transitions.map(({ from, to, by, reason }) => ({ from, to, by, reason }))).toEqual([
      { from: "readNew", to: "backfill", by: "Ana", reason: "p99 up" },
      { from: "backfill", to: "readNew", by: "Ana", reason: undefined },
      { from: "dualWrite", to: "backfill", by: "Ana", reason: undefined },
      { from: "schema", to: "dualWrite", by: "Ana", reason: "dual writes deployed in v42" },
    ]);
  });

  test("a rollback needs a reason, of at most 500 characters; a refused one changes nothing", async () => {
    const t = setup();
    const ana = t.withIdentity(ANA);
    await ana.mutation(api.dashboard.advance, { rollout: "users.splitName", to: "dualWrite" });
    const before = await snapshot(t);
    for (const reason of ["", "   ", "x".repeat(501)]) {
      await expectRolloutError(
        ana.mutation(api.dashboard.rollback, { rollout: "users.splitName", reason }),
        "InvalidArgument",
      );
    }
    await expectRolloutError(
      ana.mutation(api.dashboard.advance, {
        rollout: "users.splitName",
        to: "backfill",
        reason: "y".repeat(501),
      }),
      "InvalidArgument",
    );
    expect(await snapshot(t)).toEqual(before);
    // The package's own errors reach an operator as they are.
    await expectRolloutError(
      ana.mutation(api.dashboard.advance, { rollout: "users.splitName", to: "readNew" }),
      "ImpossiblePhaseMove",
    );
    await expectRolloutError(
      ana.mutation(api.dashboard.rollback, { rollout: "nope", reason: "r" }),
      "UnknownRollout",
    );
  });

  test("pause, throttle, resume and cancel steer a running migration", async () => {
    const t = setup();
    await seedUsers(t, 500);
    await t.mutation(internal.migrations.setDefaultPlan, { batchSize: 100 });
    await runScheduledOnce(t);
    const ana = t.withIdentity(ANA);
    const name = "migrations:setDefaultPlan";
    expect(await ana.mutation(api.dashboard.pause, { name })).toMatchObject({ state: "paused" });
    expect(await ana.mutation(api.dashboard.throttle, { name, delayMs: 250 })).toMatchObject({
      state: "paused",
      delayMs: 250,
    });
    expect(await ana.mutation(api.dashboard.resume, { name })).toMatchObject({ state: "running" });
    expect(await ana.mutation(api.dashboard.cancel, { name })).toMatchObject({
      state: "canceled",
    });
    await ana.mutation(api.dashboard.resume, { name });
    await drain(t);
    const status = await ana.query(api.dashboard.status, {});
    expect(run(status, name)).toMatchObject({ state: "done", processed: 500, delayMs: 250 });
    await expectRolloutError(
      ana.mutation(api.dashboard.throttle, { name, delayMs: -1 }),
      "InvalidArgument",
    );
    await expectRolloutError(
      ana.mutation(api.dashboard.pause, { name: "migrations:neverRan" }),
      "UnknownMigration",
    );
  });

  test("retryFailed retries a finished migration's ledger, and never calls a function that is not one", async () => {
    const t = setup();
    const [first] = await withBadEmails(t);
    const ana = t.withIdentity(ANA);
    const name = "migrations:normalizeEmails";
    await t.mutation(internal.migrations.normalizeEmails, {});
    await drain(t);
    expect(run(await ana.query(api.dashboard.status, {}), name).failures).toHaveLength(2);
    await t.run(async (ctx) => {
      await ctx.db.patch("users", first as never, { email: "fixed@example.com" });
    });
    const retry = await ana.mutation(api.dashboard.retryFailed, { name });
    expect(retry).toMatchObject({ mode: "retryFailed", state: "running", by: "Ana" });
    await drain(t);
    const after = run(await ana.query(api.dashboard.status, {}), name);
    expect(after).toMatchObject({ mode: "retryFailed", state: "done", processed: 2, failed: 1 });
    expect(after.failures).toHaveLength(1);

    // A name from a browser that is not a migration that ran: refused before anything is called.
    const users = await t.run(async (ctx) => (await ctx.db.query("users").collect()).length);
    for (const other of ["users:create", "migrations:neverRan", "dashboard:status"]) {
      await expectRolloutError(
        ana.mutation(api.dashboard.retryFailed, { name: other }),
        "UnknownMigration",
      );
    }
    expect(await t.run(async (ctx) => (await ctx.db.query("users").collect()).length)).toBe(users);
  });

  test("verify starts a pass of a rollout with a verify check", async () => {
    const t = setup();
    await seedUsers(t, 20);
    const ana = t.withIdentity(ANA);
    const status = await ana.mutation(api.dashboard.verify, { rollout: "users.splitName" });
    expect(status.verify).toMatchObject({ state: "running" });
    await drain(t);
    const done = (await ana.query(api.dashboard.status, {})).rollouts[0]!;
    expect(done.verify).toMatchObject({ state: "done", checked: 20, mismatches: 20 });
  });
});

describe("what a viewer sees", () => {
  test("ids, counts and kinds, but not migrateOne's words or a table cursor", async () => {
    const t = setup();
    const ids = await withBadEmails(t);
    await t.mutation(internal.migrations.normalizeEmails, {});
    await drain(t);
    // The same migration stopping on the first bad document (onError "stop").
    await t.mutation(internal.migrations.normalizeEmails, { reset: true, onError: "stop" });
    await drain(t);
    await t.mutation(internal.migrations.setDefaultPlan, { batchSize: 10 });
    await runScheduledOnce(t);

    const shown = await t.withIdentity(ANA).query(api.dashboard.status, {});
    expect(JSON.stringify(shown)).toContain("lives at 4 Elm Road");
    const seen = await t.withIdentity(VIC).query(api.dashboard.status, {});
    expect(seen).toMatchObject({ operator: { role: "viewer", name: "Vic" }, redacted: true });
    expect(JSON.stringify(seen)).not.toMatch(/Elm Road|User \d/);

    const stopped = run(seen, "migrations:normalizeEmails");
    expect(stopped.state).toBe("failed");
    expect(stopped.failedDocumentId).toBe(ids[0]);
    expect(stopped.error).toBe(`MigrateOneFailed on document ${ids[0]} ${HIDDEN}`);
    expect(stopped.failures.map((f) => f.documentId).sort()).toEqual([...ids].sort());
    expect(stopped.failures.every((f) => f.error === `MigrateOneFailed ${HIDDEN}`)).toBe(true);
    const running = run(seen, "migrations:setDefaultPlan");
    expect(running).toMatchObject({ state: "running", cursor: HIDDEN, processed: 10 });
    // Everything else is as an operator sees it.
    const {
      error: _e,
      failures: _f,
      cursor: _c,
      ...rest
    } = run(shown, "migrations:setDefaultPlan");
    expect(running).toMatchObject(rest);
  });

  test("redactErrors: everyone, nobody, or a function of the caller", async () => {
    const t = setup();
    await withBadEmails(t);
    await t.mutation(internal.migrations.normalizeEmails, {});
    await drain(t);
    const statusOf = async (fn: string, who: typeof ANA) =>
      JSON.stringify(
        await t.withIdentity(who).query(makeFunctionReference<"query">(`consoles:${fn}`), {}),
      );
    expect(await statusOf("hiddenForAllStatus", ANA)).not.toContain("Elm Road");
    expect(await statusOf("hiddenButForAnaStatus", ANA)).toContain("Elm Road");
    expect(await statusOf("hiddenButForAnaStatus", { subject: "olu", name: "Olu" })).not.toContain(
      "Elm Road",
    );
    expect(await statusOf("shownToViewersStatus", VIC)).toContain("Elm Road");
  });

  test("an authorize answer that is not an operator or a viewer is a refusal", async () => {
    const t = setup();
    for (const subject of ["admin", "nameless", "string", "yes", "nobody"]) {
      const as = t.withIdentity({ subject });
      await expectRolloutError(
        as.query(makeFunctionReference<"query">("consoles:malformedStatus"), {}),
        "Unauthorized",
      );
      await expectRolloutError(
        as.mutation(makeFunctionReference<"mutation">("consoles:malformedPause"), {
          name: "migrations:setDefaultPlan",
        }),
        "Unauthorized",
      );
    }
  });
});

describe("redactError", () => {
  test.each([
    [
      'migrateOne threw on document k1 of "users": "a@b" is bad.',
      "k1",
      `MigrateOneFailed on document k1 ${HIDDEN}`,
    ],
    [
      'migrateOne threw on document k1 of "users": "a@b" is bad.',
      undefined,
      `MigrateOneFailed ${HIDDEN}`,
    ],
    [
      "Retry 2 of 5 after: Uncaught Error: secret",
      undefined,
      `Retry 2 of 5 after: an error ${HIDDEN}`,
    ],
    [
      "Recovering: a scheduled batch failed as a whole: secret. The monitor retries it within a minute; resume retries it now.",
      undefined,
      `Recovering: an error ${HIDDEN}`,
    ],
    [
      "Stopped after 6 failed attempts at the same batch: Too many documents read in a single function execution",
      undefined,
      `Stopped after 6 failed attempts at the same batch: a Convex limit ${HIDDEN}`,
    ],
    ["anything at all: secret", undefined, `an error ${HIDDEN}`],
  ])("%s", (error, documentId, expected) => {
    expect(redactError(error, documentId)).toBe(expected);
  });
});
