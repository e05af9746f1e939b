// @vitest-environment node
/**
 * The operators' console in a real browser: the example's page served on
 * 127.0.0.1 with the example app on convex-test behind it (./pageServer.ts),
 * in headless Chromium (./browser.ts). An operator pauses a running backfill,
 * resumes it, advances the rollout once its gate opens and rolls it back with
 * a reason; a signed-in user who is not an operator sees "Not authorized" and
 * nothing else. `UPDATE_SCREENSHOTS=1 npm test` refreshes the screenshots in
 * docs/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Locator, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import type { Phase } from "../src/client/index.js";
import { launchChromium } from "./browser.js";
import { drain, seedPosts, seedUsers, setup, type T } from "./harness.js";
import { buildPage, ROOT, screenshotNotBlank, servePage, type Served } from "./pageServer.js";

const ROLLOUT = "users.splitName";
const PARALLEL = "migrations:setDefaultPlan";
const IDENTITIES = {
  "ana-token": { subject: "ana", name: "Ana" },
  "mallory-token": { subject: "mallory", name: "Mallory", email: "mallory@example.com" },
};

let t: T;
let served: Served;
let browser: Browser;

/**
 * A rollout back in backfill after a rollback, its second pass running (2,100
 * of ~5,001 users, a batch every 1.5 s); a finished chain; a run that
 * recorded three documents it could not convert (their error quotes the address);
 * a parallel run of four slices, paused.
 */
async function scene(): Promise<T> {
  vi.useFakeTimers();
  const app = setup();
  await seedUsers(app, 5_000);
  await seedPosts(app, 120, undefined, (i) => (i % 6 === 0 ? "" : "a few words here"));
  await app.run(async (ctx) => {
    for (const user of await ctx.db.query("users").take(3))
      await ctx.db.patch("users", user._id, { email: `${user.name} at home` });
  });
  await app.mutation(internal.migrations.runAll, { by: "deploy" });
  await drain(app);
  await app.mutation(internal.migrations.normalizeEmails, { by: "Ana" });
  await drain(app);
  const advance = (to: Phase, reason?: string) =>
    app.mutation(internal.migrations.advance, { rollout: ROLLOUT, to, by: "Ana", reason });
  const rollback = (reason: string) =>
    app.mutation(internal.migrations.rollback, { rollout: ROLLOUT, by: "Bo", reason });
  await advance("dualWrite", "dual writes live in v42");
  await advance("backfill");
  await drain(app); // the backfill, then its verify pass
  await advance("readNew");
  await rollback("p99 up on the profile page");
  await rollback("middle names split wrong");
  // The fix writes the parts again from scratch.
  await app.run(async (ctx) => {
    for (const user of await ctx.db.query("users").collect())
      await ctx.db.patch("users", user._id, { firstName: undefined, lastName: undefined });
  });
  await advance("backfill", "split fixed in v43");
  await app.mutation(internal.migrations.throttle, {
    name: "migrations:fillNameParts",
    delayMs: 1_500,
  });
  for (let batch = 0; batch < 3; batch++) {
    // Only as far as the next batch (not the monitor's check, a minute out), so the rate is real.
    vi.advanceTimersToNextTimer();
    await app.finishInProgressScheduledFunctions();
  }
  // Plans set again from scratch in four slices, 1,600 documents in, then paused.
  await app.mutation(internal.migrations.setDefaultPlan, {
    reset: true,
    parallelism: 4,
    batchSize: 100,
    by: "Ana",
  });
  for (let slice = 0; slice < 4; slice++) {
    vi.advanceTimersToNextTimer();
    await app.finishInProgressScheduledFunctions();
  }
  await app.mutation(internal.migrations.pause, { name: PARALLEL });
  // The backfill's next batch is a timer on the fake clock, lost with it: the run stays running
  // until the operator pauses it (which cancels that batch) and resumes it (which schedules anew).
  vi.useRealTimers();
  return app;
}

