/**
 * The model test of declarative rollouts: random orders of whole transactions
 * mixing app writes in the old shape and the new (through the triggered
 * mutations), writes that bypass the triggers, deletes, phase moves forward
 * and back, backfill batches, verify passes and contract passes, for a
 * rename (people.email → contactEmail), a split with a join back (people.name
 * → firstName + lastName) and a move to another table (people.bio →
 * profiles.bio). A model keeps each person's value as the app
 * last wrote it, and after every step:
 *
 *  - the read path (the typed read, `moved` for the move) answers the model
 *    for every person: in every phase, before the backfill is done and after
 *    the read switched. The one exception is the documented one: a person
 *    written around the triggers after the last verify pass started, once
 *    readNew was entered (verify cannot see what happened after it looked);
 *  - entering readNew means every person is stored in the new shape, except
 *    those same uncovered ones [old-shape];
 *  - no person is lost or brought back [lost].
 *
 * At the end the rollout is walked to complete the way the README says
 * (backfill again, verify, advance, contract pass) and every value must be in
 * the new place and nowhere in the old.
 *
 * `npm test` runs the fixed seeds of `test/seeds.ts`; `npm run fuzz` explores new ones.
 * Replay: FC_SEED=123 npx vitest run test/reshapeModel.test.ts (100 schedules; FC_RUNS=500 for more).
 */
