/**
 * Declarative rollouts (migrations.reshape): the write path on the app's
 * Triggers, the derived backfill and verify, and the typed read, walked
 * through every phase while the app keeps writing.
 */
import { makeFunctionReference } from "convex/server";
import { v } from "convex/values";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { expectRolloutError, runInComponent, type T } from "./harness.js";
import { splitName } from "./fixtures/reshape/split.js";
import {
  appOf,
  drain,
  runScheduledOnce,
  seed,
  setupReshape,
  type Person,
  type PersonId,
  type RT,
} from "./reshapeHarness.js";
import { contractOf } from "../src/client/contract.js";
import type { RolloutStatus, RolloutStatusWithContract } from "../src/client/index.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const split = (t: RT) => appOf(t, "split", "people.split");
const makeRef = (name: string) => makeFunctionReference<"mutation">(name);

/** In both shapes, and they agree. */
function inBothShapes(p: Person) {
  if (typeof p.name !== "string") return false;
  const parts = splitName(p.name);
  return p.firstName === parts.firstName && p.lastName === parts.lastName;
}

describe("people.split, phase by phase", () => {
  test("schema: writes are left as written; the typed read converts in memory", async () => {
    const t = setupReshape();
    const app = split(t);
    const id = await app.insert({ name: "Ada Lovelace" });
    expect(await app.get(id)).not.toHaveProperty("firstName");
    const [read] = await app.readAll();
    expect(read).toMatchObject({ name: "Ada Lovelace", firstName: "Ada", lastName: "Lovelace" });
  });

  test("dualWrite: every insert, patch and replace through the wrapped mutations is converted", async () => {
    const t = setupReshape();
    const app = split(t);
    const [old] = await seed(t, [{ name: "Old Timer" }]);
    await app.advance("dualWrite");
    const a = await app.insert({ name: "Grace Hopper" });
    expect(await app.get(a)).toMatchObject({ firstName: "Grace", lastName: "Hopper" });
    await app.patch(a, { name: "Grace Brewster Hopper" });
    expect(await app.get(a)).toMatchObject({ firstName: "Grace", lastName: "Brewster Hopper" });
    await app.replace(a, { name: "Grace" });
    expect(await app.get(a)).toMatchObject({ name: "Grace", firstName: "Grace", lastName: "" });
    // A write of another field converts a document the backfill has not reached yet.
    await app.patch(old!, { plan: "pro" });
    expect(await app.get(old!)).toMatchObject({ firstName: "Old", lastName: "Timer", plan: "pro" });
    // New code that writes only the new shape gets the old one filled by `down`.
    const b = await app.insert({ firstName: "Alan", lastName: "Turing" });
    expect(await app.get(b)).toMatchObject({ name: "Alan Turing" });
    await app.patch(b, { lastName: "Mathison Turing" });
    expect(await app.get(b)).toMatchObject({ name: "Alan Mathison Turing" });
  });
});

/** Old-shape people, as they were before the rollout. */
const OLD = Array.from({ length: 250 }, (_, i) => ({
  name: i % 10 === 0 ? `Mononym${i}` : `Person ${i} Number${i}`,
}));

