/**
 * The moveField recipe (people.bio → profiles.bio) through every phase, with
 * the app writing between batches: old code writes people.bio until readNew,
 * new code writes only profiles from then on. A model keeps what each
 * person's bio is; in every phase the read path answers it, and at the end,
 * after the contract pass, every bio is in profiles and none on people:
 * nothing lost, nothing resurrected.
 */
import { makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { expectRolloutError } from "./harness.js";
import {
  appOf,
  drain,
  runScheduledOnce,
  seed,
  setupReshape,
  type PersonId,
  type RT,
} from "./reshapeHarness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const m = (name: string) =>
  makeFunctionReference<"mutation", Record<string, unknown>, unknown>(
    name.includes(":") ? name : `bio:${name}`,
  );
const readAll = makeFunctionReference<"query", Record<string, never>, Row[]>("bio:readAll");
type Row = { _id: PersonId; bio?: string };
type Profile = { personId: PersonId; bio?: string; avatar?: string };

function setup() {
  const t = setupReshape();
  const app = appOf(t, "bio", "people.bio");
  /** What each live person's bio is, as the app last wrote it. */
  const truth = new Map<PersonId, string | undefined>();
  const profiles = async () =>
    (await t.run(async (ctx) => await ctx.db.query("profiles").collect())) as Profile[];
  const newCode = {
    setBio: async (personId: PersonId, bio: string | undefined) => {
      await t.mutation(m("setBio"), { personId, bio });
      truth.set(personId, bio);
    },
    setAvatar: async (personId: PersonId, avatar: string) => {
      await t.mutation(m("setAvatar"), { personId, avatar });
    },
  };
  const oldCode = {
    insert: async (bio: string | undefined) => {
      const id = await app.insert(
        bio === undefined ? { name: "No Bio" } : { name: "Has Bio", bio },
      );
      truth.set(id, bio);
      return id;
    },
    setBio: async (id: PersonId, bio: string | undefined) => {
      await t.mutation(m("oldSetBio"), { id, bio });
      truth.set(id, bio);
    },
    remove: async (id: PersonId) => {
      await app.remove(id);
      truth.delete(id);
    },
  };
  /** The read path answers the model for every person. */
  const expectReads = async () => {
    const rows = await t.query(readAll, {});
    expect(rows.length).toBe(truth.size);
    const wrong = rows.filter((row) => row.bio !== truth.get(row._id));
    expect(wrong).toEqual([]);
  };
  /** Every bio the model has is in profiles (and no bio it does not have). */
  const expectMoved = async () => {
    const byPerson = new Map((await profiles()).map((p) => [p.personId, p]));
    const wrong = [...truth].filter(([id, bio]) => byPerson.get(id)?.bio !== bio);
    expect(wrong).toEqual([]);
  };
  return { t, app, truth, profiles, newCode, oldCode, expectReads, expectMoved };
}

async function seedPeople(t: RT, truth: Map<PersonId, string | undefined>, count: number) {
  const docs = Array.from({ length: count }, (_, i) =>
    i % 5 === 0 ? { name: `Quiet ${i}` } : { name: `Seeded ${i}`, bio: `bio ${i}` },
  );
  const ids = await seed(t, docs);
  ids.forEach((id, i) => truth.set(id, docs[i]!.bio));
  return ids;
}

describe("moveField: people.bio → profiles.bio", () => {
  test("through every phase with the app writing between batches; nothing lost", async () => {
    const { t, app, truth, profiles, newCode, oldCode, expectReads, expectMoved } = setup();
    const ids = await seedPeople(t, truth, 120);
    let k = 0;
    const live = () => [...truth.keys()];
    const pick = () => live()[(k++ * 37) % truth.size]!;
    const oldWrites = async (count: number) => {
      for (let i = 0; i < count; i++, k++) {
        await oldCode.insert(k % 3 === 0 ? undefined : `new ${k}`);
        await oldCode.setBio(pick(), k % 4 === 0 ? undefined : `changed ${k}`);
      }
      await oldCode.remove(pick());
    };

    // schema: nothing moves.
    await oldWrites(3);
    expect(await profiles()).toEqual([]);
    await expectReads();

    // dualWrite: each write of people.bio is copied in its own transaction.
    await app.advance("dualWrite");
    const before = new Set(await profiles());
    await oldWrites(3);
    expect((await profiles()).length).toBeGreaterThan(before.size);
    await expectReads();

    // A profile with a field of its own: a person deleted keeps no bio, and the row keeps its avatar.
    const withAvatar = ids[1]!;
    await newCode.setAvatar(withAvatar, "cat.png");

    // backfill, interleaved with the app's writes.
    await app.advance("backfill");
    await runScheduledOnce(t);
    expect((await app.status()).backfill.run?.state).toBe("running");
    for (let round = 0; round < 2; round++) {
      await oldWrites(3);
      await expectReads();
      await runScheduledOnce(t);
    }
    await drain(t);
    expect((await app.status()).verify).toMatchObject({ state: "done", mismatches: 0 });
    await expectMoved();

    // readNew: new code writes only profiles; the copy back keeps people.bio right for a rollback.
    await app.advance("readNew");
    for (let i = 0; i < 4; i++, k++)
      await newCode.setBio(pick(), k % 3 === 0 ? undefined : `v2 ${k}`);
    await app.replace(pick(), { name: "Rewritten By New Code" }); // the new shape: no bio on people
    await expectReads();
    await expectMoved();
    const stored = await app.stored();
    expect(stored.filter((p) => p.bio !== truth.get(p._id))).toEqual([]);

    await oldCode.remove(withAvatar);
    const kept = (await profiles()).find((p) => p.personId === withAvatar);
    expect(kept).toMatchObject({ avatar: "cat.png" });
    expect(kept?.bio).toBeUndefined();

    // complete, then the contract pass removes people.bio: every bio is in profiles, nowhere else.
    await app.advance("complete");
    expect((await app.status()) as { contract?: string }).toMatchObject({
      contract: expect.stringContaining(".staged({ bio: undefined })") as unknown,
    });
    for (let i = 0; i < 3; i++, k++) await newCode.setBio(pick(), `v3 ${k}`);
    await expectReads();
    await t.mutation(m("peopleBio"), { reset: true });
    await drain(t);
    expect((await app.stored()).filter((p) => p.bio !== undefined)).toEqual([]);
    await expectMoved();
    await expectReads();
  });

  test("a rollback from readNew finds every bio new code wrote on people", async () => {
    const { t, app, truth, newCode, expectReads } = setup();
    const ids = await seedPeople(t, truth, 30);
    await app.advance("dualWrite");
    await app.advance("backfill");
    await drain(t);
    await app.advance("readNew");
    await newCode.setBio(ids[0]!, "rewritten");
    await newCode.setBio(ids[1]!, undefined);
    await newCode.setBio(ids[2]!, "created");
    expect((await app.rollback()).phase).toBe("backfill");
    // Old readers read people.bio again: it holds what new code wrote.
    const stored = new Map((await app.stored()).map((p) => [p._id, p.bio]));
    expect([stored.get(ids[0]!), stored.get(ids[1]!), stored.get(ids[2]!)]).toEqual([
      "rewritten",
      undefined,
      "created",
    ]);
    await expectReads();
  });

  test("writes that bypass the triggers are caught by verify, on either table", async () => {
    const { t, app, truth } = setup();
    const ids = await seedPeople(t, truth, 30);
    await app.advance("dualWrite");
    await app.advance("backfill");
    await drain(t);
    // The dashboard edits a person's bio, and another person's profile.
    await app.bypassPatch(ids[1]!, { bio: "edited on the dashboard" });
    await t.mutation(m("bypassSetBio"), { personId: ids[2]!, bio: "edited profile" });
    await app.verify();
    await drain(t);
    const verify = (await app.status()).verify;
    expect(verify).toMatchObject({ mismatches: 2 });
    expect([...(verify?.firstMismatchIds ?? [])].sort()).toEqual([ids[1], ids[2]].sort());
    const closed = await expectRolloutError(app.advance("readNew"), "PhaseGateClosed");
    expect(closed.message).toContain(ids[1]!);
    // Before readNew people is the truth: the backfill again copies it over, and the gate opens.
    await t.mutation(m("peopleBio"), { reset: true });
    await drain(t);
    await app.verify();
    await drain(t);
    expect((await app.advance("readNew")).phase).toBe("readNew");
  });

  test("two profiles for one person: verify names the person, the backfill says what to do", async () => {
    const { t, app, truth } = setup();
    const ids = await seedPeople(t, truth, 10);
    await app.advance("dualWrite");
    await t.run(async (ctx) => {
      await ctx.db.insert("profiles", { personId: ids[1]!, bio: "one" });
      await ctx.db.insert("profiles", { personId: ids[1]!, bio: "two" });
    });
    await app.advance("backfill");
    await drain(t);
    const status = await app.status();
    expect(status.backfill.run).toMatchObject({ state: "failed" });
    expect(status.backfill.run?.error).toContain("Merge them, then run the backfill again");
    await t.run(async (ctx) => {
      const rows = await ctx.db.query("profiles").collect();
      await ctx.db.delete("profiles", rows.find((r) => r.bio === "two")!._id);
    });
    await t.mutation(m("peopleBio"), { reset: true });
    await drain(t);
    expect((await app.status()).verify).toMatchObject({ state: "done", mismatches: 0 });
    await t.run(async (ctx) => {
      await ctx.db.insert("profiles", { personId: ids[2]!, bio: "duplicate" });
    });
    await app.verify();
    await drain(t);
    expect((await app.status()).verify).toMatchObject({
      mismatches: 1,
      firstMismatchIds: [ids[2]],
    });
  });

  test("a dry run plans the move and writes neither table", async () => {
    const { t, app, truth, profiles } = setup();
    await seedPeople(t, truth, 20);
    await app.advance("dualWrite");
    const plan = (await t.mutation(m("peopleBio"), { dryRun: true })) as { processed?: number };
    // 20 people, one in five with no bio: 16 would get a profile.
    expect(plan).toMatchObject({ dryRun: true, wouldChange: 16, unchanged: 4 });
    expect(await profiles()).toEqual([]);
    // The backfill counts a person whose bio it copied as changed, though the person is not patched.
    await app.advance("backfill");
    await drain(t);
    expect((await app.status()).backfill.run).toMatchObject({ processed: 20, changed: 16 });
  });

  test("under another name: people.nickname → profiles.handle", async () => {
    const t = setupReshape();
    const app = appOf(t, "handle", "people.handle");
    const handles = makeFunctionReference<"query", Record<string, never>, Record<string, string>>(
      "handle:handles",
    );
    const [seeded] = await seed(t, [{ name: "Seeded", nickname: "old" }]);
    await app.advance("dualWrite");
    const written = await app.insert({ name: "Written", nickname: "fresh" });
    await app.advance("backfill");
    await drain(t);
    expect((await app.status()).verify).toMatchObject({ state: "done", mismatches: 0 });
    const rows = await t.run(async (ctx) => await ctx.db.query("profiles").collect());
    expect(rows.map((r) => [r.personId, r.handle, "nickname" in r])).toEqual([
      [written, "fresh", false],
      [seeded, "old", false],
    ]);
    await app.advance("readNew");
    await t.mutation(m("handle:setHandle"), { personId: seeded!, handle: "renamed" });
    expect(await app.get(seeded!)).toMatchObject({ nickname: "renamed" }); // copied back
    expect(await t.query(handles, {})).toEqual({ [seeded!]: "renamed", [written]: "fresh" });
  });
});