import fc from "fast-check";
import { makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { exportNameOf } from "../src/client/declarative.js";
import { isRolloutError } from "../src/shared/errors.js";
import type { Phase } from "../src/shared/validators.js";
import { joinName } from "./fixtures/reshape/split.js";
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
import { MODELS, seedPlans } from "./seeds.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** The fixed seeds of `test/seeds.ts` (or `FC_SEED`, `FC_RUNS`, `FC_PATH` to replay one). */
const PLANS = seedPlans("reshapeModel");

const ORDER: Phase[] = ["schema", "dualWrite", "backfill", "readNew", "complete"];
const at = (phase: Phase, least: Phase) => ORDER.indexOf(phase) >= ORDER.indexOf(least);

type App = ReturnType<typeof appOf>;
/** One declarative rollout as the model drives it. */
type Subject = {
  module: string;
  rollout: string;
  insertOld(app: App, t: RT, value: string): Promise<PersonId>;
  insertNew(app: App, t: RT, value: string): Promise<PersonId>;
  setOld(app: App, t: RT, id: PersonId, value: string): Promise<void>;
  setNew(app: App, t: RT, id: PersonId, value: string): Promise<void>;
  /**
   * New code replaces the whole document in the new shape only (the old field
   * dropped); answers the value the person now has.
   */
  replaceNew(
    app: App,
    id: PersonId,
    value: string,
    current: string | undefined,
    t: RT,
  ): Promise<string | undefined>;
  bypass(app: App, id: PersonId, value: string): Promise<void>;
  /** Clears the value in the old shape (old code) and in the new (new code). */
  clearOld(t: RT, id: PersonId): Promise<void>;
  clearNew(t: RT, id: PersonId): Promise<void>;
  /** The app's own code over the other table (a move): sign-up, account deletion, a key change. */
  own?: {
    signUp(t: RT, value: string): Promise<PersonId>;
    deleteAccount(t: RT, id: PersonId): Promise<void>;
    reparent(t: RT, from: PersonId, to: PersonId): Promise<void>;
    /** Rows of the other table per person: never more than one. */
    rowsPer(t: RT): Promise<Map<string, number>>;
  };
  /** The value the read path answers for a person. */
  read(row: Person): unknown;
  /** The value stored in the new shape, and whether the old field is gone. */
  stored(t: RT): Promise<Map<PersonId, { value: unknown; old: unknown }>>;
  oldField: string;
};

/** The split's new shape read back as one value (undefined while a part is missing). */
function joinedName(p: Person): string | undefined {
  if (typeof p.firstName !== "string" || typeof p.lastName !== "string") return undefined;
  return joinName({ firstName: p.firstName, lastName: p.lastName });
}

const fn = (name: string) => makeFunctionReference<"mutation", Record<string, unknown>>(name);

const SUBJECTS: Subject[] = [
  {
    module: "email",
    rollout: "people.email",
    oldField: "email",
    insertOld: (app, _t, value) => app.insert({ email: value }),
    insertNew: (app, _t, value) => app.insert({ contactEmail: value }),
    setOld: (app, _t, id, value) => app.patch(id, { email: value }),
    setNew: (app, _t, id, value) => app.patch(id, { contactEmail: value }),
    replaceNew: async (app, id, value) => {
      await app.replace(id, { contactEmail: value });
      return value;
    },
    bypass: (app, id, value) => app.bypassPatch(id, { email: value }),
    clearOld: async (t, id) => {
      await t.mutation(fn("email:clear"), { id, fields: ["email"] });
    },
    clearNew: async (t, id) => {
      await t.mutation(fn("email:clear"), { id, fields: ["contactEmail"] });
    },
    read: (row) => row.contactEmail,
    stored: async (t) => {
      const people = (await t.run((ctx) => ctx.db.query("people").collect())) as Person[];
      return new Map(people.map((p) => [p._id, { value: p.contactEmail, old: p.email }]));
    },
  },
  {
    // A split with a join back, whose migrations write through the wrapped mutation (the
    // package's own writes seen by its triggers). A value has no space: it is all firstName.
    module: "split",
    rollout: "people.split",
    oldField: "name",
    insertOld: (app, _t, value) => app.insert({ name: value }),
    insertNew: (app, _t, value) => app.insert({ firstName: value, lastName: "" }),
    setOld: (app, _t, id, value) => app.patch(id, { name: value }),
    setNew: (app, _t, id, value) => app.patch(id, { firstName: value, lastName: "" }),
    replaceNew: async (app, id, value) => {
      await app.replace(id, { firstName: value, lastName: "" });
      return value;
    },
    bypass: (app, id, value) => app.bypassPatch(id, { name: value }),
    clearOld: async (t, id) => {
      await t.mutation(fn("split:clear"), { id, fields: ["name"] });
    },
    clearNew: async (t, id) => {
      await t.mutation(fn("split:clear"), { id, fields: ["firstName", "lastName"] });
    },
    read: (row) => joinedName(row),
    stored: async (t) => {
      const people = (await t.run((ctx) => ctx.db.query("people").collect())) as Person[];
      return new Map(people.map((p) => [p._id, { value: joinedName(p), old: p.name }]));
    },
  },
  {
    module: "bio",
    rollout: "people.bio",
    oldField: "bio",
    insertOld: (app, _t, value) => app.insert({ name: "Old", bio: value }),
    insertNew: async (app, t, value) => {
      const id = await app.insert({ name: "New" });
      await t.mutation(fn("bio:setBio"), { personId: id, bio: value });
      return id;
    },
    setOld: async (_app, t, id, value) => {
      await t.mutation(fn("bio:oldSetBio"), { id, bio: value });
    },
    // The bio lives on the profile: a person replaced without it keeps the profile's (the
    // truth from readNew on), and the document gets it back.
    replaceNew: async (app, id, _value, _current, t) => {
      await app.replace(id, { name: "Replaced" });
      const bio = await t.run(async (ctx) => {
        const profile = await ctx.db
          .query("profiles")
          .withIndex("by_person", (q) => q.eq("personId", id))
          .unique();
        return profile?.bio ?? null;
      });
      // convex-test answers null for undefined.
      return bio ?? undefined;
    },
    setNew: async (_app, t, id, value) => {
      await t.mutation(fn("bio:setBio"), { personId: id, bio: value });
    },
    bypass: (app, id, value) => app.bypassPatch(id, { bio: value }),
    clearOld: async (t, id) => {
      await t.mutation(fn("bio:oldSetBio"), { id });
    },
    clearNew: async (t, id) => {
      await t.mutation(fn("bio:setBio"), { personId: id });
    },
    own: {
      signUp: async (t, value) =>
        (
          (await t.mutation(fn("bio:signUp"), { name: "Signed", bio: value, avatar: "a.png" })) as {
            personId: PersonId;
          }
        ).personId,
      deleteAccount: async (t, id) => {
        await t.mutation(fn("bio:deleteAccount"), { personId: id });
      },
      reparent: async (t, from, to) => {
        await t.mutation(fn("bio:reparent"), { from, to });
      },
      rowsPer: async (t) => {
        const rows = await t.run(async (ctx) => await ctx.db.query("profiles").collect());
        const per = new Map<string, number>();
        for (const row of rows) per.set(row.personId, (per.get(row.personId) ?? 0) + 1);
        return per;
      },
    },
    read: (row) => row.bio,
    stored: async (t) => {
      const [people, profiles] = await t.run(async (ctx) => [
        await ctx.db.query("people").collect(),
        await ctx.db.query("profiles").collect(),
      ]);
      const bios = new Map(profiles.map((p) => [p.personId, p.bio]));
      return new Map(people.map((p) => [p._id, { value: bios.get(p._id), old: p.bio }]));
    },
  },
];

type PickOp =
  | "setOld"
  | "setNew"
  | "replaceNew"
  | "bypass"
  | "remove"
  | "clearOld"
  | "clearNew"
  | "rewrite"
  | "deleteAccount"
  | "reparent";
type Op =
  | { op: "insertOld" | "insertNew" | "insertBare" | "signUp" }
  | { op: PickOp; pick: number }
  | { op: "advance" | "rollback" | "batch" | "drain" | "verify" | "again" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constantFrom<Op>(
      { op: "insertOld" },
      { op: "insertNew" },
      { op: "insertBare" },
      { op: "signUp" },
    ),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      op: fc.constantFrom<PickOp>(
        "setOld",
        "setNew",
        "replaceNew",
        "bypass",
        "remove",
        "clearOld",
        "clearNew",
        "rewrite",
        "deleteAccount",
        "reparent",
      ),
      pick: fc.nat(1000),
    }),
  },
  { weight: 3, arbitrary: fc.constant<Op>({ op: "advance" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ op: "rollback" }) },
  { weight: 4, arbitrary: fc.constant<Op>({ op: "batch" }) },
  { weight: 3, arbitrary: fc.constant<Op>({ op: "drain" }) },
  { weight: 1, arbitrary: fc.constantFrom<Op>({ op: "verify" }, { op: "again" }) },
);
const scheduleArb = fc.record({
  subject: fc.constantFrom(...SUBJECTS.map((s) => s.module)),
  people: fc.integer({ min: 5, max: 60 }),
  ops: fc.array(opArb, { minLength: 10, maxLength: 60 }),
});