describe("people.split through every phase, with the app writing between batches", () => {
  test("schema → dualWrite → backfill → readNew → complete, then the contract pass", async () => {
    const t = setupReshape();
    const app = split(t);
    const seeded = await seed(t, OLD);
    let k = 0;
    /** The app at work: old code inserts and renames, new code writes only the parts. */
    const traffic = async (count: number, newCode = false) => {
      for (let i = 0; i < count; i++, k++) {
        if (newCode) {
          await app.insert({ firstName: `New${k}`, lastName: `Coder${k}` });
          await app.patch(seeded[(k * 37) % seeded.length]!, { lastName: `Changed${k}` });
        } else {
          await app.insert({ name: `Fresh ${k}` });
          await app.patch(seeded[(k * 37) % seeded.length]!, { name: `Renamed Person${k}` });
        }
      }
    };

    await traffic(5);
    await app.advance("dualWrite");
    await traffic(5);
    const entered = await app.advance("backfill");
    expect(entered.backfill.name).toBe("split:peopleSplit");
    await expectRolloutError(app.advance("readNew"), "PhaseGateClosed");
    for (let round = 0; round < 3; round++) {
      await runScheduledOnce(t);
      expect((await app.status()).backfill.run?.state).toBe("running");
      await traffic(5);
    }
    await drain(t);
    const done = await app.status();
    expect(done.backfill.run?.state).toBe("done");
    expect(done.verify).toMatchObject({ state: "done", mismatches: 0 });
    expect(done.next).toMatchObject({ to: "readNew", open: true });
    expect((await app.stored()).every(inBothShapes)).toBe(true);

    await app.advance("readNew");
    await traffic(5, true); // new code: only the new shape, `down` fills the old
    expect((await app.stored()).every(inBothShapes)).toBe(true);
    // Rolling back to backfill is safe: the old shape is still right everywhere.
    expect((await app.rollback()).phase).toBe("backfill");
    // Forward again after a new verify pass: the one from before the rollback does not count.
    await app.verify();
    await drain(t);
    await app.advance("readNew");

    await app.advance("complete");
    const a = await app.insert({ firstName: "Only", lastName: "New" });
    expect(await app.get(a)).not.toHaveProperty("name"); // no more old shape written
    const b = await app.insert({ name: "Stray Writer" }); // old code still deployed somewhere
    expect(await app.get(b)).toMatchObject({ firstName: "Stray", lastName: "Writer" });

    // Status says what is left: the contract step, with the narrow shape to stage.
    const complete = (await app.status()) as RolloutStatusWithContract;
    expect(complete.contract).toContain(`npx convex run split:peopleSplit '{"reset": true}'`);
    // The fixture's name is optional, so are its parts: a person without a name keeps none.
    expect(complete.contract).toContain(
      ".staged({ firstName: v.optional(v.string()), lastName: v.optional(v.string()), name: undefined })",
    );
    // The contract pass: the backfill run again removes the retired field everywhere.
    await t.mutation(makeRef("split:peopleSplit"), { reset: true });
    await drain(t);
    const after = await app.stored();
    expect(after.filter((p) => p.name !== undefined)).toEqual([]);
    expect(
      after.every((p) => typeof p.firstName === "string" && typeof p.lastName === "string"),
    ).toBe(true);
    expect(after.length).toBe(OLD.length + 5 * 2 + 15 + 5 + 2);
  });

  test("a writer that bypasses the triggers leaves an old-shape document; verify finds it and the gate names it", async () => {
    const t = setupReshape();
    const app = split(t);
    await seed(t, OLD.slice(0, 40));
    await app.advance("dualWrite");
    await app.advance("backfill");
    await drain(t);
    expect((await app.status()).verify).toMatchObject({ state: "done", mismatches: 0 });
    const bad = await app.bypassInsert({ name: "Dash Board" });
    const good = await app.insert({ name: "Through Triggers" });
    expect(await app.get(good)).toMatchObject({ firstName: "Through" });
    await app.verify();
    await drain(t);
    expect((await app.status()).verify).toMatchObject({
      state: "done",
      mismatches: 1,
      firstMismatchIds: [bad],
    });
    const data = await expectRolloutError(app.advance("readNew"), "PhaseGateClosed");
    expect(data.message).toContain(bad);
    // Any write through the app converts it; a new pass then opens the gate.
    await app.patch(bad, { plan: "free" });
    await app.verify();
    await drain(t);
    expect((await app.advance("readNew")).phase).toBe("readNew");
  });
});

