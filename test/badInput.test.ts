/**
 * Bad input gets a typed ConvexError whose message says what to do next, and
 * nothing is written: not the app's tables, not the component's.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { Rollouts, isRolloutError } from "../src/client/index.js";
import type { ComponentApi } from "../src/component/_generated/component.js";
import { ref } from "./fixtures/faults.js";
import {
  expectRolloutError,
  runScheduledOnce,
  seedPosts,
  seedUsers,
  setup,
  snapshot,
  type T,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A table with a half-done run, so a bad call has saved state it could damage. */
async function halfDone(): Promise<T> {
  const t = setup();
  await seedUsers(t, 150);
  await seedPosts(t, 150);
  await t.mutation(ref("bump"), {});
  await runScheduledOnce(t);
  return t;
}

async function expectRefusedAndUnchanged(
  t: T,
  call: () => Promise<unknown>,
  kind: Parameters<typeof expectRolloutError>[1],
) {
  const before = await snapshot(t);
  const data = await expectRolloutError(call(), kind);
  expect(await snapshot(t)).toEqual(before);
  return data;
}

describe("batch sizes", () => {
  for (const batchSize of [0, -1, 1.5, 16_001, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`${batchSize} is refused when starting, in a dry run and through a runner`, async () => {
      const t = await halfDone();
      const data = await expectRefusedAndUnchanged(
        t,
        () => t.mutation(internal.migrations.setDefaultPlan, { batchSize }),
        "InvalidBatchSize",
      );
      expect(data.message).toMatch(/from 1 to 16000/);
      await expectRefusedAndUnchanged(
        t,
        () => t.mutation(ref("bump"), { batchSize, dryRun: true }),
        "InvalidBatchSize",
      );
      await expectRefusedAndUnchanged(
        t,
        () => t.mutation(internal.migrations.run, { fn: "testing:bump", batchSize }),
        "InvalidBatchSize",
      );
    });
  }

  test("in the client's options or define() is refused when the module loads", () => {
    const component = {} as ComponentApi;
    expect(() => new Rollouts(component, { defaultBatchSize: 0 })).toThrow(/batchSize/);
    const migrations = new Rollouts(component);
    let error: unknown;
    try {
      migrations.define({ table: "users", batchSize: 20_000, migrateOne: () => undefined });
    } catch (e) {
      error = e;
    }
    expect(isRolloutError(error, "InvalidBatchSize")).toBe(true);
  });
});

describe("cursors", () => {
  test("one that does not parse is refused", async () => {
    const t = await halfDone();
    const data = await expectRefusedAndUnchanged(
      t,
      () => t.mutation(ref("bump"), { cursor: "not a cursor" }),
      "InvalidCursor",
    );
    expect(data.message).toMatch(/leave the cursor out|reset/i);
  });

  test("one Convex cannot read for this table is refused", async () => {
    const t = await halfDone();
    await expectRefusedAndUnchanged(
      t,
      () => t.mutation(ref("bump"), { cursor: "posts|{not json" }),
      "InvalidCursor",
    );
    await expectRefusedAndUnchanged(
      t,
      () => t.mutation(ref("bump"), { cursor: "posts|{not json", dryRun: true }),
      "InvalidCursor",
    );
  });

  test("one saved for another table is refused, naming both tables", async () => {
    const t = await halfDone();
    const [status] = (await t.query(internal.migrations.status, { names: ["testing:bump"] }))
      .migrations;
    const data = await expectRefusedAndUnchanged(
      t,
      () => t.mutation(internal.migrations.setDefaultPlan, { cursor: status!.cursor }),
      "InvalidCursor",
    );
    expect(data).toMatchObject({ table: "users", cursorTable: "posts" });
  });
});

describe("names", () => {
  test("an unknown migration is refused by the runner", async () => {
    const t = await halfDone();
    const data = await expectRefusedAndUnchanged(
      t,
      () => t.mutation(internal.migrations.run, { fn: "migrations:doesNotExist" }),
      "UnknownMigration",
    );
    expect(data.message).toContain("migrations:doesNotExist");
  });

  test("a function that is not a migration is refused", async () => {
    const t = await halfDone();
    await expectRefusedAndUnchanged(
      t,
      () => t.mutation(internal.migrations.run, { fn: "testing:notAMigration" }),
      "NotAMigration",
    );
    await expectRefusedAndUnchanged(
      t,
      () => t.mutation(internal.migrations.run, { fn: "users:create" }),
      "NotAMigration",
    );
  });

  test("a chain with an unknown name is refused before anything starts", async () => {
    const t = await halfDone();
    await expectRefusedAndUnchanged(
      t,
      () =>
        t.mutation(internal.migrations.run, {
          fn: "migrations:setDefaultPlan",
          next: ["migrations:nope"],
        }),
      "UnknownMigration",
    );
  });

  test("a runner with nothing to run says how to name one", async () => {
    const t = await halfDone();
    const data = await expectRefusedAndUnchanged(
      t,
      () => t.mutation(internal.migrations.run, {}),
      "InvalidArgument",
    );
    expect(data.message).toContain(`'{"fn": "migrations:setDefault"}'`);
  });

  test("a migration called with another migration's name is refused", async () => {
    const t = await halfDone();
    await expectRefusedAndUnchanged(
      t,
      () => t.mutation(internal.migrations.setDefaultPlan, { fn: "migrations:countPostWords" }),
      "InvalidArgument",
    );
  });

  test("canceling a migration that never ran is refused", async () => {
    const t = await halfDone();
    await expectRefusedAndUnchanged(
      t,
      () => t.mutation(internal.migrations.cancel, { name: "migrations:neverRan" }),
      "UnknownMigration",
    );
  });
});

describe("status", () => {
  for (const limit of [0, -3, 2.5, 101, Number.NaN]) {
    test(`limit ${limit} is refused`, async () => {
      const t = await halfDone();
      await expectRolloutError(t.query(internal.migrations.status, { limit }), "InvalidArgument");
    });
  }
});
