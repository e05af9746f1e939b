/**
 * The demo's declarative rollout: users.emailDomain, declared by its `up`
 * alone, walked through every phase while the app keeps creating users and
 * changing emails through its wrapped mutations (the triggers convert them),
 * with a dashboard edit that bypasses the triggers, caught by verify.
 */
import { internal } from "../example/convex/_generated/api.js";
import { domainOf } from "../example/convex/names.js";
import { isRolloutError } from "../src/client/index.js";
import type { ExampleT } from "./exampleApp.js";
import { UserTraffic } from "./traffic.js";
import { drainScheduled } from "./scheduler.js";
import { advancer, backfillWhileWriting, rolloutStatusOf, say } from "./rolloutSteps.js";
import type { Check } from "./seed.js";

const ROLLOUT = "users.emailDomain";
const rolloutStatus = (t: ExampleT) => rolloutStatusOf(t, ROLLOUT);
const n = (x: number) => x.toLocaleString("en-US");

/** The app at work: new users, and users changing their email, through its wrapped mutations. */
const emailTraffic = (t: ExampleT) =>
  new UserTraffic(t, {
    create: (k) => ({
      name: `Domain Person${k}`,
      email: `person${k}@${k % 2 === 0 ? "mail" : "post"}.example.org`,
    }),
    edit: (t, userId, k) =>
      t.mutation(internal.users.setEmail, { userId, email: `moved${k}@new${k % 3}.example.net` }),
  });

export async function walkDeclarative(
  t: ExampleT,
  view: { tty: boolean; every: number },
): Promise<Check[]> {
  const advance = advancer(t, ROLLOUT);
  const stored = async () =>
    await t.run(async (ctx) => {
      let total = 0;
      let withDomain = 0;
      let right = 0;
      for await (const user of ctx.db.query("users")) {
        total++;
        if (user.emailDomain !== undefined) withDomain++;
        if (user.emailDomain === domainOf(user.email)) right++;
      }
      return { total, withDomain, right };
    });
  const traffic = emailTraffic(t);
  await traffic.load();

  say(`declared with up: (user) => ({ emailDomain: domainOf(user.email) }) and a validator`);
  await traffic.write(20);
  const inSchema = await stored();
  const readInSchema = await t.query(internal.users.countByDomain, {});
  say(
    `schema: the app wrote ${n(20)} users and emails, none converted (${n(inSchema.withDomain)} ` +
      `stored with a domain); the typed read already answers ${n(Object.keys(readInSchema).length)} domains`,
  );

  await advance("dualWrite");
  await traffic.write(20);
  say(
    `dualWrite: the triggers converted every write in its own transaction ` +
      `(${n((await stored()).withDomain)} users stored with a domain)`,
  );

  const entered = await advance("backfill");
  const backfilled = await backfillWhileWriting(
    t,
    ROLLOUT,
    { name: entered.backfill.name, estimate: inSchema.total },
    traffic,
    view,
  );
  say(
    `backfill ${backfilled.backfill.run?.state}: ${n(backfilled.backfill.run?.changed ?? 0)} users ` +
      `converted; the app created ${n(traffic.created)} and changed ${n(traffic.edited)} emails meanwhile`,
  );
  say(
    `verify: ${backfilled.verify?.state}, ${n(backfilled.verify?.checked ?? 0)} checked, ` +
      `${n(backfilled.verify?.mismatches ?? 0)} mismatches`,
  );

  // The dashboard writes around the app's mutations: no trigger runs.
  const edited = await t.run(async (ctx) => {
    const user = (await ctx.db.query("users").order("desc").first())!;
    await ctx.db.patch("users", user._id, { email: "edited@dashboard.example.com" });
    return user._id;
  });
  say(`a dashboard edit changed ${edited}'s email, bypassing the triggers`);
  await t.mutation(internal.migrations.verify, { rollout: ROLLOUT });
  await drainScheduled(t, { tickMs: 50 });
  const caught = (await rolloutStatus(t)).verify;
  let refusal = "";
  try {
    await advance("readNew");
  } catch (error) {
    if (!isRolloutError(error, "PhaseGateClosed")) throw error;
    refusal = error.data.message;
    say(`advance → readNew refused (PhaseGateClosed): ${refusal}`);
  }
  say(`npx convex run migrations:usersEmailDomain '{reset: true}', then verify again`);
  await t.mutation(internal.migrations.usersEmailDomain, { reset: true, by: "demo" });
  await drainScheduled(t, { tickMs: 50 });
  await t.mutation(internal.migrations.verify, { rollout: ROLLOUT });
  await drainScheduled(t, { tickMs: 50 });
  const again = (await rolloutStatus(t)).verify;
  say(`verify: ${again?.state}, ${n(again?.mismatches ?? 0)} mismatches`);

  const before = await t.query(internal.users.countByDomain, {});
  await advance("readNew");
  const after = await t.query(internal.users.countByDomain, {});
  await traffic.write(10);
  const done = await advance("complete");
  const { contract } = await rolloutStatus(t);
  if (contract !== undefined) {
    say(`status now shows the contract step:`);
    for (const line of contract.split("\n")) say(`  ${line}`);
  }
  const final = await stored();

  return [
    {
      ok: final.right === final.total,
      label: "every user, old and new, has the email domain of its email",
      detail: `${n(final.right)}/${n(final.total)}`,
    },
    {
      ok:
        caught?.mismatches === 1 &&
        caught.firstMismatchIds.includes(edited) &&
        refusal.includes(edited),
      label: "verify caught the dashboard edit that bypassed the triggers, and the gate named it",
      detail: `${caught?.mismatches} mismatch (${caught?.firstMismatchIds.join(", ")})`,
    },
    {
      ok: JSON.stringify(before) === JSON.stringify(after),
      label: "the typed read answers the same before and after the read switch",
      detail: `${n(Object.keys(after).length)} domains compared`,
    },
    {
      ok: done.phase === "complete",
      label: `${ROLLOUT} is complete, with no hand-written backfill, verify or dual write`,
      detail: `phase ${done.phase}`,
    },
  ];
}