describe("the write path", () => {
  test("the backfill's own writes are not converted again by the triggers it fires", async () => {
    // split's migrations run through the app's wrapped mutation: each patch fires the triggers.
    const t = setupReshape();
    const app = split(t);
    const [odd] = await seed(t, [{ name: "  Ada   Lovelace " }]);
    await app.advance("dualWrite");
    await app.advance("backfill");
    await drain(t);
    // `down` would write "Ada Lovelace" back into name: the backfill's echo is ignored.
    expect(await app.get(odd!)).toMatchObject({
      name: "  Ada   Lovelace ",
      firstName: "Ada",
      lastName: "Lovelace",
    });
    // And so is the triggers' own conversion of an app write.
    const id = await app.insert({ name: " Grace  Hopper" });
    expect(await app.get(id)).toMatchObject({ name: " Grace  Hopper", lastName: "Hopper" });
  });

  test("the app's other triggers see the conversion", async () => {
    const t = setupReshape();
    const insert = makeFunctionReference<"mutation", { doc: Record<string, unknown> }, PersonId>(
      "audited:insert",
    );
    await t.mutation(makeRef("audited:advance"), { rollout: "people.audited", to: "dualWrite" });
    const id = await t.mutation(insert, { doc: { name: "Audited" } });
    const audit = await t.run(async (ctx) => await ctx.db.query("audit").collect());
    expect(audit.map((a) => [a.personId, a.plan ?? null])).toEqual([
      [id, null], // the app's write, as written
      [id, "free"], // the rollout's conversion of it
    ]);
  });

  test("a phase move in the transaction is seen by the writes after it", async () => {
    const t = setupReshape();
    const app = split(t);
    const { before, after } = await t.mutation(
      makeFunctionReference<"mutation", { to: string }, { before: PersonId; after: PersonId }>(
        "split:writeAdvanceWrite",
      ),
      { to: "dualWrite" },
    );
    expect(await app.get(before)).not.toHaveProperty("firstName");
    expect(await app.get(after)).toMatchObject({ firstName: "After", lastName: "Move" });
  });

  test("a mutation may write the same document many times, each write converted", async () => {
    const t = setupReshape();
    const app = split(t);
    await app.advance("dualWrite");
    const id = await app.insert({ name: "Often Renamed" });
    await t.mutation(
      makeFunctionReference<"mutation", { id: PersonId; times: number }>("split:renameOften"),
      { id, times: 60 },
    );
    expect(await app.get(id)).toMatchObject({ name: "Name59 Often", firstName: "Name59" });
  });

  test("deletes are left alone", async () => {
    const t = setupReshape();
    const app = split(t);
    await app.advance("dualWrite");
    const [old] = await seed(t, [{ name: "Old One" }]);
    await app.remove(old!);
    expect(await app.get(old!)).toBeNull();
  });

  test("two rollouts that undo each other are stopped, and nothing of the write commits", async () => {
    const t = setupReshape();
    const move = (rollout: string) =>
      t.mutation(makeRef("fight:advance"), { rollout, to: "dualWrite" });
    await move("people.nicknameA");
    await move("people.nicknameB");
    const data = await expectRolloutError(
      t.mutation(makeRef("fight:insert"), { doc: { name: "Contested" } }),
      "InvalidArgument",
    );
    expect(data.message).toMatch(/keep undoing each other/);
    expect(await t.run(async (ctx) => await ctx.db.query("people").collect())).toEqual([]);
  });
});

describe("where the backfill is exported", () => {
  test("by default the rollout's name in camelCase, in the CLI module; a wrong export is refused at dualWrite", async () => {
    const t = setupReshape();
    const [someone] = await seed(t, [{ name: "Someone" }]);
    const advance = (rollout: string, to: string) =>
      t.mutation(
        makeFunctionReference<"mutation", { rollout: string; to: string }, RolloutStatus>(
          "misnamed:advance",
        ),
        { rollout, to },
      );
    const insert = makeFunctionReference<"mutation", { doc: Record<string, unknown> }, PersonId>(
      "misnamed:insert",
    );
    const componentTables = async () =>
      await runInComponent(t as unknown as T, async (ctx) => ({
        rollouts: await ctx.db.query("rollouts").collect(),
        transitions: await ctx.db.query("transitions").collect(),
        runs: await ctx.db.query("runs").collect(),
      }));
    const data = await expectRolloutError(
      advance("people.misnamed", "dualWrite"),
      "UnknownMigration",
    );
    // It names the export looked for, where, and the two ways to fix it.
    expect(data).toMatchObject({
      rollout: "people.misnamed",
      name: "misnamed:peopleMisnamed",
      export: "peopleMisnamed",
    });
    expect(data.message).toContain("people.misnamed cannot enter dualWrite");
    expect(data.message).toContain("the export `peopleMisnamed` of misnamed.ts");
    expect(data.message).toContain('or pass fn: "file:export"');
    // Nothing moved: still in schema, nothing stored, so app writes are not converted.
    expect(await componentTables()).toEqual({ rollouts: [], transitions: [], runs: [] });
    const status = (await t.query(makeFunctionReference<"query">("misnamed:status"), {})) as {
      rollouts: RolloutStatus[];
    };
    expect(status.rollouts.find((r) => r.name === "people.misnamed")?.phase).toBe("schema");
    expect(await t.run(async (ctx) => await ctx.db.get("people", someone!))).not.toHaveProperty(
      "plan",
    );
    const written = await t.mutation(insert, { doc: { name: "Later" } });
    expect(await t.run(async (ctx) => await ctx.db.get("people", written))).not.toHaveProperty(
      "plan",
    );
    // The rollout exported where its backfill should be is refused the same way.
    const itself = await expectRolloutError(
      advance("people.itself", "dualWrite"),
      "UnknownMigration",
    );
    expect(itself).toMatchObject({ rollout: "people.itself", export: "peopleItself" });
    expect(itself.message).toContain("`export const peopleItself = <what migrations.reshape(");
    // With `fn`, it is found where the app put it.
    await advance("people.toldWhere", "dualWrite");
    const entered = await advance("people.toldWhere", "backfill");
    expect(entered.backfill.name).toBe("misnamed:toldWhere");
    await drain(t);
    expect((await advance("people.toldWhere", "readNew")).phase).toBe("readNew");
  });
});