beforeAll(async () => {
  browser = await launchChromium(); // first: a missing browser fails fast
  vi.stubEnv("ROLLOUTS_OPERATORS", "https://convex.test|ana");
  const out = await buildPage("console");
  t = await scene();
  served = await servePage(t, out, IDENTITIES, { mutationDelayMs: 300 });
}, 180_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await browser?.close();
  await served?.close(); // unset if beforeAll threw
});

function save(shot: Buffer, name: string) {
  mkdirSync(join(ROOT, "test-results"), { recursive: true });
  writeFileSync(join(ROOT, "test-results", name), shot);
  if (process.env.UPDATE_SCREENSHOTS === "1") writeFileSync(join(ROOT, "docs", name), shot);
}

async function open(token: string | null, width = 960, height = 1000): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  await page.goto(`${served.origin}/${token ? `#token=${token}` : ""}`);
  return page;
}

/** Stops the page's polling. (Not `close()`: see screenshotNotBlank.) */
async function leave(page: Page) {
  await page.goto("about:blank");
}

/** Waits until the page's text matches. */
async function until(page: Page, pattern: RegExp, timeout = 15_000) {
  await page.waitForFunction(
    ([source, flags]) => new RegExp(source!, flags).test(document.body.innerText),
    [pattern.source, pattern.flags],
    { timeout },
  );
}

/** The data-action of every button in `scope`, sorted. */
async function offered(scope: Locator): Promise<string[]> {
  const actions = await scope
    .locator("button")
    .evaluateAll((buttons) => buttons.map((b) => b.getAttribute("data-action") ?? ""));
  return actions.sort();
}

describe("a signed-in user who is not an operator", () => {
  test('sees "Not authorized" and no data, even in what the server sent', async () => {
    for (const token of ["mallory-token", null]) {
      const page = await open(token, 960, 440);
      const bodies: string[] = [];
      page.on("response", (response) => {
        if (!response.url().includes("/api/")) return;
        response.text().then(
          (body) => bodies.push(body),
          () => undefined, // the page moved on
        );
      });
      await page.waitForSelector('[data-testid="console-refused"]', { timeout: 20_000 });
      await until(page, /Not authorized/);
      const text = await page.locator("body").innerText();
      for (const secret of [ROLLOUT, "fillNameParts", "normalizeEmails", "at home", "users"]) {
        expect(text, `${token}: ${secret}`).not.toContain(secret);
      }
      expect(await page.locator('[data-testid="rollout-card"], button').count()).toBe(0);
      await page.waitForTimeout(700); // a poll or two
      expect(bodies.length).toBeGreaterThan(0);
      for (const body of bodies) {
        expect(body).toContain("Unauthorized");
        expect(body).not.toMatch(/splitName|fillNameParts|normalizeEmails|at home|"runId"/);
      }
      if (token !== null) save(await screenshotNotBlank(browser, page), "console-refused.png");
      await leave(page);
    }
  }, 60_000);
});

