/**
 * Every function the package gives an app answers in every state a rollout reaches (issue 18 #12,
 * DESIGN.md invariant 12): for each rollout of the example app (example/convex/migrations.ts),
 * walked by an operator through the console (`dashboard.ts`, `operatorApi()`) from `schema` to
 * `complete`, with a rollback from `readNew` on the way and the contract pass at the end, every
 * CLI verb, every console function (for an operator and a viewer), the app's phase reads and its
 * writes are called in each state. Each must answer, or refuse with one of this package's typed
 * errors: never a return-validation failure, never an untyped error.
 */
import type { Id } from "../example/convex/_generated/dataModel.js";
import { describe, expect, test } from "vitest";
import { api, internal } from "../example/convex/_generated/api.js";
import {
  isRolloutError,
  PHASES,
  type Phase,
  type RolloutStatusWithContract,
} from "../src/client/index.js";
import { ANA, listDashboardCallers, VIC } from "./dashboardCallers.js";
import { drain, seedUsers, setup, type T } from "./harness.js";

listDashboardCallers(); // Ana, an operator; Vic, a viewer

/** The example app's rollouts, with their backfill migrations and whether they verify. */
const ROLLOUTS = [
  { name: "users.splitName", backfill: "migrations:fillNameParts", contract: false },
  { name: "users.emailDomain", backfill: "migrations:usersEmailDomain", contract: true },
  { name: "users.bio", backfill: "migrations:usersBio", contract: true },
] as const;
type Subject = (typeof ROLLOUTS)[number];

/** The answer, or null for a refusal with one of this package's typed errors; anything else throws. */
async function answers<R>(call: Promise<R>, what: string): Promise<R | null> {
  try {
    return await call;
  } catch (error) {
    if (isRolloutError(error)) return null;
    throw new Error(`${what} failed with an untyped error: ${String(error)}`, { cause: error });
  }
}

/** Calls every function the app has from the package, in the state the rollout is in. */
async function callEverything(t: T, subject: Subject, state: string, userId: Id<"users">) {
  const ana = t.withIdentity(ANA);
  const vic = t.withIdentity(VIC);
  const where = (fn: string) => `${fn} in ${state}`;
  const byName = { name: subject.backfill };

  // The CLI verbs (migrations.api()).
  const status = await answers(t.query(internal.migrations.status, {}), where("status"));
  expect(status, where("status")).not.toBeNull();
  await answers(
    t.query(internal.migrations.status, { names: [subject.backfill] }),
    where("status"),
  );
  await answers(
    t.query(internal.migrations.history, { cursor: null, numItems: 10 }),
    where("history"),
  );
  await answers(t.action(internal.migrations.plan, { fn: subject.backfill }), where("plan"));

  // The console, for a viewer and an operator: status answers both, whatever the phase.
  for (const who of [vic, ana]) {
    const shown = await answers(who.query(api.dashboard.status, {}), where("dashboard.status"));
    expect(shown, where("dashboard.status")).not.toBeNull();
    const rollout = shown!.rollouts.find((r) => r.name === subject.name);
    if (rollout !== undefined)
      expect(rollout.phase, where("dashboard.status")).toBe(phaseOf(state));
  }
  // Its controls, on the rollout's backfill, by an operator (a viewer is refused, typed).
  await answers(vic.mutation(api.dashboard.pause, byName), where("dashboard.pause (viewer)"));
  await answers(ana.mutation(api.dashboard.throttle, { ...byName, delayMs: 0 }), where("throttle"));
  await answers(ana.mutation(api.dashboard.pause, byName), where("dashboard.pause"));
  await answers(ana.mutation(api.dashboard.resume, byName), where("dashboard.resume"));
  await answers(ana.mutation(api.dashboard.retryFailed, byName), where("dashboard.retryFailed"));
  await answers(ana.mutation(api.dashboard.verify, { rollout: subject.name }), where("verify"));
  // The same through the CLI verbs.
  await answers(t.mutation(internal.migrations.pause, byName), where("pause"));
  await answers(t.mutation(internal.migrations.resume, byName), where("resume"));
  await answers(
    t.mutation(internal.migrations.throttle, { ...byName, delayMs: 0 }),
    where("throttle"),
  );
  await answers(t.mutation(internal.migrations.verify, { rollout: subject.name }), where("verify"));

  // The app's phase reads and its writes, old code and new.
  await answers(t.query(internal.users.directory, { limit: 5 }), where("users.directory"));
  await answers(t.query(internal.users.countByDomain, {}), where("users.countByDomain"));
  await answers(t.query(internal.users.bio, { userId }), where("users.bio"));
  const created = await t.mutation(internal.users.create, {
    name: `Ada ${state}`,
    email: `ada.${state.replaceAll(" ", "-")}@example.org`,
  });
  await t.mutation(internal.users.rename, { userId: created, name: `Ada B ${state}` });
  await t.mutation(internal.users.setEmail, { userId, email: `moved.${created}@example.net` });
  await t.mutation(internal.users.setBio, { userId, bio: `old code in ${state}` });
  await t.mutation(internal.profiles.setBio, { userId: created, bio: `new code in ${state}` });
  await drain(t);
}

/** "backfill (again)" → "backfill". */
function phaseOf(state: string): Phase {
  return state.split(" ")[0] as Phase;
}

async function advanceAsOperator(t: T, subject: Subject, to: Phase) {
  const moved = await t
    .withIdentity(ANA)
    .mutation(api.dashboard.advance, { rollout: subject.name, to, reason: "walk" });
  expect(moved.phase).toBe(to);
  await drain(t);
}

describe.each(ROLLOUTS)("$name, walked through the console to complete", (subject) => {
  test("every function answers in every phase", async () => {
    const t = setup();
    await seedUsers(t, 30);
    const userId = await t.run(async (ctx) => (await ctx.db.query("users").first())!._id);
    await t.mutation(internal.users.setBio, { userId, bio: "written before the rollout" });

    await callEverything(t, subject, "schema", userId);
    for (const to of PHASES.slice(1, PHASES.indexOf("readNew") + 1)) {
      await advanceAsOperator(t, subject, to);
      await callEverything(t, subject, to, userId);
    }
    // Rolled back from readNew and forward again: readNew needs a new verify pass.
    const ana = t.withIdentity(ANA);
    const back = await ana.mutation(api.dashboard.rollback, {
      rollout: subject.name,
      reason: "walk back",
    });
    expect(back.phase).toBe("backfill");
    await callEverything(t, subject, "backfill again", userId);
    await ana.mutation(api.dashboard.verify, { rollout: subject.name });
    await drain(t);
    await advanceAsOperator(t, subject, "readNew");
    await callEverything(t, subject, "readNew again", userId);

    await advanceAsOperator(t, subject, "complete");
    await callEverything(t, subject, "complete", userId);
    // The contract step status shows at complete, to operators and viewers alike.
    for (const who of [ANA, VIC]) {
      const shown = await t.withIdentity(who).query(api.dashboard.status, {});
      const rollout = shown.rollouts.find((r) => r.name === subject.name)!;
      expect(rollout.phase).toBe("complete");
      expect((rollout as RolloutStatusWithContract).contract !== undefined).toBe(subject.contract);
    }
    // The contract pass (the backfill again, from complete), and everything once more.
    await t.mutation(internal.migrations.run, { fn: subject.backfill, reset: true });
    await drain(t);
    await callEverything(t, subject, "complete after the contract pass", userId);
  });
});