class Model {
  readonly app: App;
  phase: Phase = "schema";
  /** Each live person's value, as the app last wrote it. */
  readonly values = new Map<PersonId, string | undefined>();
  /** People last written around the triggers, and when. */
  readonly bypassed = new Map<PersonId, number>();
  /** Bypassed people that verify had not seen when readNew was entered: the documented hole. */
  readonly uncovered = new Set<PersonId>();
  /** People last written through the triggers from dualWrite on: both shapes must agree. */
  readonly inStep = new Set<PersonId>();
  private k = 0;

  constructor(
    readonly t: RT,
    readonly subject: Subject,
  ) {
    this.app = appOf(t, subject.module, subject.rollout);
  }

  async seed(count: number) {
    // Every seventh person has no value: the source is optional.
    const value = (i: number) => (i % 7 === 3 ? undefined : `seed${i}@x`);
    const docs = Array.from({ length: count }, (_, i) => ({ [this.subject.oldField]: value(i) }));
    const ids = await seed(this.t, docs);
    ids.forEach((id, i) => this.values.set(id, value(i)));
  }

  private pick(n: number): PersonId | null {
    const ids = [...this.values.keys()];
    return ids.length === 0 ? null : ids[n % ids.length]!;
  }

  /** A written-through-triggers write: the person is no longer one the triggers missed. */
  private wrote(id: PersonId, value: string | undefined) {
    this.values.set(id, value);
    this.bypassed.delete(id);
    this.uncovered.delete(id);
    if (at(this.phase, "dualWrite")) this.inStep.add(id);
    else this.inStep.delete(id);
  }

  private forget(id: PersonId) {
    this.values.delete(id);
    this.bypassed.delete(id);
    this.uncovered.delete(id);
    this.inStep.delete(id);
  }

  /** What the truth holds after a write repaired the other shape from it. */
  private async storedNewOrOld(id: PersonId) {
    const stored = (await this.subject.stored(this.t)).get(id);
    return (at(this.phase, "readNew") ? stored?.value : stored?.old) as string | undefined;
  }

  /** The value stored in the new shape: what a write repaired from the truth now holds. */
  private async storedNew(id: PersonId) {
    return (await this.subject.stored(this.t)).get(id)?.value as string | undefined;
  }

