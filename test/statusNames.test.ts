/**
 * Status answers exactly what it is asked: one entry per migration named (in
 * order, "unknown" for one that never ran), the rollouts named however many
 * are declared, and a first run's rough progress without `estimatedTotal`.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { ref } from "./fixtures/faults.js";
import {
  drain,
  expectRolloutError,
  runScheduledOnce,
  seedPosts,
  setup,
  statusOf,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("status by name", () => {
  test("one entry per migration named, in order; one that never ran is unknown with its start command", async () => {
    const t = setup();
    await seedPosts(t, 10);
    await t.mutation(ref("bump"), {});
    await drain(t);
    const { migrations, rollouts } = await t.query(internal.migrations.status, {
      names: ["migrations:setDefaultPlan", "testing:bump", "migrations.js:normalizeEmails"],
    });
    expect(migrations.map((m) => [m.name, m.state])).toEqual([
      ["migrations:setDefaultPlan", "unknown"],
      ["testing:bump", "done"],
      ["migrations:normalizeEmails", "unknown"],
    ]);
    expect(migrations[0]).toMatchObject({
      processed: 0,
      runId: "",
      commands: { start: "npx convex run migrations:setDefaultPlan" },
    });
    // Asked by name, status answers only what was named: no rollout here.
    expect(rollouts).toEqual([]);
  });

  test("the drop-in-style getStatus answers unknown too", async () => {
    const t = setup();
    const statuses = await t.run(
      async (ctx) =>
        await (
          await import("../example/convex/migrations.js")
        ).migrations.getStatus(ctx, { migrations: ["migrations:setDefaultPlan"] }),
    );
    expect(statuses).toMatchObject([{ name: "migrations:setDefaultPlan", state: "unknown" }]);
  });

  test("a rollout's name among names answers that rollout, not a migration", async () => {
    const t = setup();
    const { migrations, rollouts } = await t.query(internal.migrations.status, {
      names: ["users.splitName", "migrations:fillNameParts"],
    });
    expect(migrations.map((m) => m.name)).toEqual(["migrations:fillNameParts"]);
    expect(rollouts.map((r) => [r.name, r.phase])).toEqual([["users.splitName", "schema"]]);
  });

  test("rollouts answers exactly the rollouts named, however many are declared", async () => {
    const t = setup();
    const all = await t.query(internal.migrations.status, { limit: 1 });
    // Bounded by limit when nothing is named...
    expect(all.rollouts).toHaveLength(1);
    expect(all.rolloutsOmitted).toBeGreaterThan(0);
    // ...but a named one is answered whatever the limit.
    const named = await t.query(internal.migrations.status, {
      rollouts: ["users.bio", "users.splitName"],
      limit: 1,
    });
    expect(named.rollouts.map((r) => r.name)).toEqual(["users.bio", "users.splitName"]);
    expect(named.migrations).toEqual([]);
    expect(named.rolloutsOmitted).toBeUndefined();
  });

  test("a rollout name that is neither declared nor moved is refused with the declared ones", async () => {
    const t = setup();
    const data = await expectRolloutError(
      t.query(internal.migrations.status, { rollouts: ["users.nope"] }),
      "UnknownRollout",
    );
    expect(data.message).toContain("users.splitName");
  });
});

describe("a first run's progress without estimatedTotal", () => {
  test("is estimated from the cursor's creation time, marked as an estimate, 100% when done", async () => {
    const t = setup();
    await seedPosts(t, 400);
    await t.mutation(ref("bump"), { batchSize: 100, delayMs: 1_000 });
    await runScheduledOnce(t);
    vi.advanceTimersByTime(1_000);
    await t.finishInProgressScheduledFunctions();
    const two = await statusOf(t);
    expect(two).toMatchObject({ processed: 200, estimateFrom: "creationTime" });
    // The posts' creation times are evenly spread here: the estimate lands near 400.
    expect(two.estimatedTotal).toBeGreaterThanOrEqual(380);
    expect(two.estimatedTotal).toBeLessThanOrEqual(420);
    expect(two.percent).toBeGreaterThan(45);
    expect(two.percent).toBeLessThan(55);
    expect(two.etaMs).not.toBeNull();
    await drain(t);
    expect(await statusOf(t)).toMatchObject({ state: "done", percent: 100, etaMs: null });
  });

  test("a given estimate is not marked", async () => {
    const t = setup();
    await seedPosts(t, 200);
    await t.mutation(ref("bump"), { batchSize: 100, estimatedTotal: 200 });
    await runScheduledOnce(t);
    const status = await statusOf(t);
    expect(status).toMatchObject({ estimatedTotal: 200, percent: 50 });
    expect(status.estimateFrom).toBeUndefined();
  });
});
