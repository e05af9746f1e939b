/**
 * Every recipe through every phase, against an app that keeps writing
 * through its triggered mutations: old code before and during the backfill,
 * new code from readNew on (where the recipe has a `down`), a stray old
 * writer after complete; then the contract pass. In every phase the typed
 * read answers the new shape for every document.
 */
import { makeFunctionReference } from "convex/server";
import { v } from "convex/values";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import * as standalone from "../src/client/recipes.js";
import { expectRolloutError } from "./harness.js";
import { appFor } from "./fixtures/reshape/app.js";
import { joinName, splitName } from "./fixtures/reshape/split.js";
import {
  appOf,
  drain,
  runScheduledOnce,
  seed,
  setupReshape,
  type Person,
  type PersonId,
} from "./reshapeHarness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

type Recipe = {
  module: string;
  rollout: string;
  backfill: string;
  /** A document as old code inserts it. */
  oldInsert: (i: number) => Record<string, unknown>;
  /** A patch as old code writes it. */
  oldPatch: (i: number) => Record<string, unknown>;
  /** A patch and an insert as new code writes them (only the new shape), for recipes with `down`. */
  newPatch?: (i: number) => Record<string, unknown>;
  newInsert?: (i: number) => Record<string, unknown>;
  /** Stored in the new shape (and, until complete, in the old one too, agreeing). */
  converted: (p: Person) => boolean;
  /** What the typed read answers, in every phase. */
  readOk: (p: Person) => boolean;
  /** Fields the contract pass removes. */
  retired: string[];
  /** The narrow shape status says to stage at complete (the app gave Rollouts its schema). */
  staged: string;
};

const RECIPES: Recipe[] = [
  {
    module: "plan",
    rollout: "people.plan",
    backfill: "plan:peoplePlan",
    oldInsert: (i) => ({ name: `Old ${i}` }),
    oldPatch: (i) => ({ name: `Renamed ${i}` }),
    converted: (p) => p.plan === "free" || p.plan === "pro",
    readOk: (p) => p.plan === "free" || p.plan === "pro",
    retired: [],
    staged: `.staged({ plan: v.union(v.literal("free"), v.literal("pro")) })`,
  },
  {
    module: "email",
    rollout: "people.email",
    backfill: "email:peopleEmail",
    oldInsert: (i) => ({ email: `old${i}@example.com` }),
    oldPatch: (i) => ({ email: `changed${i}@example.com` }),
    newPatch: (i) => ({ contactEmail: `new${i}@example.com` }),
    newInsert: (i) => ({ contactEmail: `fresh${i}@example.com` }),
    converted: (p) => typeof p.contactEmail === "string" && p.email === p.contactEmail,
    readOk: (p) => typeof p.contactEmail === "string" && p.contactEmail.includes("@"),
    retired: ["email"],
    // email is optional in the fixture's schema: so is contactEmail (absent stays absent).
    staged: `.staged({ contactEmail: v.optional(v.string()), email: undefined })`,
  },
  {
    module: "split",
    rollout: "people.split",
    backfill: "split:peopleSplit",
    oldInsert: (i) => ({ name: i % 4 === 0 ? `Solo${i}` : `First${i} Last${i}` }),
    oldPatch: (i) => ({ name: `Renamed${i} Person${i}` }),
    newPatch: (i) => ({ lastName: `Newlast${i}` }),
    newInsert: (i) => ({ firstName: `Newfirst${i}`, lastName: `Newlast${i}` }),
    converted: (p) => {
      if (typeof p.name !== "string") return false;
      const parts = splitName(p.name);
      return p.firstName === parts.firstName && p.lastName === parts.lastName;
    },
    readOk: (p) => typeof p.firstName === "string" && typeof p.lastName === "string",
    retired: ["name"],
    staged: `.staged({ firstName: v.optional(v.string()), lastName: v.optional(v.string()), name: undefined })`,
  },
  {
    module: "age",
    rollout: "people.age",
    backfill: "age:peopleAge",
    oldInsert: (i) => ({ age: `${20 + (i % 50)}` }),
    oldPatch: (i) => ({ age: `${30 + (i % 40)}` }),
    converted: (p) => typeof p.age === "number",
    readOk: (p) => typeof p.age === "number" && Number.isInteger(p.age),
    retired: [],
    // age is optional in the fixture's schema: a person without one keeps none.
    staged: `.staged({ age: v.optional(v.number()) })`,
  },
  {
    module: "nickname",
    rollout: "people.nickname",
    backfill: "nickname:peopleNickname",
    oldInsert: (i) => ({ name: `Old ${i}`, nickname: `nick${i}` }),
    oldPatch: (i) => ({ nickname: `again${i}` }),
    converted: (p) => p.nickname === undefined,
    readOk: (p) => p.nickname === undefined,
    retired: ["nickname"],
    staged: `.staged({ nickname: undefined })`,
  },
];