describe("the contract step", () => {
  test("is written out with the validators the spec knows; what it declares optional stays optional", () => {
    const contract = contractOf({
      rollout: "users.plan",
      fn: "migrations:usersPlan",
      table: "users",
      validator: v.object({
        plan: v.optional(v.union(v.literal("free"), v.literal("pro"))),
        tags: v.array(v.id("tags")),
        meta: v.record(v.string(), v.object({ at: v.number(), by: v.optional(v.string()) })),
      }),
      retire: ["legacyPlan"],
    });
    expect(contract?.require).toEqual(["tags", "meta"]);
    expect(contract?.optional).toEqual(["plan"]);
    expect(contract?.text).toBe(
      [
        `1. remove legacyPlan from every document: npx convex run migrations:usersPlan '{"reset": true}'`,
        `2. in convex/schema.ts, stage the narrow shape: defineTable({ ... }).staged({ ` +
          `tags: v.array(v.id("tags")), ` +
          `meta: v.record(v.string(), v.object({ at: v.number(), by: v.optional(v.string()) })), ` +
          `plan: v.optional(v.union(v.literal("free"), v.literal("pro"))), ` +
          `legacyPlan: undefined }), and deploy`,
        `3. once Convex reports users validated, move those fields into defineTable, drop ` +
          `.staged() and the declaration of users.plan, and deploy`,
      ].join("\n"),
    );
  });

  test("takes from the app's schema the validators of fields the spec names without one", () => {
    const contract = contractOf({
      rollout: "users.plan",
      fn: "migrations:usersPlan",
      table: "users",
      validator: v.object({ score: v.optional(v.number()) }),
      tableValidator: v.object({
        name: v.string(),
        plan: v.optional(v.union(v.literal("free"), v.literal("pro"))),
        score: v.union(v.string(), v.number()),
      }),
      newFields: ["plan"],
      retire: [],
    });
    // The spec's validator wins over the widened schema's; fields nobody named stay as they are.
    // score: optional in the spec, required by the app's schema: staged required.
    expect(contract?.require).toEqual(["plan", "score"]);
    expect(contract?.text).toContain(
      `.staged({ plan: v.union(v.literal("free"), v.literal("pro")), score: v.number() })`,
    );
  });

  test("a new field follows its source: optional where the app's schema has the source optional", () => {
    const tableValidator = v.object({
      name: v.optional(v.string()),
      email: v.string(),
      first: v.optional(v.string()),
      contact: v.optional(v.string()),
    });
    const contract = contractOf({
      rollout: "users.parts",
      fn: "migrations:usersParts",
      table: "users",
      validator: null,
      tableValidator,
      newFields: ["first", "contact"],
      sources: { first: "name", contact: "email" },
      retire: ["name"],
    });
    expect(contract?.require).toEqual(["contact"]);
    expect(contract?.optional).toEqual(["first"]);
    expect(contract?.text).toContain(
      `.staged({ contact: v.string(), first: v.optional(v.string()), name: undefined })`,
    );
  });

  test("is unknown when the spec says nothing of the new shape", () => {
    expect(contractOf({ rollout: "r", fn: "m:r", table: "t", validator: null, retire: [] })).toBe(
      null,
    );
  });
});

describe("an up that throws", () => {
  test("does not fail the app's write; the backfill stops on the document and the gate stays closed", async () => {
    const t = setupReshape();
    const app = appOf(t, "fragile", "people.fragile");
    await app.advance("dualWrite");
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const boom = await app.insert({ name: "BOOM" });
    const fine = await app.insert({ name: "Fine" });
    expect(error.mock.calls[0]?.[0]).toContain(`could not convert ${boom}`);
    error.mockRestore();
    expect(await app.get(boom)).not.toHaveProperty("plan");
    expect(await app.get(fine)).toMatchObject({ plan: "free" });
    await app.advance("backfill");
    await drain(t);
    const status = await app.status();
    expect(status.backfill.run).toMatchObject({ state: "failed" });
    expect(status.backfill.run?.error).toContain(boom);
    await expectRolloutError(app.advance("readNew"), "PhaseGateClosed");
  });
});
