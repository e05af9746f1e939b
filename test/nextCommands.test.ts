/**
 * What a refusal or a gate says to do next does what it says: the names it
 * suggests exist, the command it prints moves the user forward, the wording
 * counts right.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { fn, ref } from "./fixtures/faults.js";
import { drain, expectRolloutError, seedPosts, setup } from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("names a refusal suggests", () => {
  test("pause of an export without its file asks whether the one that ran was meant", async () => {
    const t = setup();
    await seedPosts(t, 5);
    await t.mutation(ref("bump"), {});
    await drain(t);
    const data = await expectRolloutError(
      t.mutation(fn("mutation", "pause"), { name: "bump" }),
      "UnknownMigration",
    );
    expect(data.message).toContain('did you mean "testing:bump"?');
    expect(data.didYouMean).toBe("testing:bump");
    // What it suggests is a name the verb takes.
    await t.mutation(fn("mutation", "pause"), { name: data.didYouMean as string });
  });

  test("a name like no migration that ran gets the plain refusal", async () => {
    const t = setup();
    const data = await expectRolloutError(
      t.mutation(fn("mutation", "pause"), { name: "nothingLikeIt" }),
      "UnknownMigration",
    );
    expect(data.didYouMean).toBeUndefined();
    expect(data.message).toContain("migrations:status");
  });
});

describe("a rollout's status", () => {
  test("one nobody moved has no updatedAt; a moved one has when", async () => {
    const t = setup();
    const before = await t.query(internal.migrations.status, { rollouts: ["users.splitName"] });
    expect(before.rollouts[0]!.updatedAt).toBeUndefined();
    // Entering dualWrite says what turns on, whatever the case of its first letter.
    expect(before.rollouts[0]!.next!.detail).toMatch(/^dual writes begin: writesNew\(\)/);
    await t.mutation(internal.migrations.advance, { rollout: "users.splitName", to: "dualWrite" });
    const after = await t.query(internal.migrations.status, { rollouts: ["users.splitName"] });
    expect(after.rollouts[0]!.updatedAt).toBeGreaterThan(0);
  });
});