describe("an operator", () => {
  test("pauses the running backfill, resumes it, advances once the gate opens, rolls back with a reason", async () => {
    const page = await open("ana-token");
    await page.waitForSelector('[data-testid="rollout-card"]', { timeout: 20_000 });
    await until(page, /Ana, operator/);
    const card = page.locator('[data-testid="rollout-card"]', { hasText: ROLLOUT });
    const run = page.locator('[data-testid="migration-row"][data-name="migrations:fillNameParts"]');
    expect(await run.getAttribute("data-state")).toBe("running");
    expect(await run.innerText()).toMatch(/2,100 of ~5,001 processed \(42%\)/);
    expect(await run.innerText()).toMatch(/docs\/s · about .* left/);

    // The gate is closed: advance is there but disabled, and says why.
    const advance = card.locator('button[data-action="advance"]');
    expect(await advance.isDisabled()).toBe(true);
    const why = await advance.getAttribute("aria-describedby");
    expect(await page.locator(`[id="${why}"]`).innerText()).toContain(
      "the backfill migrations:fillNameParts is running after 2,100 documents",
    );
    expect(await offered(run)).toEqual(["cancel", "pause", "throttle"]);
    expect(await card.innerText()).toContain("middle names split wrong");
    save(await screenshotNotBlank(browser, page), "console-operator.png");

    // Pause, from the keyboard: Tab reaches the button, Enter presses it.
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press("Tab");
      const focused = await page.evaluate(() =>
        [
          document.activeElement?.getAttribute("data-action"),
          document.activeElement?.closest("[data-name]")?.getAttribute("data-name"),
        ].join(" "),
      );
      if (focused === "pause migrations:fillNameParts") break;
    }
    const pause = run.locator('button[data-action="pause"]');
    expect(await pause.evaluate((b) => b === document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");
    // Pending: its label says so and the row's other controls wait.
    await until(page, /Pausing…/, 2_000);
    expect(await run.locator('button[data-action="cancel"]').isDisabled()).toBe(true);
    await page.waitForSelector(
      '[data-testid="migration-row"][data-name="migrations:fillNameParts"][data-state="paused"]',
    );
    expect(await offered(run)).toEqual(["cancel", "resume", "throttle"]);

    // A refused change shows its error beside the control.
    const delay = run.getByLabel("Delay between batches (ms)");
    await delay.fill("99999999");
    await run.locator('button[data-action="throttle"]').click();
    await run.locator('[role="alert"]').waitFor();
    expect(await run.locator('[role="alert"]').innerText()).toMatch(
      /delayMs must be a whole number from 0 to 3600000/,
    );
    await delay.fill("0");
    await delay.press("Enter");
    await run.locator('[role="alert"]').waitFor({ state: "detached" });
    await page.waitForSelector('[data-name="migrations:fillNameParts"][data-delay="0"]');

    // Resume: the backfill finishes, its verify pass runs, and the gate opens.
    await run.locator('button[data-action="resume"]').click();
    await page.waitForSelector(
      '[data-testid="migration-row"][data-name="migrations:fillNameParts"][data-state="done"]',
      { timeout: 20_000 },
    );
    expect(await offered(run)).toEqual([]);
    await until(page, /Next: readNew\s*gate open/i, 20_000);
    expect(await advance.isDisabled()).toBe(false);
    await advance.click();
    await until(page, /phase: readNew/);
    expect(await card.locator('[data-testid="transitions"] li').first().innerText()).toMatch(
      /^backfill → readNew by Ana/,
    );

    // Roll back: the reason is required, then kept in the transitions.
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-action"));
    await card.locator('button[data-action="rollback-open"]').click();
    const reason = card.getByLabel(`Why roll ${ROLLOUT} back to backfill?`);
    expect(await reason.evaluate((input) => input === document.activeElement)).toBe(true);
    // Escape closes the form and gives the focus back; Enter opens it again.
    await reason.press("Escape");
    await reason.waitFor({ state: "detached" });
    expect(await focused()).toBe("rollback-open");
    await page.keyboard.press("Enter");
    expect(await reason.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await card.locator('button[data-action="rollback"]').isDisabled()).toBe(true);
    await reason.fill("checkout errors up 2% after readNew");
    await reason.press("Enter");
    await until(page, /phase: backfill/);
    expect(await card.locator('[data-testid="transitions"] li').first().innerText()).toMatch(
      /^readNew → backfill by Ana: “checkout errors up 2% after readNew”/,
    );
    expect(await focused()).toBe("rollback-open"); // now to dualWrite, ready for the next one
    await leave(page);
  }, 90_000);

  test("sets a parallel run's slices; bad input is refused beside the input, and the server's refusal shown", async () => {
    const page = await open("ana-token");
    const row = page.locator(`[data-testid="migration-row"][data-name="${PARALLEL}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.getAttribute("data-state")).toBe("paused");
    expect(await row.innerText()).toContain("4 slices at once");
    expect(await offered(row)).toEqual(["cancel", "parallelism", "resume", "throttle"]);
    const sent: string[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/api/mutation")) sent.push(request.postData() ?? "");
    });

    // Not sent: the input says why, and its button waits for a good value.
    const slices = row.getByLabel("Slices at once");
    const set = row.locator('button[data-action="parallelism"]');
    const invalid = row.locator('[data-testid="parallelism-invalid"]');
    expect(await slices.inputValue()).toBe("4");
    for (const [typed, why] of [
      ["0", "got 0."],
      ["2.5", "got 2.5."],
      ["33", "got 33. 32 is the most the engine keeps live."],
      ["", "Enter how many slices to run at once"],
    ] as const) {
      await slices.fill(typed);
      expect(await invalid.innerText()).toContain(why);
      expect(await invalid.innerText()).toContain("a whole number from 1 to 32");
      expect(await slices.getAttribute("aria-invalid")).toBe("true");
      expect(await set.isDisabled()).toBe(true);
      if (typed === "33") save(await row.screenshot(), "console-slices.png");
      await slices.press("Enter");
    }
    expect(sent).toEqual([]);

    // Sent through the operators' throttle: the run keeps six slices live.
    await slices.fill("6");
    await invalid.waitFor({ state: "detached" });
    await set.click();
    await page.waitForSelector(`[data-name="${PARALLEL}"][data-parallelism="6"]`);
    expect(await row.innerText()).toContain("6 slices at once");
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!)).toMatchObject({
      path: "dashboard:throttle",
      args: [{ name: PARALLEL, parallelism: 6 }],
    });

    // A page that has not seen the run change (its status held back) asks anyway: the server
    // refuses, and the row shows its words.
    const held: Route[] = [];
    await page.route("**/api/query", (route) => void held.push(route));
    await expect.poll(() => held.length, { timeout: 5_000 }).toBeGreaterThan(0);
    // Started again as one chain, a batch a minute: still running when the page asks.
    await t.mutation(internal.migrations.setDefaultPlan, {
      reset: true,
      batchSize: 100,
      delayMs: 60_000,
      by: "Bo",
    });
    await slices.fill("8");
    await set.click();
    await row.locator('[role="alert"]').waitFor();
    expect(await row.locator('[role="alert"]').innerText()).toBe(
      `${PARALLEL}'s running run goes as one chain (its cursor covers the whole range), so its ` +
        `parallelism cannot change. Start a new run with it: npx convex run ${PARALLEL} ` +
        `'{"reset":true,"parallelism":8}'.`,
    );
    await t.mutation(internal.migrations.cancel, { name: PARALLEL });
    await page.unroute("**/api/query"); // the held queries go on, as new ones do
    // Once the page sees the run of one chain, it offers no slices.
    await page.waitForSelector(`[data-name="${PARALLEL}"][data-state="canceled"]`);
    expect(await offered(row)).toEqual(["resume", "throttle"]);
    await leave(page);
  }, 60_000);

  test("the page reads at a phone's width: nothing scrolls sideways", async () => {
    const page = await open("ana-token", 375);
    await page.waitForSelector('[data-testid="rollout-card"]', { timeout: 20_000 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
    for (const button of await page.locator("button").all()) {
      const box = await button.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 375).toBe(true);
    }
    save(await screenshotNotBlank(browser, page), "console-narrow.png");
    await leave(page);
  }, 60_000);
});

test("the screenshot check fails on a blank page", async () => {
  const blank = await browser.newPage({ viewport: { width: 960, height: 1000 } });
  await expect(screenshotNotBlank(browser, blank)).rejects.toThrow();
  await blank.setContent('<body style="margin:24px;background:#f6f7fa"><div id="root"></div>');
  await expect(screenshotNotBlank(browser, blank)).rejects.toThrow();
});
