/**
 * Records what `npx convex run migrations:status --watch` prints while the
 * example app runs, on convex-test: its `runAll` chain at a fixed batch size,
 * then the users.splitName rollout through dualWrite into backfill and its
 * verify pass. Writes each status as the Convex CLI prints it when its output
 * is not a terminal (`JSON.stringify(value, null, 2)` per result) to
 * test/fixtures/watch/example.stream, the stream `test/watch.test.ts` renders
 * and `npx convex-rollouts watch` reads in tests and in docs/watch.png.
 *
 *   npx tsx --tsconfig scripts/tsconfig.json scripts/recordWatch.ts
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { internal } from "../example/convex/_generated/api.js";
import type { Status } from "../src/client/index.js";
import { runMain } from "./cli.js";
import { setupExample, type ExampleT } from "./exampleApp.js";
import { drainScheduled } from "./scheduler.js";
import { seedExample } from "./seed.js";

const OUT = fileURLToPath(new URL("../test/fixtures/watch/example.stream", import.meta.url));
const NAMES = [
  "migrations:setDefaultPlan",
  "migrations:countPostWords",
  "migrations:archiveEmptyPosts",
  "users.splitName",
];

/** The status the watch shows, without the run history it does not draw (keeps the file small). */
async function status(t: ExampleT): Promise<Status> {
  const { history: _history, ...shown } = await t.query(internal.migrations.status, {
    names: NAMES,
  });
  return { ...shown, history: [] };
}

/** A key that changes when anything drawn changes. */
function drawn(s: Status): string {
  return JSON.stringify([
    s.migrations.map((m) => [m.state, m.processed]),
    s.rollouts.map((r) => [r.phase, r.backfill.run?.processed, r.verify?.checked, r.next?.open]),
  ]);
}

async function main(): Promise<boolean> {
  const t = await setupExample();
  await seedExample(t, { users: 1_500, posts: 1_000 });
  const frames: Status[] = [];
  const record = async () => {
    const s = await status(t);
    if (frames.length === 0 || drawn(frames.at(-1)!) !== drawn(s)) frames.push(s);
  };
  await record();
  await t.mutation(internal.migrations.runAll, { batchSize: 150 });
  await drainScheduled(t, { tickMs: 5, onTick: record });
  await t.mutation(internal.migrations.advance, { rollout: "users.splitName", to: "dualWrite" });
  await record();
  await t.mutation(internal.migrations.advance, { rollout: "users.splitName", to: "backfill" });
  await drainScheduled(t, { tickMs: 5, onTick: record });
  await record();
  writeFileSync(OUT, frames.map((s) => `${JSON.stringify(s, null, 2)}\n`).join(""));
  console.log(`${frames.length} statuses written to ${OUT}`);
  return frames.length > 5;
}

runMain(main, "recording");
