/**
 * `npm run demo`: the example app (example/convex) running in-process on
 * convex-test, driven the way an operator would drive a deployment: seed data
 * from before the migrations, dry-run one, start the deploy-chained `runAll`,
 * watch its progress, read the status table and check the data.
 *
 *   npm run demo -- --users 2000 --posts 1000   (or DEMO_USERS / DEMO_POSTS)
 *   npm run demo -- --plain                     (no redrawn bars, even on a TTY)
 */
import { internal } from "../example/convex/_generated/api.js";
import type { DryRunReport, MigrationStatus, StartResult } from "../src/client/index.js";
import { numberFlag, parseFlags, runMain } from "./cli.js";
import { setupExample } from "./exampleApp.js";
import { ProgressView, seconds, shortName, statusTable } from "./progress.js";
import { operateBackfill } from "./operateDemo.js";
import { walkMove } from "./moveDemo.js";
import { walkDeclarative } from "./reshapeDemo.js";
import { walkRollout } from "./rolloutDemo.js";
import { drainScheduled } from "./scheduler.js";
import { seedExample, verifyExample, type Check } from "./seed.js";

const CHAIN = [
  "migrations:setDefaultPlan",
  "migrations:countPostWords",
  "migrations:archiveEmptyPosts",
];

const FLAGS = {
  users: { type: "string", default: process.env.DEMO_USERS ?? "20000" },
  posts: { type: "string", default: process.env.DEMO_POSTS ?? "10000" },
  every: { type: "string", default: "50" },
  plain: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

function options() {
  const values = parseFlags(
    FLAGS,
    "Usage: npm run demo -- [--users N] [--posts N] [--plain] [--every BATCHES]\n" +
      "  --users, --posts  documents to seed (env DEMO_USERS, DEMO_POSTS; default 20000, 10000)\n" +
      "  --plain           print progress lines instead of redrawn bars\n" +
      "  --every           without bars, print a line every this many batches (default 50)",
  );
  const count = (name: string, value: string) => Math.floor(numberFlag(name, value, 0));
  return {
    users: count("users", values.users),
    posts: count("posts", values.posts),
    every: Math.max(1, count("every", values.every)),
    tty: process.stdout.isTTY === true && !values.plain,
  };
}

const n = (x: number) => x.toLocaleString("en-US");

async function main(): Promise<boolean> {
  const opts = options();
  const began = performance.now();
  const lap = (() => {
    let last = began;
    return () => {
      const now = performance.now();
      const ms = now - last;
      last = now;
      return seconds(ms);
    };
  })();
  console.log(
    "convex-rollouts demo: example/convex on convex-test, in this process (no network, no account)\n",
  );
  const t = await setupExample();

  console.log(`1. Seeding data from before the migrations`);
  const seeded = await seedExample(t, { users: opts.users, posts: opts.posts }, (table, done) => {
    if (opts.tty) process.stdout.write(`\x1b[2K  ${table}: ${n(done)}\r`);
  });
  console.log(
    `${opts.tty ? "\x1b[2K" : ""}  ${n(seeded.users)} users (${n(seeded.usersWithoutPlan)} without a plan, ` +
      `${n(seeded.free)} free, ${n(seeded.pro)} pro); ${n(seeded.posts)} posts without ` +
      `a wordCount (${n(seeded.emptyPosts)} empty) in ${lap()}\n`,
  );

  console.log("2. Dry run: npx convex run migrations:setDefaultPlan '{\"dryRun\": true}'");
  const report = (await t.mutation(internal.migrations.setDefaultPlan, {
    dryRun: true,
  })) as DryRunReport;
  console.log(
    `  first batch: examined ${report.examined}, would change ${report.wouldChange}, ` +
      `unchanged ${report.unchanged}, would fail ${report.wouldFail}`,
  );
  const sample = report.samples[0];
  if (sample) console.log(`  e.g. ${sample.id}: ${diff(sample.before, sample.after)}`);
  // A dry run writes nothing: no run is recorded and no user got a plan.
  // Asked by name, status answers each; one that never ran is "unknown".
  const runsAfterDryRun = (
    await t.query(internal.migrations.status, { names: CHAIN })
  ).migrations.filter((m) => m.state !== "unknown");
  const plansAfterDryRun = await t.query(internal.users.countByPlan, {});
  const dryRunCheck: Check = {
    ok: runsAfterDryRun.length === 0 && plansAfterDryRun.none === seeded.usersWithoutPlan,
    label: "the dry run wrote nothing",
    detail: `${runsAfterDryRun.length} runs recorded, ${n(plansAfterDryRun.none)} users without a plan`,
  };
  console.log(
    `  ${dryRunCheck.ok ? "nothing was written" : "IT WROTE"}: ${dryRunCheck.detail} (${lap()})\n`,
  );

  console.log("3. After the deploy: npx convex run migrations:runAll");
  const started = (await t.mutation(internal.migrations.runAll, {})) as StartResult;
  console.log(
    `  ${started.started ? "started" : "did not start"} ${shortName(started.status.name)}` +
      (started.status.next.length > 0
        ? `, then ${started.status.next.map(shortName).join(", ")}`
        : "") +
      ` (totals below are estimates from the seed)`,
  );
  const view = new ProgressView(
    [
      { name: CHAIN[0]!, estimate: seeded.users },
      { name: CHAIN[1]!, estimate: seeded.posts },
      { name: CHAIN[2]!, estimate: seeded.emptyPosts },
    ],
    { tty: opts.tty, every: opts.every },
  );
  const status = async () =>
    (await t.query(internal.migrations.status, { names: CHAIN })).migrations;
  await drainScheduled(t, { tickMs: 100, onTick: async () => view.update(await status()) });
  const final = await status();
  console.log(`  all batches ran in ${lap()}\n`);

  console.log("4. npx convex run migrations:status");
  console.log(statusTable(final));
  for (const s of final) if (s.error) console.log(`  ${shortName(s.name)}: ${s.error}`);
  console.log();

  // The migrations' data, checked before the rollout's traffic adds users.
  const migrationChecks = [
    dryRunCheck,
    ...runChecks(final, seeded),
    ...(await verifyExample(t, seeded)),
  ];

  console.log("5. Operating a backfill: skip what fails, pause, resume, retry the skipped");
  const operationChecks = await operateBackfill(t);
  console.log(`  done in ${lap()}\n`);

  console.log("6. A staged rollout: users.splitName, while the app keeps writing");
  const rolloutChecks = await walkRollout(t, { tty: opts.tty, every: opts.every });
  console.log(`  rollout walked through every phase in ${lap()}\n`);

  console.log("7. A declarative rollout: users.emailDomain, written by the app's triggers");
  const declarativeChecks = await walkDeclarative(t, { tty: opts.tty, every: opts.every });
  console.log(`  rollout walked through every phase in ${lap()}\n`);

  console.log("8. A field moved to another table: users.bio → profiles, by the recipe moveField");
  const moveChecks = await walkMove();
  console.log(`  rollout walked through every phase in ${lap()}\n`);

  console.log("9. Checking the data");
  const checks = [
    ...migrationChecks,
    ...operationChecks,
    ...rolloutChecks,
    ...declarativeChecks,
    ...moveChecks,
  ];
  for (const c of checks) console.log(`  ${c.ok ? "ok  " : "FAIL"} ${c.label}: ${c.detail}`);
  const ok = checks.every((c) => c.ok);
  console.log(
    `\n${ok ? "All migrations done and all checks passed" : "FAILED: see above"}` +
      ` (checks ${lap()}). Total time ${seconds(performance.now() - began)}.`,
  );
  return ok;
}

/** Every migration of the chain ran to the end and changed what the seed says it should. */
function runChecks(
  final: MigrationStatus[],
  seeded: Awaited<ReturnType<typeof seedExample>>,
): Check[] {
  const expected = [seeded.usersWithoutPlan, seeded.posts, seeded.emptyPosts];
  return CHAIN.map((name, i) => {
    const s = final.find((x) => x.name === name);
    return {
      ok: s?.state === "done" && s.changed === expected[i],
      label: `${shortName(name)} is done`,
      detail: s
        ? `${s.state}, changed ${n(s.changed)} (expected ${n(expected[i]!)})`
        : "never started",
    };
  });
}

/** The fields a sample changes, as `field: before → after`. */
function diff(before: unknown, after: unknown): string {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const show = (x: unknown) => (x === undefined ? "(none)" : JSON.stringify(x));
  const changes = [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .map((k) => `${k}: ${show(b[k])} → ${show(a[k])}`);
  const who = typeof b.email === "string" ? ` (${b.email})` : "";
  return (changes.join(", ") || "no change") + who;
}

runMain(main, "demo");
