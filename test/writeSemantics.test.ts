/**
 * The write-semantics table of declarative rollouts (src/client/README.md), one
 * case per row that once lost or broke something: clears, replaces, optional
 * sources, the app's own rows of a moved field, key changes, an app writing
 * one document many times, a conversion the schema rejects. Each test names
 * the case of issue 18 it pins.
 */
import { makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { RolloutStatusWithContract } from "../src/client/contract.js";
import { appOf, drain, seed, setupReshape, type PersonId, type RT } from "./reshapeHarness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const mutation = (name: string) =>
  makeFunctionReference<"mutation", Record<string, unknown>, unknown>(name);
const query = (name: string) =>
  makeFunctionReference<"query", Record<string, unknown>, unknown>(name);

type App = ReturnType<typeof appOf>;

/** Walks a rollout from schema to readNew, the backfill drained and verified. */
async function toReadNew(t: RT, app: App) {
  await app.advance("dualWrite");
  await app.advance("backfill");
  await drain(t);
  expect((await app.advance("readNew")).phase).toBe("readNew");
}

/** At complete: the contract pass (the backfill run again with reset), drained. */
async function contractPass(t: RT, app: App, fn: string) {
  await app.advance("complete");
  await t.mutation(mutation(fn), { reset: true });
  await drain(t);
}

const clear = (t: RT, module: string, id: PersonId, fields: string[]) =>
  t.mutation(mutation(`${module}:clear`), { id, fields });

describe("a clear is a write like any other (#1)", () => {
  test("from readNew on, new code clearing the new field clears both; nothing comes back, contract pass included", async () => {
    const t = setupReshape();
    const app = appOf(t, "email", "people.email");
    const [ada, bob] = await seed(t, [{ email: "ada@x" }, { email: "bob@x" }]);
    await toReadNew(t, app);
    await clear(t, "email", ada!, ["contactEmail"]);
    expect(await app.get(ada!)).not.toHaveProperty("contactEmail");
    expect(await app.get(ada!)).not.toHaveProperty("email");
    // At complete too: the retired field goes with the value, so the contract pass has nothing to copy.
    await app.advance("complete");
    await clear(t, "email", bob!, ["contactEmail"]);
    await t.mutation(mutation("email:peopleEmail"), { reset: true });
    await drain(t);
    for (const id of [ada!, bob!]) {
      const doc = await app.get(id);
      expect(doc).not.toHaveProperty("contactEmail");
      expect(doc).not.toHaveProperty("email");
    }
  });

  test("before readNew, old code clearing the old field clears the new one too", async () => {
    const t = setupReshape();
    const app = appOf(t, "email", "people.email");
    const [ada] = await seed(t, [{ email: "ada@x" }]);
    await app.advance("dualWrite");
    await app.advance("backfill");
    await drain(t);
    expect(await app.get(ada!)).toMatchObject({ contactEmail: "ada@x" });
    await clear(t, "email", ada!, ["email"]);
    expect(await app.get(ada!)).not.toHaveProperty("contactEmail");
    await app.verify();
    await drain(t);
    expect((await app.status()).verify).toMatchObject({ mismatches: 0 });
  });
});

describe("a replace keeps the old shape (#2, #16)", () => {
  test("at readNew, a replace carrying only the new shape gets the old one back from down", async () => {
    const t = setupReshape();
    const app = appOf(t, "email", "people.email");
    const [ada] = await seed(t, [{ email: "ada@x", name: "Ada" }]);
    await toReadNew(t, app);
    // An edit form saving what the typed read shows: the new shape, the old field dropped.
    await app.replace(ada!, { name: "Ada L.", contactEmail: "ada@x" });
    expect(await app.get(ada!)).toMatchObject({ email: "ada@x", contactEmail: "ada@x" });
    // A rollback finds the old shape as old code reads it.
    await app.rollback();
    expect(await app.get(ada!)).toMatchObject({ email: "ada@x", name: "Ada L." });
  });

  test("at readNew, old code's clear of a moved field alone is repaired from the other table (the truth)", async () => {
    const t = setupReshape();
    const app = appOf(t, "bio", "people.bio");
    const [ada] = await seed(t, [{ name: "Ada", bio: "math" }]);
    await toReadNew(t, app);
    await t.mutation(mutation("bio:oldSetBio"), { id: ada });
    expect(await app.get(ada!)).toMatchObject({ bio: "math" });
    // New code's clear, where the value lives from readNew on, is a clear of both.
    await t.mutation(mutation("bio:setBio"), { personId: ada });
    expect(await app.get(ada!)).not.toHaveProperty("bio");
  });
});

describe("optional fields are first-class (#3)", () => {
  test("retypeField on a field some documents lack: verify passes, the gate opens, the contract stages it optional", async () => {
    const t = setupReshape();
    const app = appOf(t, "age", "people.age");
    const [old, none] = await seed(t, [{ age: "42" }, { name: "No Age" }]);
    await toReadNew(t, app);
    expect((await app.status()).verify).toMatchObject({ mismatches: 0 });
    expect(await app.get(old!)).toMatchObject({ age: 42 });
    expect(await app.get(none!)).not.toHaveProperty("age");
    await contractPass(t, app, "age:peopleAge");
    const status = (await app.status()) as RolloutStatusWithContract;
    expect(status.contract).toContain(".staged({ age: v.optional(v.number()) })");
  });

  test("renameField from an optional source: a document without it stays without either, and passes verify", async () => {
    const t = setupReshape();
    const app = appOf(t, "email", "people.email");
    const [none] = await seed(t, [{ name: "No Email" }, { email: "ada@x" }]);
    await toReadNew(t, app);
    expect((await app.status()).verify).toMatchObject({ mismatches: 0 });
    const [read] = (await app.readAll()).filter((p) => p._id === none);
    expect(read).not.toHaveProperty("contactEmail");
    await contractPass(t, app, "email:peopleEmail");
    const status = (await app.status()) as RolloutStatusWithContract;
    expect(status.contract).toContain("contactEmail: v.optional(v.string())");
  });
});

describe("moveField never fights the app's own code over the other table", () => {
  test("#5: the app's sign-up inserting the profile itself adopts the row the package made: one row", async () => {
    const t = setupReshape();
    const app = appOf(t, "bio", "people.bio");
    await app.advance("dualWrite");
    const { personId, profileId } = (await t.mutation(mutation("bio:signUp"), {
      name: "Ada",
      bio: "math",
      avatar: "ada.png",
    })) as { personId: PersonId; profileId: string };
    const rows = (await t.query(query("bio:profilesOf"), { personId })) as Record<
      string,
      unknown
    >[];
    expect(rows).toEqual([
      expect.objectContaining({ _id: profileId, bio: "math", avatar: "ada.png" }),
    ]);
    // Later writes still find one row.
    await t.mutation(mutation("bio:setBio"), { personId, bio: "logic" });
    expect(await app.get(personId)).toMatchObject({ bio: "logic" });
  });

  test("#6: the app's account deletion (the person, then the profile it looked up) works in every phase", async () => {
    const t = setupReshape();
    const app = appOf(t, "bio", "people.bio");
    const phases = ["dualWrite", "backfill", "readNew", "complete"] as const;
    for (const phase of phases) {
      if (phase === "readNew") await drain(t);
      await app.advance(phase);
      const { personId } = (await t.mutation(mutation("bio:signUp"), {
        name: "Ada",
        bio: "math",
        avatar: "ada.png",
      })) as { personId: PersonId };
      await t.mutation(mutation("bio:deleteAccount"), { personId });
      expect(await t.query(query("bio:profilesOf"), { personId })).toEqual([]);
    }
  });

  test("#6: a person deleted alone takes the value off its row; the row stays for the app", async () => {
    const t = setupReshape();
    const app = appOf(t, "bio", "people.bio");
    const [ada] = await seed(t, [{ name: "Ada", bio: "math" }]);
    await app.advance("dualWrite");
    await app.advance("backfill");
    await drain(t);
    await app.remove(ada!);
    const rows = (await t.query(query("bio:profilesOf"), { personId: ada })) as Record<
      string,
      unknown
    >[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).not.toHaveProperty("bio");
  });

  test("#7: from readNew on, a profile given to another person moves the value; rollback and backfill agree", async () => {
    const t = setupReshape();
    const app = appOf(t, "bio", "people.bio");
    const [ada, bob] = await seed(t, [{ name: "Ada", bio: "math" }, { name: "Bob" }]);
    await toReadNew(t, app);
    await t.mutation(mutation("bio:reparent"), { from: ada, to: bob });
    expect(await app.get(ada!)).not.toHaveProperty("bio");
    expect(await app.get(bob!)).toMatchObject({ bio: "math" });
    await app.rollback();
    await t.mutation(mutation("bio:peopleBio"), { reset: true });
    await drain(t);
    expect(await app.get(bob!)).toMatchObject({ bio: "math" });
    expect(await t.query(query("bio:profilesOf"), { personId: bob })).toEqual([
      expect.objectContaining({ bio: "math" }),
    ]);
    expect(await t.query(query("bio:profilesOf"), { personId: ada })).toEqual([]);
  });
});

test("#8: an app writing one document 150 times in one transaction is not taken for a loop", async () => {
  const t = setupReshape();
  const app = appOf(t, "email", "people.email");
  const [ada] = await seed(t, [{ email: "ada@x" }]);
  await app.advance("dualWrite");
  await t.mutation(mutation("email:rewrite"), { id: ada, field: "email", times: 150 });
  expect(await app.get(ada!)).toMatchObject({
    email: "email149@example.com",
    contactEmail: "email149@example.com",
  });
});

test("#9: a conversion the app's schema rejects leaves the app's write as written; backfill and verify report it", async () => {
  const t = setupReshape();
  const app = appOf(t, "rejected", "people.rejected");
  const errors = vi.spyOn(console, "error").mockImplementation(() => {});
  await app.advance("dualWrite");
  const goldie = await app.insert({ name: "Goldie" });
  const fine = await app.insert({ name: "Fine" });
  expect(await app.get(goldie)).not.toHaveProperty("plan");
  expect(await app.get(fine)).toMatchObject({ plan: "free" });
  expect(errors.mock.calls.flat().join(" ")).toContain(`could not convert ${goldie}`);
  errors.mockRestore();
  await app.advance("backfill");
  await drain(t);
  const { backfill } = await app.status();
  expect(backfill?.run).toMatchObject({ state: "failed", failedDocumentId: goldie });
  expect(backfill?.run?.error).toContain("does not match the table's schema");
});