for (const recipe of RECIPES) {
  describe(`${recipe.rollout} (${recipe.backfill})`, () => {
    test("through every phase with the app writing between batches", async () => {
      const t = setupReshape();
      const app = appOf(t, recipe.module, recipe.rollout);
      const seeded = await seed(
        t,
        Array.from({ length: 150 }, (_, i) => recipe.oldInsert(i)),
      );
      const ids: PersonId[] = [...seeded];
      let k = 1000;
      const oldCode = async (count: number) => {
        for (let i = 0; i < count; i++, k++) {
          ids.push(await app.insert(recipe.oldInsert(k)));
          await app.patch(ids[(k * 31) % ids.length]!, recipe.oldPatch(k));
        }
      };
      const newCode = async (count: number) => {
        if (!recipe.newPatch || !recipe.newInsert) return oldCode(count);
        for (let i = 0; i < count; i++, k++) {
          ids.push(await app.insert(recipe.newInsert(k)));
          await app.patch(ids[(k * 31) % ids.length]!, recipe.newPatch(k));
        }
      };
      const expectReads = async () => {
        const read = await app.readAll();
        expect(read.length).toBe(ids.length);
        expect(read.filter((p) => !recipe.readOk(p))).toEqual([]);
      };

      // schema: nothing is converted on write; the typed read converts in memory.
      await oldCode(3);
      expect((await app.stored()).filter(recipe.converted)).toEqual([]);
      await expectReads();

      // dualWrite: every write through the app is converted in its own transaction.
      await app.advance("dualWrite");
      const before = ids.length;
      await oldCode(3);
      const fresh = await Promise.all(ids.slice(before).map((id) => app.get(id)));
      expect(fresh.every((p) => p !== null && recipe.converted(p))).toBe(true);
      await expectReads();

      // backfill: batches interleaved with the app's writes.
      await app.advance("backfill");
      await runScheduledOnce(t);
      expect((await app.status()).backfill.run?.state).toBe("running");
      for (let round = 0; round < 2; round++) {
        await oldCode(4);
        await expectReads();
        await runScheduledOnce(t);
      }
      await oldCode(4);
      await drain(t);
      const backfilled = await app.status();
      expect(backfilled.backfill.run).toMatchObject({ state: "done" });
      expect(backfilled.verify).toMatchObject({ state: "done", mismatches: 0 });
      expect((await app.stored()).filter((p) => !recipe.converted(p))).toEqual([]);

      // readNew: new code may write only the new shape; `down` keeps the old one right.
      await app.advance("readNew");
      await newCode(4);
      expect((await app.stored()).filter((p) => !recipe.converted(p))).toEqual([]);
      await expectReads();

      // complete: a stray old writer is still converted; new code writes no old shape.
      await app.advance("complete");
      expect((await app.status()) as { contract?: string }).toMatchObject({
        contract: expect.stringContaining(recipe.staged) as unknown,
      });
      await oldCode(2);
      const beforeNew = ids.length;
      await newCode(2);
      if (recipe.newInsert) {
        const written = await Promise.all(ids.slice(beforeNew).map((id) => app.get(id)));
        for (const field of recipe.retired) {
          expect(written.filter((p) => p?.[field] !== undefined)).toEqual([]);
        }
      }
      await expectReads();

      // The contract pass: the backfill run again, after complete, removes retired fields.
      await t.mutation(makeFunctionReference<"mutation">(recipe.backfill), { reset: true });
      await drain(t);
      const final = await app.stored();
      expect(final.length).toBe(ids.length);
      for (const field of recipe.retired) {
        expect(final.filter((p) => p[field] !== undefined)).toEqual([]);
      }
      expect((await app.readAll()).filter((p) => !recipe.readOk(p))).toEqual([]);
    });

    test("a writer that bypasses the triggers is caught by verify", async () => {
      const t = setupReshape();
      const app = appOf(t, recipe.module, recipe.rollout);
      await seed(
        t,
        Array.from({ length: 30 }, (_, i) => recipe.oldInsert(i)),
      );
      await app.advance("dualWrite");
      await app.advance("backfill");
      await drain(t);
      const bad = await app.bypassInsert(recipe.oldInsert(99));
      await app.verify();
      await drain(t);
      expect((await app.status()).verify).toMatchObject({
        mismatches: 1,
        firstMismatchIds: [bad],
      });
      const data = await expectRolloutError(app.advance("readNew"), "PhaseGateClosed");
      expect(data.message).toContain(bad);
      // The backfill run again converts it; a new pass opens the gate.
      await t.mutation(makeFunctionReference<"mutation">(recipe.backfill), { reset: true });
      await drain(t);
      await app.verify();
      await drain(t);
      expect((await app.advance("readNew")).phase).toBe("readNew");
    });
  });
}

