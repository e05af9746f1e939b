/**
 * Bad input to every function the package exposes to an app, table-driven and
 * with fast-check: the CLI verbs of `migrations.api()`, a migration made by
 * `define()`, and runners. Each bad call must be refused with this package's
 * ConvexError of the right kind, or, for a value of the wrong type, with
 * Convex's own argument validation ("Validator error" in convex-test,
 * "ArgumentValidationError" on a deployment), and must change nothing: not
 * the app's tables, not the component's, not its scheduled functions.
 *
 * Extends test/badInput.test.ts (batch sizes, cursors, names and status limits
 * on start, dry run and runner) to the other verbs and arguments.
 */
import fc from "fast-check";
import type { FunctionReference } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { isRolloutError, PHASES, type RolloutErrorKind } from "../src/client/index.js";
import { fn, ref } from "./fixtures/faults.js";
import {
  drain,
  runScheduledOnce,
  seedPosts,
  seedUsers,
  setup,
  snapshot,
  type T,
  runInComponent,
} from "./harness.js";
import { seedPlans } from "./seeds.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const NAME = "testing:bump";
const ROLLOUT = "posts.counted";
const LONG = "x".repeat(100_000);
/** The fixed seeds of `test/seeds.ts` (or `FC_SEED`, `FC_RUNS` to replay one). */
const PLANS = seedPlans("badInput").filter((plan) => plan.skip === undefined);

/** Everything: the harness's snapshot plus the ledger, rollouts, transitions and scheduled jobs. */
async function everything(t: T) {
  const rest = await runInComponent(t, async (ctx) => ({
    failures: await ctx.db.query("failures").collect(),
    rollouts: await ctx.db.query("rollouts").collect(),
    transitions: await ctx.db.query("transitions").collect(),
    scheduled: await ctx.db.system.query("_scheduled_functions").collect(),
  }));
  return { ...(await snapshot(t)), ...rest };
}

/**
 * A deployment with saved state a bad call could damage: a run in progress
 * (onError "skip", one post in the ledger), and a rollout in dualWrite.
 */
async function busy(): Promise<T> {
  const t = setup();
  await seedUsers(t, 20);
  await seedPosts(t, 150, (i) => (i === 5 ? "FAIL 5" : `Post ${i}`));
  await t.mutation(ref("bump"), { batchSize: 50, onError: "skip" });
  await runScheduledOnce(t);
  await t.mutation(fn("mutation", "advance"), { rollout: ROLLOUT, to: "dualWrite" });
  return t;
}

type Refusal = RolloutErrorKind | "validation";