  async apply(op: Op): Promise<void> {
    const { app, t, subject } = this;
    const value = `v${this.k++}@x`;
    // The clock moves between transactions, so "after the verify started" is well defined.
    vi.setSystemTime(Date.now() + 1);
    switch (op.op) {
      case "insertOld":
        this.wrote(await subject.insertOld(app, t, value), value);
        return;
      case "insertNew":
        // New code is deployed for readNew; with `down` it may also write from dualWrite.
        if (!at(this.phase, "dualWrite")) return;
        this.wrote(await subject.insertNew(app, t, value), value);
        return;
      case "setOld":
      case "setNew":
      case "replaceNew":
      case "bypass":
      case "remove":
      case "clearOld":
      case "clearNew":
      case "rewrite":
      case "deleteAccount":
      case "reparent": {
        const id = this.pick(op.pick);
        if (id === null) return;
        if (op.op === "setOld") {
          await subject.setOld(app, t, id, value);
          this.wrote(id, value);
        } else if (op.op === "setNew") {
          if (!at(this.phase, "dualWrite")) return;
          await subject.setNew(app, t, id, value);
          this.wrote(id, value);
        } else if (op.op === "replaceNew") {
          // New code, deployed for readNew: a replace in the new shape only.
          if (!at(this.phase, "readNew")) return;
          const before = this.values.get(id);
          // Through the triggers: the document takes the truth's value (the person a bypass
          // left behind included), so the person is in step again.
          this.wrote(id, await subject.replaceNew(app, id, value, before, t));
        } else if (op.op === "clearOld" || op.op === "clearNew") {
          // A clear is decided by the phase's truth: a clear of the truth's shape clears both;
          // a clear of the other shape alone is repaired from the truth (src/client/README.md).
          const ofTruth = (op.op === "clearOld") === !at(this.phase, "readNew");
          const before = (await subject.stored(t)).get(id);
          await (op.op === "clearOld" ? subject.clearOld(t, id) : subject.clearNew(t, id));
          // Clearing what is not there writes nothing (a patch that changes no field): no
          // trigger runs, so the person is as in step as before.
          if ((op.op === "clearOld" ? before?.old : before?.value) === undefined) return;
          if (!at(this.phase, "dualWrite")) {
            // In schema nothing is converted: the old shape is what the app wrote.
            if (op.op === "clearOld") this.wrote(id, undefined);
            else this.inStep.delete(id);
            return;
          }
          this.wrote(id, ofTruth ? undefined : await this.storedNewOrOld(id));
        } else if (op.op === "rewrite") {
          // One document written many times in one transaction (an import): the last write wins.
          const times = 120;
          await t.mutation(fn(`${subject.module}:rewrite`), {
            id,
            field: subject.oldField,
            times,
          });
          this.wrote(id, `${subject.oldField}${times - 1}@example.com`);
        } else if (op.op === "deleteAccount") {
          if (subject.own === undefined) return;
          await subject.own.deleteAccount(t, id);
          this.forget(id);
        } else if (op.op === "reparent") {
          // New code gives a person's profile to a new person, from readNew on.
          if (subject.own === undefined || !at(this.phase, "readNew")) return;
          const to = await app.insert({ name: "Heir" });
          const moving = await this.storedNew(id);
          await subject.own.reparent(t, id, to);
          this.wrote(to, moving);
          this.wrote(id, undefined);
        } else if (op.op === "bypass") {
          // The dashboard during the rollout; from readNew on nobody edits the old shape.
          if (at(this.phase, "readNew")) return;
          await subject.bypass(app, id, value);
          this.values.set(id, value);
          this.bypassed.set(id, Date.now());
          this.inStep.delete(id);
        } else {
          await app.remove(id);
          this.forget(id);
        }
        return;
      }
      case "insertBare":
        // A person without the field (it is optional): absent stays absent, in every phase.
        this.wrote(await app.insert({ plan: "free" }), undefined);
        return;
      case "signUp":
        if (subject.own === undefined) return;
        this.wrote(await subject.own.signUp(t, value), value);
        return;
      case "advance": {
        const next = ORDER[ORDER.indexOf(this.phase) + 1];
        if (next === undefined) return;
        const verifyStarted = (await app.status()).verify?.startedAt ?? -1;
        const moved = await typed(app.advance(next));
        if (moved === null) return;
        this.phase = moved.phase;
        if (this.phase === "readNew") await this.enteredReadNew(verifyStarted);
        return;
      }
      case "rollback": {
        const back = await typed(app.rollback());
        if (back !== null) this.phase = back.phase;
        return;
      }
      case "batch":
        await runScheduledOnce(t);
        return;
      case "drain":
        await drain(t);
        return;
      case "verify":
        await typed(app.verify());
        return;
      case "again":
        // The backfill run again (after complete: the contract pass).
        await typed(
          t.mutation(fn(`${subject.module}:${exportNameOf(subject.rollout)}`), { reset: true }),
        );
        return;
    }
  }

  /** [old-shape]: every person verify could see is stored in the new shape. */
  private async enteredReadNew(verifyStarted: number) {
    for (const [id, when] of this.bypassed) if (when >= verifyStarted) this.uncovered.add(id);
    const stored = await this.subject.stored(this.t);
    const wrong = [...this.values]
      .filter(([id, value]) => !this.uncovered.has(id) && stored.get(id)?.value !== value)
      .map(([id, value]) => ({ id, model: value, stored: stored.get(id) }));
    expect(wrong, "[old-shape] readNew entered over people not in the new shape").toEqual([]);
  }

