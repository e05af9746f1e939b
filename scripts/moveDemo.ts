/**
 * The demo's move: users.bio moves to profiles (the moveField recipe), walked
 * through every phase while old code writes bios on users and, from readNew
 * on, new code writes them only on profiles; a rollback from readNew finds
 * every bio back on users; the contract pass removes them from users.
 *
 * It runs on a fresh copy of the example app with fewer users: a move looks
 * up each user's profile by index, and convex-test answers every index lookup
 * by listing the whole database (a deployment seeks the index). Over the
 * demo's main data that would take minutes here and milliseconds there.
 */
import { internal } from "../example/convex/_generated/api.js";
import type { Id } from "../example/convex/_generated/dataModel.js";
import { isRolloutError, type RolloutStatus } from "../src/client/index.js";
import { setupExample, type ExampleT } from "./exampleApp.js";
import { drainScheduled } from "./scheduler.js";
import { advancer, rolloutStatusOf, say } from "./rolloutSteps.js";
import type { Check } from "./seed.js";

const ROLLOUT = "users.bio";
const USERS = 1_000;
const n = (x: number) => x.toLocaleString("en-US");

type Bios = Map<Id<"users">, string | undefined>;

export async function walkMove(): Promise<Check[]> {
  const t = await setupExample();
  const expected: Bios = new Map();
  const ids = await t.run(async (ctx) => {
    const out: Id<"users">[] = [];
    for (let i = 0; i < USERS; i++) {
      const bio = i % 3 === 0 ? `Bio of user ${i}` : undefined;
      const id = await ctx.db.insert("users", { name: `User ${i}`, email: `u${i}@x.org`, bio });
      expected.set(id, bio);
      out.push(id);
    }
    return out;
  });
  say(`a fresh example app: ${n(USERS)} users, a third with a bio on the user`);

  let k = 0;
  /**
   * Sets (or, one time in five, clears) users' bios: old code on the user
   * (`users:setBio`), new code on the profile only (`profiles:setBio`).
   */
  const writer = (code: "old" | "new") => async (count: number) => {
    const setBio = code === "old" ? internal.users.setBio : internal.profiles.setBio;
    for (let i = 0; i < count; i++, k++) {
      const userId = ids[(k * 7919) % ids.length]!;
      const bio = k % 5 === 0 ? undefined : `Written by ${code} code ${k}`;
      await t.mutation(setBio, { userId, bio });
      expected.set(userId, bio);
    }
  };
  const oldCode = writer("old");
  const newCode = writer("new");
  const advance = advancer(t, ROLLOUT);
  const readWrong: string[] = [];
  /** The typed read (`bioToProfiles.moved`) of a sample of users, against what the app wrote. */
  const sampleReads = async (phase: string) => {
    for (let i = 0; i < ids.length; i += 97) {
      const read = await t.query(internal.users.bio, { userId: ids[i]! });
      if ((read ?? undefined) !== expected.get(ids[i]!)) readWrong.push(`${phase}: ${ids[i]}`);
    }
  };

  await advance("dualWrite");
  await oldCode(20);
  await sampleReads("dualWrite");
  const entered = await advance("backfill");
  await drainScheduled(t, {
    tickMs: 20,
    onTick: async () => {
      await oldCode(3); // old code keeps writing between batches
    },
  });
  const backfilled = await rolloutStatusOf(t, ROLLOUT);
  say(
    `backfill ${backfilled.backfill.run?.state}: ${n(backfilled.backfill.run?.processed ?? 0)} users ` +
      `examined, ${n(backfilled.backfill.run?.changed ?? 0)} bios copied to profiles ` +
      `(${entered.backfill.name}); verify ${backfilled.verify?.state}, ` +
      `${n(backfilled.verify?.mismatches ?? 0)} mismatches`,
  );
  await sampleReads("backfill");

  await advance("readNew");
  await newCode(30);
  await sampleReads("readNew");
  const back = await t.mutation(internal.migrations.rollback, {
    rollout: ROLLOUT,
    reason: "demo: old code back for a moment",
  });
  say(`rollback → ${back.phase}: old code reads users.bio again`);
  const onUsers = await stored(t);
  const rollbackWrong = [...expected].filter(([id, bio]) => onUsers.users.get(id) !== bio);
  say(
    `${n(expected.size - rollbackWrong.length)}/${n(expected.size)} users hold their bio as the ` +
      `app last wrote it, on users or (new code) on profiles`,
  );
  let reopened: RolloutStatus;
  try {
    reopened = await advance("readNew");
  } catch (error) {
    if (!isRolloutError(error, "PhaseGateClosed")) throw error;
    say(`npx convex run migrations:verify '{rollout: "${ROLLOUT}"}'`);
    await t.mutation(internal.migrations.verify, { rollout: ROLLOUT });
    await drainScheduled(t, { tickMs: 20 });
    reopened = await advance("readNew");
  }
  await newCode(10);
  await advance("complete");
  await newCode(10);
  await sampleReads("complete");

  say(`the contract pass: npx convex run migrations:usersBio '{reset: true}'`);
  await t.mutation(internal.migrations.usersBio, { reset: true, by: "demo" });
  await drainScheduled(t, { tickMs: 20 });
  await sampleReads("after the contract pass");
  const final = await stored(t);
  const lost = [...expected].filter(([id, bio]) => final.profiles.get(id) !== bio);
  const left = [...final.users.values()].filter((bio) => bio !== undefined).length;
  say(
    `${n(expected.size - lost.length)}/${n(expected.size)} bios in profiles as the app last ` +
      `wrote them; ${n(left)} left on users`,
  );

  return [
    {
      ok: lost.length === 0 && left === 0 && reopened.phase === "readNew",
      label: `${ROLLOUT} moved every bio to profiles, as the app last wrote it, and none is left on users`,
      detail: `${n(expected.size - lost.length)}/${n(expected.size)} in profiles, ${n(left)} on users`,
    },
    {
      ok: rollbackWrong.length === 0,
      label: "a rollback from readNew found every bio new code wrote, back on users",
      detail: `${n(expected.size - rollbackWrong.length)}/${n(expected.size)}`,
    },
    {
      ok: readWrong.length === 0,
      label: "the typed read answered what the app wrote in every phase",
      detail: readWrong.length === 0 ? "every sampled user" : readWrong.slice(0, 3).join("; "),
    },
  ];
}

async function stored(t: ExampleT) {
  const { users, profiles } = await t.run(async (ctx) => ({
    users: (await ctx.db.query("users").collect()).map((u) => ({ id: u._id, bio: u.bio })),
    profiles: (await ctx.db.query("profiles").collect()).map((p) => ({ id: p.userId, bio: p.bio })),
  }));
  const byUser = (rows: { id: Id<"users">; bio?: string }[]) =>
    new Map(rows.map(({ id, bio }) => [id, bio]));
  return { users: byUser(users), profiles: byUser(profiles) };
}