/** How a call was refused: this package's error kind, or Convex's argument validation. */
async function refusal(call: Promise<unknown>): Promise<Refusal | "accepted"> {
  try {
    await call;
    return "accepted";
  } catch (error) {
    if (isRolloutError(error)) {
      expect(error.data.message.length).toBeGreaterThan(20);
      return error.data.kind;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (/Validator error|ArgumentValidationError|Object is missing|extra field/i.test(message)) {
      return "validation";
    }
    throw error;
  }
}

type Call = (t: T) => Promise<unknown>;
const m = (name: string) => fn("mutation", name);
const q = (name: string) => fn("query", name);
/** Calls with arguments of the wrong type, which the typings would not allow. */
const raw = <Type extends "query" | "mutation" | "action">(
  ref: FunctionReference<Type, "internal">,
) => ref as unknown as FunctionReference<Type, "internal", Record<string, unknown>>;

const cases: [string, Call, Refusal][] = [
  // Wrong types and missing fields: Convex's own validation.
  [
    "migration: batchSize as a string",
    (t) => t.mutation(raw(ref("bump")), { batchSize: "10" }),
    "validation",
  ],
  [
    "migration: cursor as a number",
    (t) => t.mutation(raw(ref("bump")), { cursor: 5 }),
    "validation",
  ],
  [
    "migration: onError unknown",
    (t) => t.mutation(raw(ref("bump")), { onError: "maybe" }),
    "validation",
  ],
  [
    "migration: next as a string",
    (t) => t.mutation(raw(ref("bump")), { next: "testing:bump" }),
    "validation",
  ],
  [
    "migration: an unknown field",
    (t) => t.mutation(raw(ref("bump")), { batchsize: 10 }),
    "validation",
  ],
  [
    "migration: a step of unknown kind",
    (t) => t.mutation(raw(ref("bump")), { step: { kind: "drop" } }),
    "validation",
  ],
  [
    "runner: fn as a number",
    (t) => t.mutation(raw(internal.migrations.run), { fn: 5 }),
    "validation",
  ],
  [
    "runner: a step",
    (t) =>
      t.mutation(raw(internal.migrations.run), {
        fn: NAME,
        step: { kind: "describe", cursor: null },
      }),
    "validation",
  ],
  ["cancel: no name", (t) => t.mutation(raw(internal.migrations.cancel), {}), "validation"],
  ["pause: name as a number", (t) => t.mutation(raw(m("pause")), { name: 5 }), "validation"],
  // Both knobs are optional now (delayMs, parallelism): naming neither says what to pass.
  ["throttle: no knob", (t) => t.mutation(raw(m("throttle")), { name: NAME }), "InvalidArgument"],
  [
    "throttle: parallelism as a string",
    (t) => t.mutation(raw(m("throttle")), { name: NAME, parallelism: "5" }),
    "validation",
  ],
  [
    "throttle: delayMs as a string",
    (t) => t.mutation(raw(m("throttle")), { name: NAME, delayMs: "5" }),
    "validation",
  ],
  // Both are optional (the newest 20 by default): of the wrong type, they are refused.
  [
    "history: numItems as a string",
    (t) => t.query(raw(q("history")), { numItems: "5" }),
    "validation",
  ],
  ["status: names as a string", (t) => t.query(raw(q("status")), { names: NAME }), "validation"],
  ["advance: no to", (t) => t.mutation(raw(m("advance")), { rollout: ROLLOUT }), "validation"],
  [
    "rollback: rollout as null",
    (t) => t.mutation(raw(m("rollback")), { rollout: null }),
    "validation",
  ],
  ["plan: no fn", (t) => t.action(raw(fn("action", "plan")), {}), "validation"],

  // Names nobody defined.
  [
    "cancel: an empty name",
    (t) => t.mutation(internal.migrations.cancel, { name: "" }),
    "UnknownMigration",
  ],
  [
    "cancel: a 100k-character name",
    (t) => t.mutation(internal.migrations.cancel, { name: LONG }),
    "UnknownMigration",
  ],
  [
    "pause: an unknown name",
    (t) => t.mutation(m("pause"), { name: "testing:nope" }),
    "UnknownMigration",
  ],
  [
    "resume: an unknown name",
    (t) => t.mutation(m("resume"), { name: "testing:nope" }),
    "UnknownMigration",
  ],
  [
    "throttle: an unknown name",
    (t) => t.mutation(m("throttle"), { name: LONG, delayMs: 5 }),
    "UnknownMigration",
  ],
  [
    "runner: an empty fn",
    (t) => t.mutation(internal.migrations.run, { fn: "" }),
    "UnknownMigration",
  ],
  [
    "runner: a 100k-character fn",
    (t) => t.mutation(internal.migrations.run, { fn: `testing:${LONG}` }),
    "UnknownMigration",
  ],
  [
    "runner: a query",
    (t) => t.mutation(internal.migrations.run, { fn: "testing:status" }),
    "NotAMigration",
  ],
  [
    "runner: a chain with a 100k-character name",
    (t) => t.mutation(internal.migrations.run, { fn: "migrations:setDefaultPlan", next: [LONG] }),
    "UnknownMigration",
  ],
  [
    "migration: another migration's 100k-character name",
    (t) => t.mutation(ref("bump"), { fn: LONG }),
    "InvalidArgument",
  ],
  [
    "plan: an unknown migration",
    (t) => t.action(fn("action", "plan"), { fn: "testing:nope" }),
    "UnknownMigration",
  ],
  [
    "advance: an empty rollout",
    (t) => t.mutation(m("advance"), { rollout: "", to: "dualWrite" }),
    "UnknownRollout",
  ],
  [
    "advance: a 100k-character rollout",
    (t) => t.mutation(m("advance"), { rollout: LONG, to: "dualWrite" }),
    "UnknownRollout",
  ],
  [
    "rollback: an unknown rollout",
    (t) => t.mutation(m("rollback"), { rollout: "posts.nope" }),
    "UnknownRollout",
  ],
  [
    "verify: an unknown rollout",
    (t) => t.mutation(m("verify"), { rollout: LONG }),
    "UnknownRollout",
  ],
  [
    "verify: a rollout with no verify function",
    (t) => t.mutation(m("verify"), { rollout: "posts.unverified" }),
    "InvalidArgument",
  ],

  // Phases.
  [
    "advance: to an empty phase",
    (t) => t.mutation(m("advance"), { rollout: ROLLOUT, to: "" }),
    "ImpossiblePhaseMove",
  ],
  [
    "advance: to a 100k-character phase",
    (t) => t.mutation(m("advance"), { rollout: ROLLOUT, to: LONG }),
    "ImpossiblePhaseMove",
  ],
  [
    "advance: to a phase in the wrong case",
    (t) => t.mutation(m("advance"), { rollout: ROLLOUT, to: "BACKFILL" }),
    "ImpossiblePhaseMove",
  ],
  [
    "advance: two phases ahead",
    (t) => t.mutation(m("advance"), { rollout: ROLLOUT, to: "readNew" }),
    "ImpossiblePhaseMove",
  ],
  [
    "advance: backwards",
    (t) => t.mutation(m("advance"), { rollout: ROLLOUT, to: "schema" }),
    "ImpossiblePhaseMove",
  ],

  // Numbers.
  ...[-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 3_600_001].flatMap(
    (delayMs): [string, Call, Refusal][] => [
      [
        `throttle: delayMs ${delayMs}`,
        (t) => t.mutation(m("throttle"), { name: NAME, delayMs }),
        "InvalidArgument",
      ],
      [
        `migration: delayMs ${delayMs}`,
        (t) => t.mutation(internal.migrations.setDefaultPlan, { delayMs }),
        "InvalidArgument",
      ],
    ],
  ),
  ...[-1, 0.5, Number.NaN, Number.NEGATIVE_INFINITY].map(
    (estimatedTotal): [string, Call, Refusal] => [
      `migration: estimatedTotal ${estimatedTotal}`,
      (t) => t.mutation(internal.migrations.setDefaultPlan, { estimatedTotal }),
      "InvalidArgument",
    ],
  ),
  ...[0, -1, 1.5, Number.NaN, 101].map((maxBatches): [string, Call, Refusal] => [
    `dry run: maxBatches ${maxBatches}`,
    (t) => t.mutation(ref("bump"), { dryRun: true, maxBatches }),
    "InvalidArgument",
  ]),
  [
    "plan: maxBatches 1.5",
    (t) => t.action(fn("action", "plan"), { fn: NAME, maxBatches: 1.5 }),
    "InvalidArgument",
  ],
  [
    "plan: batchSize 0",
    (t) => t.action(fn("action", "plan"), { fn: NAME, batchSize: 0 }),
    "InvalidBatchSize",
  ],
  [
    "migration: batchSize 1e300",
    (t) => t.mutation(ref("bump"), { batchSize: 1e300 }),
    "InvalidBatchSize",
  ],
  [
    "migration: batchSize -0.0001",
    (t) => t.mutation(internal.migrations.run, { fn: NAME, batchSize: -0.0001 }),
    "InvalidBatchSize",
  ],
  ...[0, -1, 1.5, Number.NaN, 101].map((numItems): [string, Call, Refusal] => [
    `history: numItems ${numItems}`,
    (t) => t.query(q("history"), { cursor: null, numItems }),
    "InvalidArgument",
  ]),
  [
    "status: limit Infinity",
    (t) => t.query(q("status"), { limit: Number.POSITIVE_INFINITY }),
    "InvalidArgument",
  ],

  // Cursors.
  [
    "history: a garbage cursor",
    (t) => t.query(q("history"), { cursor: "garbage", numItems: 5 }),
    "InvalidCursor",
  ],
  [
    "history: a 100k-character cursor",
    (t) => t.query(q("history"), { cursor: LONG, numItems: 5 }),
    "InvalidCursor",
  ],
  [
    "migration: a 100k-character cursor",
    (t) => t.mutation(ref("bump"), { cursor: LONG }),
    "InvalidCursor",
  ],
  [
    "migration: a 100k-character cursor for its table",
    (t) => t.mutation(ref("bump"), { cursor: `posts|${LONG}` }),
    "InvalidCursor",
  ],
  [
    "dry run: a cursor for another table",
    (t) => t.mutation(ref("bump"), { dryRun: true, cursor: "users|[]" }),
    "InvalidCursor",
  ],
  [
    "plan: a garbage cursor",
    (t) => t.action(fn("action", "plan"), { fn: NAME, cursor: "garbage" }),
    "InvalidCursor",
  ],

  // Flags that do not fit the state.
  [
    "migration: retryFailed while its run is not done",
    (t) => t.mutation(ref("bump"), { retryFailed: true }),
    "InvalidArgument",
  ],
];

describe("every bad call is refused with its kind and changes nothing", () => {
  for (const [what, call, expected] of cases) {
    test(what, async () => {
      const t = await busy();
      const before = await everything(t);
      expect(await refusal(call(t))).toBe(expected);
      expect(await everything(t)).toEqual(before);
    });
  }
});

describe("random bad values (fast-check)", () => {
  test(`print the seeds (${PLANS.map((plan) => plan.seed).join(", ")})`, () => {
    for (const plan of PLANS) {
      console.log(
        `badInput.props: ${plan.numRuns} values per property, seed ${plan.seed} (replay: ${plan.replay})`,
      );
    }
    expect(PLANS.length).toBeGreaterThan(0);
  });

  /**
   * One busy deployment per property: every value generated is one that must
   * change nothing (refused, or a no-op), so the deployment can be shared.
   */
  async function refusedAndUnchanged<V>(
    arb: fc.Arbitrary<V>,
    call: (t: T, value: V) => Promise<unknown>,
    expected: (value: V) => Refusal | "accepted" | "either",
  ) {
    const t = await busy();
    // What the deployment holds now. Nothing runs between two values, so what one value left
    // is what the next starts from: read once after each call, not again before the next.
    let now = await everything(t);
    for (const plan of PLANS) {
      await fc.assert(
        fc.asyncProperty(arb, async (value) => {
          const before = now;
          const outcome = await refusal(call(t, value));
          now = await everything(t);
          const want = expected(value);
          if (want !== "either") expect(outcome).toBe(want);
          expect(now).toEqual(before);
        }),
        { seed: plan.seed, numRuns: plan.numRuns },
      );
    }
  }

  const badBatchSize = fc
    .oneof(fc.double(), fc.integer({ min: -100, max: 0 }), fc.integer({ min: 16_001 }))
    .filter((n) => !(Number.isInteger(n) && n >= 1 && n <= 16_000));

  test("batch sizes outside 1..16000 are refused by the migration, its dry run and the runner", async () => {
    await refusedAndUnchanged(
      fc.tuple(badBatchSize, fc.constantFrom("start", "dryRun", "runner")),
      (t, [batchSize, via]) =>
        via === "runner"
          ? t.mutation(internal.migrations.run, { fn: NAME, batchSize })
          : t.mutation(ref("bump"), { batchSize, dryRun: via === "dryRun" }),
      () => "InvalidBatchSize",
    );
  }, 60_000);

  test("delays outside 0..3600000 ms are refused by throttle and start", async () => {
    await refusedAndUnchanged(
      fc.tuple(
        fc
          .oneof(fc.double(), fc.integer({ min: 3_600_001 }), fc.integer({ max: -1 }))
          .filter((ms) => !(Number.isInteger(ms) && ms >= 0 && ms <= 3_600_000)),
        fc.boolean(),
      ),
      (t, [delayMs, viaThrottle]) =>
        viaThrottle
          ? t.mutation(m("throttle"), { name: NAME, delayMs })
          : t.mutation(internal.migrations.setDefaultPlan, { delayMs }),
      () => "InvalidArgument",
    );
  }, 60_000);

  test("names that never ran are refused by cancel, pause, resume and throttle", async () => {
    await refusedAndUnchanged(
      fc.tuple(
        fc.string({ maxLength: 300 }).filter((name) => name !== NAME),
        fc.constantFrom("cancel", "pause", "resume", "throttle"),
      ),
      (t, [name, verb]) =>
        verb === "throttle"
          ? t.mutation(m("throttle"), { name, delayMs: 0 })
          : verb === "cancel"
            ? t.mutation(internal.migrations.cancel, { name })
            : t.mutation(m(verb), { name }),
      () => "UnknownMigration",
    );
  }, 60_000);

  test("cursors: anything Convex cannot read is refused; nothing is started over a running run", async () => {
    // The run is running, so even a cursor Convex can read starts nothing.
    await refusedAndUnchanged(
      fc.tuple(
        fc.constantFrom("", "posts|", "users|", "posts|[", "|"),
        fc.string({ maxLength: 200 }),
        fc.boolean(),
      ),
      (t, [prefix, rest, dryRun]) =>
        t.mutation(ref("bump"), { cursor: prefix + rest, ...(dryRun ? { dryRun } : {}) }),
      // Past "posts|" convex-test parses the rest itself: some strings it reads.
      ([prefix, rest]) =>
        prefix === "posts|" || prefix === "posts|["
          ? "either"
          : prefix === "" && rest.startsWith("posts|")
            ? "either"
            : "InvalidCursor",
    );
  }, 60_000);

  test("advance to anything but the next phase is refused as an impossible move", async () => {
    await refusedAndUnchanged(
      // The rollout is in dualWrite: advancing there changes nothing; to backfill would move it.
      fc
        .oneof(fc.string({ maxLength: 100 }), fc.constantFrom<string>(...PHASES))
        .filter((to) => to !== "backfill"),
      (t, to) => t.mutation(m("advance"), { rollout: ROLLOUT, to, by: "fc" }),
      (to) => (to === "dualWrite" ? "accepted" : "ImpossiblePhaseMove"),
    );
  }, 60_000);
});

describe("gaps found by these tests, each fixed and kept as a test", () => {
  // Was a bug (src/component/start.ts, startMigration): the cursor check is skipped for any
  // cursor starting with "failures|" (meant for resuming a retry run), so a person who
  // passes one (say, copied from a retry run's status) to a migration whose run is not
  // running gets a new run that fails at its first batch with InvalidCursor, instead
  // of a refusal that changes nothing. The dry run refuses the same cursor.
  // Fixed: skip the check only when resuming a stored retry run
  // (`!fresh && live.retryFailed`) or when retrying; check `request.cursor` otherwise.
  test("a cursor of the failure ledger is refused by start, as by the dry run", async () => {
    const t = setup();
    await seedPosts(t, 3);
    await t.mutation(ref("bump"), {});
    await drain(t);
    const before = await everything(t);
    expect(await refusal(t.mutation(ref("bump"), { cursor: "failures|", dryRun: true }))).toBe(
      "InvalidCursor",
    );
    expect(await refusal(t.mutation(ref("bump"), { cursor: "failures|" }))).toBe("InvalidCursor");
    expect(await everything(t)).toEqual(before);
  });

  // Was a bug (src/client/actions.ts, planToEnd; src/client/cli.ts, plan): maxBatches is not
  // checked before the loop, so 0, a negative number or NaN skip it and answer an empty
  // report (batches 0, isDone false, continueCursor null, which is not even a valid
  // DryRunReport) instead of an InvalidArgument; the dry run itself refuses them.
  // Fixed: check maxBatches (a whole number >= 1, or absent) in planToEnd.
  for (const maxBatches of [0, -1, Number.NaN]) {
    test(`plan refuses maxBatches ${maxBatches}`, async () => {
      const t = await busy();
      const before = await everything(t);
      expect(await refusal(t.action(fn("action", "plan"), { fn: NAME, maxBatches }))).toBe(
        "InvalidArgument",
      );
      expect(await everything(t)).toEqual(before);
    });
  }

  test("documents current behaviour: a person may send a migration the component's step", async () => {
    // `define()` answers `step` from anyone who may call an internal function (an
    // admin, the CLI): a batch step migrates a page outside of any run, so its
    // documents get migrateOne once more than the runs account for (here the first
    // three posts, which the run had already done). Only admins can do this, but
    // nothing stops or warns them.
    const t = await busy();
    const result: unknown = await t.mutation(ref("bump"), {
      step: { kind: "batch", cursor: null, batchSize: 3, dryRun: false },
    });
    expect(result).toMatchObject({ processed: 3, changed: 3 });
    const counts = await t.run(async (ctx) =>
      (await ctx.db.query("posts").take(3)).map((p) => p.wordCount),
    );
    expect(counts).toEqual([2, 2, 2]);
  });
});