describe("addField with a function of the document (people.planByEmail)", () => {
  test("each document gets what the function answers for it: on read, on write and in the backfill", async () => {
    const t = setupReshape();
    const app = appOf(t, "planByEmail", "people.planByEmail");
    const [corp, home, none] = await seed(t, [
      { name: "Corp", email: "a@corp.example" },
      { name: "Home", email: "b@home.example" },
      { name: "None" },
    ]);
    const plans = (people: Person[]) => Object.fromEntries(people.map((p) => [p._id, p.plan]));
    // schema: the typed read converts in memory, each by its own email.
    expect(plans(await app.readAll())).toEqual({
      [corp!]: "pro",
      [home!]: "free",
      [none!]: "free",
    });
    // dualWrite: a write is converted by the function; one that sets the field keeps its own.
    await app.advance("dualWrite");
    const written = await app.insert({ name: "New", email: "c@corp.example" });
    const chosen = await app.insert({ name: "Chose", email: "d@corp.example", plan: "free" });
    expect((await app.get(written))?.plan).toBe("pro");
    expect((await app.get(chosen))?.plan).toBe("free");
    // backfill: the documents from before get theirs.
    await app.advance("backfill");
    await drain(t);
    expect(plans(await app.stored())).toEqual({
      [corp!]: "pro",
      [home!]: "free",
      [none!]: "free",
      [written]: "pro",
      [chosen]: "free",
    });
    expect((await app.advance("readNew")).phase).toBe("readNew");
  });
});

describe("migrations.recipes(table): the standalone recipes, typed by the table", () => {
  const people = appFor("recipesOf").migrations.recipes("people");
  /** People in every state a recipe meets: old shape, new shape, both, neither. */
  const docs: Record<string, unknown>[] = [
    { name: "Ada Lovelace", email: "ada@corp.example", age: "36", nickname: "ada", bio: "Notes" },
    { firstName: "Alan", lastName: "Turing", contactEmail: "alan@home.example", age: 41 },
    { name: "Grace", plan: "pro", handle: "grace" },
    {},
  ];
  type Convert = (doc: Record<string, unknown>) => unknown;
  /** The same data, and `up` and `down` answering the same for every document. */
  function expectSameRecipe(typed: object, standalone: object) {
    expect(Object.keys(typed).sort()).toEqual(Object.keys(standalone).sort());
    for (const [key, value] of Object.entries(standalone)) {
      const mine = (typed as Record<string, unknown>)[key];
      if (typeof value !== "function") {
        expect(mine, key).toEqual(value);
        continue;
      }
      expect(typeof mine, key).toBe("function");
      for (const doc of docs) expect((mine as Convert)(doc), key).toEqual((value as Convert)(doc));
    }
  }
  const byEmail = (person: { email?: string }) =>
    person.email?.endsWith("@corp.example") ? ("pro" as const) : ("free" as const);
  const toNumber = (age: string) => Number.parseInt(age, 10);

  test.each([
    ["addField", people.addField("plan", "free"), standalone.addField("plan", "free")],
    [
      "addField of the document",
      people.addField("plan", byEmail),
      standalone.addField("plan", byEmail),
    ],
    [
      "renameField",
      people.renameField("email", "contactEmail"),
      standalone.renameField("email", "contactEmail"),
    ],
    [
      "splitField",
      people.splitField("name", ["firstName", "lastName"], splitName, joinName),
      standalone.splitField("name", ["firstName", "lastName"], splitName, joinName),
    ],
    [
      "splitField without join",
      people.splitField("name", ["firstName", "lastName"], splitName),
      standalone.splitField("name", ["firstName", "lastName"], splitName),
    ],
    [
      "retypeField",
      people.retypeField("age", v.number(), toNumber),
      standalone.retypeField("age", v.number(), toNumber),
    ],
    ["removeField", people.removeField("nickname"), standalone.removeField("nickname")],
    [
      "moveField",
      people.moveField("bio", { to: "profiles", index: "by_person", key: "personId" }),
      standalone.moveField("bio", { to: "profiles", index: "by_person", key: "personId" }),
    ],
    [
      "moveField under another name",
      people.moveField("nickname", {
        to: "profiles",
        index: "by_person",
        key: "personId",
        as: "handle",
      }),
      standalone.moveField("nickname", {
        to: "profiles",
        index: "by_person",
        key: "personId",
        as: "handle",
      }),
    ],
  ] as [string, object, object][])(
    "%s answers what the standalone recipe answers",
    (_, typed, standalone) => {
      expectSameRecipe(typed, standalone);
    },
  );
});
