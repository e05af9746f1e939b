// @vitest-environment node
/**
 * The status view in a real browser: the example's page, built with Vite and
 * served on localhost with status from the example app on convex-test, opened
 * in headless Chromium (found by ./browser.ts, driven by playwright-core).
 * `UPDATE_SCREENSHOTS=1 npm test` refreshes docs/status-view.png.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { type Browser } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { launchChromium } from "./browser.js";
import { drain, runScheduledOnce, seedPosts, seedUsers, setup, type T } from "./harness.js";

const ROOT = new URL("../", import.meta.url).pathname;
const OUT = join(tmpdir(), `rollouts-status-view-${process.pid}`);
const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".json": "application/json",
};

let t: T;
let server: Server;
let browser: Browser;
let origin: string;

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
  await build({
    configFile: join(ROOT, "example/web/vite.config.ts"),
    logLevel: "warn",
    build: { outDir: OUT },
  });
  t = await scene();
  server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? "/", "http://localhost").pathname;
      if (path === "/status.json") {
        const status = await t.query(internal.migrations.status, {});
        response.writeHead(200, { "content-type": TYPES[".json"] });
        response.end(JSON.stringify(status));
        return;
      }
      const file = join(OUT, path === "/" ? "index.html" : path);
      if (!file.startsWith(OUT) || !existsSync(file)) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      });
      response.end(readFileSync(file));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server) await new Promise((resolve) => server.close(resolve)); // unset if beforeAll threw
});

test("the status page shows the rollout, its gate and the runs, live", async () => {
  const page = await browser.newPage({ viewport: { width: 960, height: 1100 } });
  await page.goto(`${origin}/`);
  await page.waitForSelector('[data-testid="rollout-card"]', { timeout: 20_000 });
  const text = await page.locator('[data-testid="rollout-status"]').innerText();
  expect(text).toContain("users.splitName");
  expect(text).toContain("phase: backfill");
  expect(text).toMatch(/next, readNew: closed \(the backfill migrations:fillNameParts is paused/);
  expect(text).toContain("normalizeEmails");
  expect(text).toMatch(/3 failed/);
  expect(text).toContain("at home"); // a failing document's error
  expect(await page.locator('[data-testid="migration-row"]').count()).toBeGreaterThanOrEqual(4);

  // Live: the backfill resumes and finishes on the server, and the page follows.
  await t.mutation(internal.migrations.resume, { name: "migrations:fillNameParts" });
  await t.finishAllScheduledFunctions(() => {}, 10_000); // real timers: only waiting
  await page.waitForFunction(
    () => document.body.innerText.includes("next, readNew: open"),
    undefined,
    { timeout: 10_000 },
  );

  const shot = await page.screenshot({ fullPage: true });
  const blank = await browser.newPage({ viewport: { width: 960, height: 1100 } });
  const empty = await blank.screenshot({ fullPage: true });
  // A page that rendered nothing compresses to almost nothing.
  expect(shot.byteLength).toBeGreaterThan(empty.byteLength * 3);
  mkdirSync(join(ROOT, "test-results"), { recursive: true });
  writeFileSync(join(ROOT, "test-results/status-view.png"), shot);
  if (process.env.UPDATE_SCREENSHOTS === "1")
    writeFileSync(join(ROOT, "docs/status-view.png"), shot);
}, 60_000);