  /** After every step: the read path answers the model; nobody lost or brought back. */
  async check() {
    const rows = await this.app.readAll();
    expect(rows.length, "[lost]").toBe(this.values.size);
    const trusted = (id: PersonId) => !(at(this.phase, "readNew") && this.uncovered.has(id));
    const wrong = rows
      .filter((row) => trusted(row._id) && this.subject.read(row) !== this.values.get(row._id))
      .map((row) => ({
        id: row._id,
        read: this.subject.read(row),
        model: this.values.get(row._id),
      }));
    expect(wrong, `[read] in ${this.phase}`).toEqual([]);
    // From dualWrite until complete, a person written through the triggers holds both shapes.
    if (at(this.phase, "dualWrite") && this.phase !== "complete") {
      const stored = await this.subject.stored(this.t);
      const apart = [...this.inStep]
        .map((id) => ({ id, ...stored.get(id) }))
        .filter((p) => p.value !== p.old);
      expect(apart, `[apart] in ${this.phase}`).toEqual([]);
    }
    if (this.subject.own) {
      const many = [...(await this.subject.own.rowsPer(this.t))].filter(([, n]) => n > 1);
      expect(many, "[rows] one row of the other table per document").toEqual([]);
    }
  }

  /** The README's walk to the end: backfill again where needed, verify, advance, contract pass. */
  async settle() {
    const { app, t } = this;
    await drain(t);
    if (this.phase === "readNew" && (await app.status()).next?.open === false) {
      // A verify pass in readNew found what a bypass left: back to backfill, as its gate says,
      // where the backfill converts it from the old shape.
      this.phase = (await app.rollback()).phase;
    }
    if (!at(this.phase, "readNew")) {
      while (this.phase !== "backfill") this.phase = (await app.advance(nextOf(this.phase))).phase;
      await this.apply({ op: "again" });
      await drain(t);
      await app.verify();
      await drain(t);
      this.bypassed.clear();
      this.phase = (await app.advance("readNew")).phase;
      await this.enteredReadNew(Number.POSITIVE_INFINITY);
    }
    if (this.phase !== "complete") this.phase = (await app.advance("complete")).phase;
    await this.apply({ op: "again" });
    await drain(t);
    await this.check();
    const stored = await this.subject.stored(t);
    const wrong = [...this.values]
      .filter(([id]) => !this.uncovered.has(id))
      .filter(([id, value]) => stored.get(id)?.value !== value || stored.get(id)?.old !== undefined)
      .map(([id, value]) => ({ id, model: value, stored: stored.get(id) }));
    expect(wrong, "[end] every value in the new place and none in the old").toEqual([]);
  }
}

function nextOf(phase: Phase): Phase {
  return ORDER[ORDER.indexOf(phase) + 1]!;
}

/** The call's answer, or null when it was refused with one of this package's typed errors. */
async function typed<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (isRolloutError(error)) return null;
    throw error;
  }
}

const TITLE = `${MODELS.reshapeModel.test} (seed $seed)`;
test.for(PLANS)(TITLE, { timeout: 300_000 }, async (plan, { skip }) => {
  if (plan.skip !== undefined) skip(plan.skip);
  console.log(
    `reshape model: ${plan.numRuns} schedules, seed ${plan.seed} (replay: ${plan.replay})`,
  );
  const reached: Record<string, number> = {};
  await fc.assert(
    fc.asyncProperty(scheduleArb, async (schedule) => {
      vi.clearAllTimers();
      const subject = SUBJECTS.find((s) => s.module === schedule.subject)!;
      const model = new Model(setupReshape(), subject);
      await model.seed(schedule.people);
      try {
        for (const op of schedule.ops) {
          await model.apply(op);
          await model.check();
        }
        const key = `${subject.module} ${model.phase}`;
        reached[key] = (reached[key] ?? 0) + 1;
        await model.settle();
      } catch (error) {
        if (error instanceof Error) {
          error.message += `\n${subject.rollout}, ${schedule.people} people, ops:\n${schedule.ops
            .map((op, i) => `  ${i + 1}: ${JSON.stringify(op)}`)
            .join("\n")}`;
        }
        throw error;
      }
    }),
    {
      seed: plan.seed,
      numRuns: plan.numRuns,
      ...(plan.path !== undefined ? { path: plan.path } : {}),
    },
  );
  console.log(
    `reshape model: schedules by rollout and the phase reached before settling ${JSON.stringify(reached)}`,
  );
});
