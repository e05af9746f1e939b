// @vitest-environment node
/**
 * The status page as a viewer sees it, in a real browser: the example's page,
 * built with Vite and served on 127.0.0.1 with the example app on convex-test
 * behind it (./pageServer.ts), opened in headless Chromium (./browser.ts).
 * A viewer reads everything but `migrateOne`'s words, and is offered nothing
 * to press. `UPDATE_SCREENSHOTS=1 npm test` refreshes docs/status-view.png.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { launchChromium } from "./browser.js";
import { drain, runScheduledOnce, seedPosts, seedUsers, setup, type T } from "./harness.js";
import { buildPage, ROOT, screenshotNotBlank, servePage, type Served } from "./pageServer.js";

let t: T;
let served: Served;
let browser: Browser;

const VIEWER = { subject: "vic", name: "Vic" };

/** A rollout mid-backfill, a finished chain, and a run that skipped documents. */
async function scene(): Promise<T> {
  vi.useFakeTimers();
  const app = setup();
  await seedUsers(app, 300);
  await seedPosts(app, 120, undefined, (i) => (i % 6 === 0 ? "" : "a few words here"));
  await app.run(async (ctx) => {
    const users = await ctx.db.query("users").take(3);
    for (const user of users)
      await ctx.db.patch("users", user._id, { email: `${user.name} at home` });
  });
  await app.mutation(internal.migrations.runAll, { by: "deploy" });
  await drain(app);
  await app.mutation(internal.migrations.normalizeEmails, { by: "ana" });
  await drain(app);
  await app.mutation(internal.migrations.advance, {
    rollout: "users.splitName",
    to: "dualWrite",
    by: "ana",
  });
  await app.mutation(internal.migrations.advance, {
    rollout: "users.splitName",
    to: "backfill",
    by: "ana",
  });
  await runScheduledOnce(app);
  // Paused mid-backfill: a timer left on the fake clock would be lost with it.
  await app.mutation(internal.migrations.pause, { name: "migrations:fillNameParts" });
  vi.useRealTimers();
  return app;
}

beforeAll(async () => {
  browser = await launchChromium(); // first: a missing browser fails fast
  vi.stubEnv("ROLLOUTS_VIEWERS", "https://convex.test|vic");
  const out = await buildPage("status-view");
  t = await scene();
  served = await servePage(t, out, { "vic-token": VIEWER });
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await browser?.close();
  await served?.close(); // unset if beforeAll threw
});

test("a viewer sees the rollout, its gate and the runs, live, without migrateOne's words or controls", async () => {
  const page = await browser.newPage({ viewport: { width: 960, height: 1100 } });
  await page.goto(`${served.origin}/#token=vic-token`);
  await page.waitForSelector('[data-testid="rollout-card"]', { timeout: 20_000 });
  const text = await page.locator('[data-testid="operator-console"]').innerText();
  expect(text).toContain("users.splitName");
  expect(text).toMatch(/phase: backfill/i);
  expect(text).toMatch(/gate closed/i);
  expect(text).toContain("the backfill migrations:fillNameParts is paused");
  expect(text).toContain("Vic, viewer");
  expect(text).toMatch(/Read only/);
  expect(text).toContain("normalizeEmails");
  expect(text).toMatch(/3 failed/);
  // The failing documents by id and kind; their error text (which quotes the address) hidden.
  expect(await page.locator('[data-testid="ledger-entry"]').count()).toBe(3);
  expect(text).toContain("MigrateOneFailed (hidden)");
  expect(text).not.toContain("at home");
  expect(await page.locator('[data-testid="migration-row"]').count()).toBeGreaterThanOrEqual(4);
  // A viewer is offered nothing to press.
  expect(await page.locator("button").count()).toBe(0);

  // Live: the backfill resumes and finishes on the server, and the page follows.
  await t.mutation(internal.migrations.resume, { name: "migrations:fillNameParts" });
  await t.finishAllScheduledFunctions(() => {}, 10_000); // real timers: only waiting
  await page.waitForFunction(
    () => /Next: readNew\s*gate open/i.test(document.body.innerText),
    undefined,
    { timeout: 10_000 },
  );

  const shot = await screenshotNotBlank(browser, page);
  mkdirSync(join(ROOT, "test-results"), { recursive: true });
  writeFileSync(join(ROOT, "test-results/status-view.png"), shot);
  if (process.env.UPDATE_SCREENSHOTS === "1")
    writeFileSync(join(ROOT, "docs/status-view.png"), shot);
  await page.goto("about:blank"); // stops its polling
}, 60_000);
