/**
 * The demo's staged rollout: users.splitName walked through every phase while
 * the app keeps creating and renaming users between batches, then checked:
 * every user, old and new, in the new shape, and reads that answer the same
 * before and after the read switch.
 */
import { internal } from "../example/convex/_generated/api.js";
import { joinName } from "../example/convex/names.js";
import { isRolloutError } from "../src/client/index.js";
import type { ExampleT } from "./exampleApp.js";
import { UserTraffic } from "./traffic.js";
import { advancer, backfillWhileWriting, gateLine, rolloutStatusOf, say } from "./rolloutSteps.js";
import { drainScheduled } from "./scheduler.js";
import type { Check } from "./seed.js";

const ROLLOUT = "users.splitName";
const n = (x: number) => x.toLocaleString("en-US");

/** The app at work: new users and renamed ones, through its own mutations. */
const appTraffic = (t: ExampleT) =>
  new UserTraffic(t, {
    create: (k) => ({
      name: `New Person${k % 3 === 0 ? "" : ` Number ${k}`}`,
      email: `new${k}@example.com`,
    }),
    edit: (t, userId, k) =>
      t.mutation(internal.users.rename, { userId, name: `Renamed Twice ${k}` }),
  });

export async function walkRollout(
  t: ExampleT,
  view: { tty: boolean; every: number },
): Promise<Check[]> {
  const advance = advancer(t, ROLLOUT);
  const rolloutStatus = (t: ExampleT) => rolloutStatusOf(t, ROLLOUT);
  const traffic = appTraffic(t);
  await traffic.load();

  say(`phase: ${(await rolloutStatus(t)).phase} (declared in code; nothing stored yet)`);
  await traffic.write(50);
  say(`the app created and renamed ${n(50)} users in the old shape`);

  await advance("dualWrite");
  await traffic.write(50);
  say(`the app created and renamed ${n(50)} more, now writing both shapes`);

  const entered = await advance("backfill");
  say(`backfill ${entered.backfill.name} started from the beginning of the table`);
  try {
    await advance("readNew");
  } catch (error) {
    if (!isRolloutError(error, "PhaseGateClosed")) throw error;
    say(`advance → readNew refused (PhaseGateClosed): ${error.data.message}`);
  }
  const users = (await t.query(internal.users.countByPlan, {})) as Record<string, number>;
  const backfilled = await backfillWhileWriting(
    t,
    ROLLOUT,
    { name: entered.backfill.name, estimate: Object.values(users).reduce((a, b) => a + b, 0) },
    traffic,
    view,
  );
  say(
    `backfill ${backfilled.backfill.run?.state}: ${n(backfilled.backfill.run?.processed ?? 0)} ` +
      `users, ${n(backfilled.backfill.run?.changed ?? 0)} changed; the app wrote ` +
      `${n(traffic.created)} new and renamed ${n(traffic.edited)} meanwhile`,
  );
  const pass = backfilled.verify;
  say(
    `verify: ${pass?.state}, ${n(pass?.checked ?? 0)} checked, ${n(pass?.mismatches ?? 0)} ` +
      `mismatches${gateLine(backfilled)}`,
  );

  const before = await t.query(internal.users.directory, { limit: 1_000_000 });
  await advance("readNew");
  const after = await t.query(internal.users.directory, { limit: 1_000_000 });
  say(`reads switched: ${n(after.length)} display names, now from firstName + lastName`);

  const again = await t.mutation(internal.migrations.advance, { rollout: ROLLOUT, to: "readNew" });
  say(
    `advance → readNew again: still ${again.phase}, no transition recorded (deploy scripts can repeat it)`,
  );
  const back = await t.mutation(internal.migrations.rollback, {
    rollout: ROLLOUT,
    by: "demo",
    reason: "p99 up",
  });
  say(`rollback → ${back.phase} (reason: p99 up); reads use name again`);
  // What was written while in readNew is checked again before the gate opens a second time.
  say(
    `npx convex run migrations:verify '{rollout: "${ROLLOUT}"}'   (a new pass after the rollback)`,
  );
  await t.mutation(internal.migrations.verify, { rollout: ROLLOUT });
  await drainScheduled(t, { tickMs: 20 });
  await advance("readNew", "p99 was unrelated");
  const done = await advance("complete");
  say(
    `transitions: ${done.transitions
      .slice()
      .reverse()
      .map((tr) => `${tr.from}→${tr.to}`)
      .join(", ")}`,
  );

  return [
    ...(await shapeChecks(t)),
    {
      ok: before.length === after.length && before.every((name, i) => name === after[i]),
      label: "reads answer the same before and after the read switch",
      detail: `${n(after.length)} display names compared`,
    },
    {
      ok: done.phase === "complete" && pass?.state === "done" && pass.mismatches === 0,
      label: `${ROLLOUT} is complete, verified with no mismatch`,
      detail: `phase ${done.phase}, verify ${pass?.state} with ${pass?.mismatches} mismatches`,
    },
  ];
}

/** Every user, seeded before the rollout or written during it, is in the new shape. */
async function shapeChecks(t: ExampleT): Promise<Check[]> {
  const counts = await t.run(async (ctx) => {
    let total = 0;
    let split = 0;
    for await (const user of ctx.db.query("users")) {
      total++;
      if (user.firstName !== undefined && joinName(user) === user.name) split++;
    }
    return { total, split };
  });
  return [
    {
      ok: counts.split === counts.total,
      label: "every user, old and new, has firstName and lastName that join to its name",
      detail: `${n(counts.split)}/${n(counts.total)}`,
    },
  ];
}
