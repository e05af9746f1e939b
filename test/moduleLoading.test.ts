/// <reference types="vite/client" />
/**
 * Where declarations may live, tested the way a deployment loads modules (issue 18 #11, DESIGN.md
 * "Module loading"): a deployment runs a function with only the modules its file imports, while
 * convex-test loads every module a test touched into one graph. So each test starts from a fresh
 * module graph (`vi.resetModules()`), and a module is loaded only when a function of it (or of a
 * module importing it) is called, as on a deployment. The app is test/fixtures/loading:
 * `instance.ts` holds the Rollouts instance, `people.ts` declares `people.nickname` (with `fn`),
 * `ops.ts` exports the CLI verbs without importing `people.ts`, `opsAll.ts` exports them importing
 * it, and `schemaChanges.ts` declares `people.plan` beside its own `api()`, without `fn`.
 */
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { RolloutStatus, Status } from "../src/client/index.js";
import { register } from "../src/test.js";
import schema from "./fixtures/reshape/schema.js";
import { expectRolloutError } from "./harness.js";
import { drain } from "./reshapeHarness.js";

const modules = {
  // convex-test finds the app's root by its _generated folder; this app has no generated code.
  "./fixtures/loading/_generated/none.js": () => Promise.resolve({}),
  ...import.meta.glob("./fixtures/loading/*.ts"),
};

function setupApp() {
  const t = convexTest({ schema, modules });
  register(t);
  return t;
}
type AT = ReturnType<typeof setupApp>;

const mutation = (name: string) =>
  makeFunctionReference<"mutation", Record<string, unknown>, unknown>(name);
const query = (name: string) =>
  makeFunctionReference<"query", Record<string, unknown>, unknown>(name);

async function advance(t: AT, module: string, rollout: string, to: string) {
  return (await t.mutation(mutation(`${module}:advance`), { rollout, to })) as RolloutStatus;
}
async function rolloutStatus(t: AT, module: string, rollout: string) {
  const all = (await t.query(query(`${module}:status`), {})) as Status;
  return all.rollouts.find((r) => r.name === rollout);
}

beforeEach(() => {
  vi.useFakeTimers();
  // A fresh module graph: nothing is loaded until a function of it is called.
  vi.resetModules();
});
afterEach(() => vi.useRealTimers());

describe("a rollout declared in a module the verbs' module does not import", () => {
  test("is refused by a verb that never loaded it, naming the import it needs", async () => {
    const t = setupApp();
    const refused = await expectRolloutError(
      advance(t, "ops", "people.nickname", "dualWrite"),
      "UnknownRollout",
    );
    expect(refused.message).toContain("declare people.nickname in ops.ts");
    expect(refused.message).toContain("import the file that declares it there");
  });

  test("is found by verbs whose module imports it, and, once moved, by every verb", async () => {
    const t = setupApp();
    await t.run(async (ctx) => {
      for (let i = 0; i < 30; i++) await ctx.db.insert("people", { name: `P${i}`, nickname: "x" });
    });
    // The README's way: the verbs' module imports the declaring one.
    expect((await advance(t, "opsAll", "people.nickname", "dualWrite")).phase).toBe("dualWrite");

    // Another function's isolate: ops.ts and what it imports, not people.ts.
    vi.resetModules();
    const moved = await advance(t, "ops", "people.nickname", "backfill");
    expect(moved).toMatchObject({ phase: "backfill", backfill: { name: "people:peopleNickname" } });
    await drain(t);
    vi.resetModules();
    expect(await rolloutStatus(t, "ops", "people.nickname")).toMatchObject({
      phase: "backfill",
      backfill: { run: { state: "done", processed: 30 } },
      verify: { state: "done", mismatches: 0 },
    });
    vi.resetModules();
    await t.mutation(mutation("ops:verify"), { rollout: "people.nickname" });
    await drain(t);
    vi.resetModules();
    expect((await advance(t, "ops", "people.nickname", "readNew")).phase).toBe("readNew");
    vi.resetModules();
    const back = (await t.mutation(mutation("ops:rollback"), {
      rollout: "people.nickname",
    })) as RolloutStatus;
    expect(back.phase).toBe("backfill");
  });
});

describe("a reshape() beside api() in a file not named migrations.ts", () => {
  test("is found under its own module, from schema to complete and the contract step", async () => {
    const t = setupApp();
    await t.run(async (ctx) => {
      for (let i = 0; i < 25; i++) await ctx.db.insert("people", { name: `P${i}` });
    });
    await advance(t, "schemaChanges", "people.plan", "dualWrite");
    const backfill = await advance(t, "schemaChanges", "people.plan", "backfill");
    expect(backfill.backfill.name).toBe("schemaChanges:peoplePlan");
    await drain(t);
    const done = await rolloutStatus(t, "schemaChanges", "people.plan");
    expect(done).toMatchObject({
      backfill: { name: "schemaChanges:peoplePlan", run: { state: "done", processed: 25 } },
      verify: { state: "done", mismatches: 0 },
    });
    expect(done!.next).toMatchObject({ to: "readNew", open: true });
    await advance(t, "schemaChanges", "people.plan", "readNew");
    await advance(t, "schemaChanges", "people.plan", "complete");
    const complete = (await rolloutStatus(t, "schemaChanges", "people.plan")) as RolloutStatus & {
      contract?: string;
    };
    expect(complete.contract).toBeDefined();
    expect(complete.contract).not.toContain("migrations:peoplePlan");
    const people = await t.run(async (ctx) => await ctx.db.query("people").collect());
    expect(new Set(people.map((p) => p.plan))).toEqual(new Set(["free"]));
  });
});
