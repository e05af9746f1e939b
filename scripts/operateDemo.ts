/**
 * The demo's operations step: a backfill that skips the documents it cannot
 * convert, is paused and resumed, and then retries just the skipped ones.
 */
import { internal } from "../example/convex/_generated/api.js";
import type { MigrationStatus } from "../src/client/index.js";
import type { ExampleT } from "./exampleApp.js";
import { drainScheduled, sleep } from "./scheduler.js";
import type { Check } from "./seed.js";

const NAME = "migrations:normalizeEmails";
const n = (x: number) => x.toLocaleString("en-US");

async function statusOf(t: ExampleT): Promise<MigrationStatus> {
  const { migrations } = await t.query(internal.migrations.status, { names: [NAME] });
  if (!migrations[0]) throw new Error(`no status for ${NAME}`);
  return migrations[0];
}

function line(s: MigrationStatus): string {
  return (
    `${s.state}: ${n(s.processed)} processed, ${n(s.changed)} changed, ${n(s.failed)} skipped, ` +
    `${n(s.batches)} batches, batch size ${n(s.batchSize)}${s.adaptive ? " (adaptive)" : ""}`
  );
}

export async function operateBackfill(t: ExampleT): Promise<Check[]> {
  const say = (text: string) => console.log(`  ${text}`);
  say(`npx convex run ${NAME} '{delayMs: 100}'   (a pause between batches)`);
  await t.mutation(internal.migrations.normalizeEmails, { delayMs: 100 });
  await sleep(30); // the first batch runs at once, the next waits its 100 ms
  const paused = await t.mutation(internal.migrations.pause, { name: NAME });
  say(`npx convex run migrations:pause '{name: "${NAME}"}' → ${line(paused)}`);
  await sleep(200);
  const stillPaused = await statusOf(t);
  say(`200 ms later, still ${line(stillPaused)}`);
  const throttled = await t.mutation(internal.migrations.throttle, { name: NAME, delayMs: 0 });
  say(
    `npx convex run migrations:throttle '{name: "${NAME}", delayMs: 0}' → delay ${throttled.delayMs} ms`,
  );
  const resumed = await t.mutation(internal.migrations.resume, { name: NAME });
  say(`npx convex run migrations:resume '{name: "${NAME}"}' → ${resumed.state} at its cursor`);
  await drainScheduled(t);
  const done = await statusOf(t);
  say(`→ ${line(done)}`);
  for (const failure of done.failures) say(`  skipped ${failure.documentId}: ${failure.error}`);

  // Fix the data the way an operator would, then retry only what was skipped.
  const skippedIds = await t.run(async (ctx) => {
    const ids = [];
    for await (const user of ctx.db.query("users")) {
      if (!user.email.includes("@")) ids.push({ id: user._id, email: user.email });
    }
    return ids;
  });
  for (const { id, email } of skippedIds) {
    await t.mutation(internal.users.setEmail, { userId: id, email: email.replace(" at ", "@") });
  }
  say(`fixed ${skippedIds.length} addresses by hand; npx convex run ${NAME} '{retryFailed: true}'`);
  await t.mutation(internal.migrations.normalizeEmails, { retryFailed: true });
  await drainScheduled(t);
  const retried = await statusOf(t);
  say(`→ retry ${line(retried)}`);

  const emails = await t.run(async (ctx) => {
    let total = 0;
    let normal = 0;
    for await (const user of ctx.db.query("users")) {
      total++;
      if (user.email === user.email.trim().toLowerCase() && user.email.includes("@")) normal++;
    }
    return { total, normal };
  });
  return [
    {
      ok: stillPaused.state === "paused" && stillPaused.processed === paused.processed,
      label: "a paused run stayed where it was until resumed",
      detail: `${n(paused.processed)} processed at the pause, ${n(stillPaused.processed)} 200 ms later`,
    },
    {
      ok: done.state === "done" && done.failed === skippedIds.length && done.failed > 0,
      label: "the documents that could not be converted were skipped and recorded",
      detail: `${n(done.failed)} recorded, ${n(skippedIds.length)} found by hand`,
    },
    {
      ok: retried.mode === "retryFailed" && retried.failed === 0 && retried.failures.length === 0,
      label: "the retry converted them and emptied the ledger",
      detail: `${n(retried.processed)} retried, ${n(retried.changed)} changed, ${n(retried.failed)} left`,
    },
    {
      ok: emails.normal === emails.total,
      label: "every email is trimmed and lowercase",
      detail: `${n(emails.normal)}/${n(emails.total)}`,
    },
  ];
}
