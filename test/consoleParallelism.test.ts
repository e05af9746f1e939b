// @vitest-environment node
/**
 * The console's control for a parallel run's slices, from the status and the
 * operator functions of the example's dashboard (api.dashboard) on
 * convex-test, rendered on the server: offered to an operator on a running or
 * paused parallel run, never to a viewer nor on a run of one chain. Its call
 * is the console's `throttle` action, so it goes through the operators'
 * `throttle`, which refuses what the input refuses, and whose refusal is the
 * message the row shows. Typing and pressing it in a browser: console.test.ts.
 */
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { api, internal } from "../example/convex/_generated/api.js";
import type { MigrationStatus, OperatorStatus } from "../src/client/index.js";
import { OperatorConsoleView } from "../src/react/OperatorConsole.js";
import { checkParallelismInput } from "../src/react/inputs.js";
import { messageOf, operatorActions, type OperatorActions } from "../src/react/operator.js";
import { ANA, listDashboardCallers, VIC } from "./dashboardCallers.js";
import { expectRolloutError, runScheduledOnce, seedUsers, setup, type T } from "./harness.js";

const PARALLEL = "migrations:setDefaultPlan";
const ONE_CHAIN = "migrations:normalizeEmails";

listDashboardCallers();

/** A parallel run of 4 slices one batch in (each with batches left), and a run of one chain. */
async function scene(): Promise<T> {
  const t = setup();
  await seedUsers(t, 2_000);
  await t.mutation(internal.migrations.setDefaultPlan, { parallelism: 4, batchSize: 50 });
  await t.mutation(internal.migrations.normalizeEmails, { batchSize: 50 });
  await runScheduledOnce(t);
  return t;
}

/** The console's actions as the caller: what its buttons call. */
function actionsOf(t: T, who: typeof ANA): OperatorActions {
  const caller = t.withIdentity(who);
  return operatorActions(api.dashboard, (mutation, args) => caller.mutation(mutation, args));
}

async function statusAs(t: T, who: typeof ANA): Promise<OperatorStatus> {
  return await t.withIdentity(who).query(api.dashboard.status, {});
}

function runOf(status: OperatorStatus, name: string): MigrationStatus {
  return status.migrations.find((m) => m.name === name)!;
}

/** The console's markup of one run's row. */
function rowHtml(html: string, name: string): string {
  const start = html.indexOf(`data-name="${name}"`);
  expect(start).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf("</article>", start));
}

function render(status: OperatorStatus, actions: OperatorActions): string {
  return renderToStaticMarkup(createElement(OperatorConsoleView, { status, actions }));
}

describe("who is offered the slices", () => {
  test("an operator, on a running or paused parallel run; not on a run of one chain", async () => {
    const t = await scene();
    const actions = actionsOf(t, ANA);
    const running = rowHtml(render(await statusAs(t, ANA), actions), PARALLEL);
    expect(running).toContain('data-state="running"');
    expect(running).toContain("4 slices at once");
    expect(running).toMatch(/<label[^>]*>Slices at once<\/label>/);
    expect(running).toMatch(/<input[^>]*type="number"[^>]*min="1" max="32"[^>]*value="4"/);
    expect(running).toContain('data-action="parallelism"');
    expect(running).not.toContain('data-testid="parallelism-invalid"');

    const oneChain = rowHtml(render(await statusAs(t, ANA), actions), ONE_CHAIN);
    expect(oneChain).toContain('data-action="throttle"');
    expect(oneChain).not.toContain("Slices at once");

    await actions.pause({ name: PARALLEL });
    const paused = rowHtml(render(await statusAs(t, ANA), actions), PARALLEL);
    expect(paused).toContain('data-state="paused"');
    expect(paused).toContain('data-action="parallelism"');

    await actions.cancel({ name: PARALLEL });
    const canceled = rowHtml(render(await statusAs(t, ANA), actions), PARALLEL);
    expect(canceled).toContain('data-action="resume"');
    expect(canceled).not.toContain("Slices at once");
  });

  test("a viewer sees the slices but no control, even given actions", async () => {
    const t = await scene();
    const html = render(await statusAs(t, VIC), actionsOf(t, VIC));
    const row = rowHtml(html, PARALLEL);
    expect(row).toContain("4 slices at once");
    expect(row.match(/data-testid="slice"/g)).toHaveLength(4);
    expect(html).not.toContain("Slices at once");
    expect(html).not.toContain("<input");
    expect(html).not.toContain("<button");
  });
});

describe("the console's call goes through the operators' throttle", () => {
  test("an operator's value is set on the run: more slices split the longest now", async () => {
    const t = await scene();
    const checked = checkParallelismInput("6");
    expect(checked).toEqual({ ok: true, value: 6 });
    const answered = (await actionsOf(t, ANA).throttle({
      name: PARALLEL,
      parallelism: 6,
    })) as MigrationStatus;
    expect(answered).toMatchObject({ name: PARALLEL, state: "running", parallelism: 6 });
    expect(answered.slices).toHaveLength(6);
    const row = rowHtml(render(await statusAs(t, ANA), actionsOf(t, ANA)), PARALLEL);
    expect(row).toContain('data-parallelism="6"');
    expect(row).toContain("6 slices at once");
    expect(row).toMatch(/<input[^>]*value="6"/);
  });

  test.each([0, -1, 2.5, 33, 1_000])(
    "%j is refused by the input and by the server, which says the same bounds",
    async (parallelism) => {
      const t = await scene();
      expect(checkParallelismInput(String(parallelism)).ok).toBe(false);
      const refused = await expectRolloutError(
        actionsOf(t, ANA).throttle({ name: PARALLEL, parallelism }),
        "InvalidArgument",
      );
      expect(refused.message).toContain(
        `parallelism must be a whole number from 1 to 32; got ${parallelism}.`,
      );
      expect(runOf(await statusAs(t, ANA), PARALLEL).parallelism).toBe(4);
    },
  );

  test("what the server refuses is the message the row shows, in its words", async () => {
    const t = await scene();
    // A run of one chain cannot change (the console does not offer it; a stale page may ask).
    const error: unknown = await actionsOf(t, ANA)
      .throttle({ name: ONE_CHAIN, parallelism: 4 })
      .then(
        () => expect.fail("a run of one chain took a parallelism"),
        (e: unknown) => e,
      );
    expect(messageOf(error)).toBe(
      `${ONE_CHAIN}'s running run goes as one chain (its cursor covers the whole range), so its ` +
        `parallelism cannot change. Start a new run with it: npx convex run ${ONE_CHAIN} ` +
        `'{"reset":true,"parallelism":4}'.`,
    );
    // A viewer's call (a page open since before they were made one) is refused before anything.
    const viewer = await expectRolloutError(
      actionsOf(t, VIC).throttle({ name: PARALLEL, parallelism: 8 }),
      "Unauthorized",
    );
    expect(viewer.message).toMatch(/^Not authorized: viewers may see/);
    expect(runOf(await statusAs(t, ANA), PARALLEL).parallelism).toBe(4);
  });
});
