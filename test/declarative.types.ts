/**
 * Type tests of declarative rollouts, checked by `tsc` in `npm run typecheck`
 * (this file is not run): after `read`, the new shape's fields are required
 * (optional where their source is: absent stays absent) and retired fields
 * are gone; the stored document keeps the widened types.
 * Each `@ts-expect-error` fails the typecheck if the line stops being an error.
 */
import { v, type GenericId } from "convex/values";
import { addField, moveField, retypeField, splitField } from "../src/client/index.js";
import { peopleAgeRollout } from "./fixtures/reshape/age.js";
import { peopleBioRollout } from "./fixtures/reshape/bio.js";
import { appFor, query } from "./fixtures/reshape/app.js";
import { peopleEmailRollout } from "./fixtures/reshape/email.js";
import type { peopleHandleRollout } from "./fixtures/reshape/handle.js";
import { peopleNicknameRollout } from "./fixtures/reshape/nickname.js";
import { peoplePlanRollout } from "./fixtures/reshape/plan.js";
import { joinName, peopleSplitRollout, splitName } from "./fixtures/reshape/split.js";

export const typedReads = query({
  args: { id: v.id("people") },
  handler: async (ctx, { id }) => {
    const doc = await ctx.db.get("people", id);
    if (doc === null) return null;

    const split = await peopleSplitRollout.read(ctx, doc);
    // name is optional, so are its parts: a person without a name has none (absent stays absent).
    const first: string | undefined = split.firstName;
    const last: string | undefined = split.lastName;
    // @ts-expect-error the source is optional: the new field may be absent
    const firstForSure: string = split.firstName;
    // @ts-expect-error stored, firstName is optional during the rollout
    const storedFirst: string = doc.firstName;
    // @ts-expect-error the new shape has no name: it is retired
    void split.name;

    const plan: "free" | "pro" = (await peoplePlanRollout.read(ctx, doc)).plan;
    // @ts-expect-error stored, plan may be missing
    const storedPlan: "free" | "pro" = doc.plan;

    const age: number | undefined = (await peopleAgeRollout.read(ctx, doc)).age;
    // @ts-expect-error a person without an age has none after the retype either
    const ageForSure: number = (await peopleAgeRollout.read(ctx, doc)).age;
    // @ts-expect-error never a string any more
    const ageString: string | undefined = (await peopleAgeRollout.read(ctx, doc)).age;
    // @ts-expect-error stored, age may still be a string
    const storedAge: number = doc.age;

    const email = await peopleEmailRollout.read(ctx, doc);
    const contact: string | undefined = email.contactEmail;
    // @ts-expect-error email is optional, so is contactEmail
    const contactForSure: string = email.contactEmail;
    // @ts-expect-error renamed: the new shape has no email
    void email.email;

    // @ts-expect-error removed: the new shape has no nickname
    void (await peopleNicknameRollout.read(ctx, doc)).nickname;

    // Null stays null, and says so.
    const maybe = await peopleSplitRollout.read(ctx, await ctx.db.get("people", id));
    // @ts-expect-error maybe null
    void maybe.firstName;
    // Moved: the value is read with `moved`, typed as the field; the new shape has no bio.
    const bio: string | undefined = await peopleBioRollout.moved(ctx, doc);
    // @ts-expect-error a bio is a string, never a number
    const bioNumber: number | undefined = await peopleBioRollout.moved(ctx, doc);
    // @ts-expect-error moved: the new shape has no bio
    void (await peopleBioRollout.read(ctx, doc)).bio;
    // A rollout without a move has nothing moved.
    const none: undefined = await peopleSplitRollout.moved(ctx, doc);
    void [bio, bioNumber, none];

    const toNew = await peopleSplitRollout.reader(ctx);
    const firsts: (string | undefined)[] = (await ctx.db.query("people").collect()).map(
      (p) => toNew(p).firstName,
    );
    void [firstForSure, ageForSure, ageString, contactForSure];
    return { first, last, storedFirst, plan, storedPlan, age, storedAge, contact, firsts };
  },
});

const app = appFor("types");

/** A field derived from a required source (audit.personId): the new field is required too. */
export const fromRequired = app.migrations.reshape("types.fromRequired", {
  table: "audit",
  ...splitField("personId", ["plan"], (personId: GenericId<"people">) => ({ plan: `${personId}` })),
  triggers: app.triggers,
});
export const fromRequiredRead = query({
  args: { id: v.id("audit") },
  handler: async (ctx, { id }) => {
    const row = await ctx.db.get("audit", id);
    if (row === null) return null;
    const plan: string = (await fromRequired.read(ctx, row)).plan;
    return plan;
  },
});

export const wrongField = app.migrations.reshape("types.wrongField", {
  table: "people",
  // @ts-expect-error people have no `nope` field
  up: () => ({ nope: 1 }),
  triggers: app.triggers,
});

// @ts-expect-error plan is "free" | "pro", never "gold"
export const wrongType = app.migrations.reshape("types.wrongType", {
  table: "people",
  ...addField("plan", "gold"),
  triggers: app.triggers,
});

// @ts-expect-error the schema's age is a string or a number, never a boolean
export const wrongRetype = app.migrations.reshape("types.wrongRetype", {
  table: "people",
  ...retypeField("age", v.boolean(), (age: string) => age === "yes"),
  triggers: app.triggers,
});

export const byHand = app.migrations.reshape("types.byHand", {
  table: "people",
  up: (p) => (p.plan === undefined ? { plan: "free" } : undefined),
  validator: { plan: v.union(v.literal("free"), v.literal("pro")) },
  triggers: app.triggers,
});
export const byHandRead = query({
  args: { id: v.id("people") },
  handler: async (ctx, { id }) => {
    const person = await byHand.read(ctx, await ctx.db.get("people", id));
    const plan: "free" | "pro" | undefined = person?.plan;
    // @ts-expect-error "free" | "pro", never "gold"
    const gold: "gold" | undefined = person?.plan;
    return { plan, gold };
  },
});

// @ts-expect-error the app has no table "profile"
export const wrongMoveTable = app.migrations.reshape("types.wrongMoveTable", {
  table: "people",
  ...moveField("bio", { to: "profile", index: "by_person", key: "personId" }),
  triggers: app.triggers,
});

// @ts-expect-error profiles have no index "by_owner"
export const wrongMoveIndex = app.migrations.reshape("types.wrongMoveIndex", {
  table: "people",
  ...moveField("bio", { to: "profiles", index: "by_owner", key: "personId" }),
  triggers: app.triggers,
});

// @ts-expect-error people have no field "biography" to move
export const wrongMoveField = app.migrations.reshape("types.wrongMoveField", {
  table: "people",
  ...moveField("biography", { to: "profiles", index: "by_person", key: "personId" }),
  triggers: app.triggers,
});

export const wrongValidatorField = app.migrations.reshape("types.wrongValidatorField", {
  table: "people",
  up: (p) => (p.plan === undefined ? { plan: "free" } : undefined),
  // @ts-expect-error people have no `planned` field: the validator may name only the table's
  validator: { planned: v.string() },
  triggers: app.triggers,
});

// addField's function gets the table's document when the recipe comes from recipes(table).
export const planByEmail = app.migrations.reshape("types.planByEmail", {
  table: "people",
  ...app.migrations.recipes("people").addField("plan", (person) => {
    const email: string | undefined = person.email;
    return email?.endsWith("@corp.example") ? "pro" : "free";
  }),
  triggers: app.triggers,
});
export const planByNope = app.migrations.reshape("types.planByNope", {
  table: "people",
  ...app.migrations.recipes("people").addField("plan", (person) =>
    // @ts-expect-error people have no `nope` field
    person.nope ? "pro" : "free",
  ),
  triggers: app.triggers,
});
export const planByName = app.migrations.reshape("types.planByName", {
  table: "people",
  ...app.migrations.recipes("people").addField("plan", (person) => {
    // @ts-expect-error the document is a person: its name is a string, never a number
    const name: number | undefined = person.name;
    return name === undefined ? "free" : "pro";
  }),
  triggers: app.triggers,
});
// @ts-expect-error the app has no table "persons"
app.migrations.recipes("persons");
// Standalone, an annotated document is checked against the table at reshape().
// @ts-expect-error an audit row is not a person
export const planByAudit = app.migrations.reshape("types.planByAudit", {
  table: "people",
  ...addField("plan", (row: { personId: string }) => (row.personId ? "pro" : "free")),
  triggers: app.triggers,
});

// Recipes from recipes(table) are typed by the table: a mistake is an error at the argument
// that is wrong (each on its own line here), and nowhere else, not at reshape().
const people = app.migrations.recipes("people");

export const typedWrongType = app.migrations.reshape("types.typedWrongType", {
  table: "people",
  ...people.addField(
    "plan",
    // @ts-expect-error plan is "free" | "pro", never "gold"
    "gold",
  ),
  triggers: app.triggers,
});
export const typedWrongAnswer = app.migrations.reshape("types.typedWrongAnswer", {
  table: "people",
  ...people.addField(
    "plan",
    // @ts-expect-error the function answers "gold", which plan cannot hold
    (person) => (person.email === undefined ? "free" : "gold"),
  ),
  triggers: app.triggers,
});
export const typedWrongAdd = app.migrations.reshape("types.typedWrongAdd", {
  table: "people",
  ...people.addField(
    // @ts-expect-error people have no `tier` field: the widened schema must have it first
    "tier",
    "free",
  ),
  triggers: app.triggers,
});
export const typedWrongRename = app.migrations.reshape("types.typedWrongRename", {
  table: "people",
  ...people.renameField(
    // @ts-expect-error people have no `mail` field
    "mail",
    "contactEmail",
  ),
  triggers: app.triggers,
});
export const typedWrongRenameTo = app.migrations.reshape("types.typedWrongRenameTo", {
  table: "people",
  ...people.renameField(
    "age",
    // @ts-expect-error an age may be a number, which email cannot hold
    "email",
  ),
  triggers: app.triggers,
});
export const typedWrongSplit = app.migrations.reshape("types.typedWrongSplit", {
  table: "people",
  ...people.splitField(
    // @ts-expect-error people have no `fullName` field
    "fullName",
    ["firstName", "lastName"],
    (name: string) => splitName(name),
  ),
  triggers: app.triggers,
});
export const typedWrongPart = app.migrations.reshape("types.typedWrongPart", {
  table: "people",
  ...people.splitField(
    "name",
    [
      "firstName",
      // @ts-expect-error people have no `surname` field
      "surname",
    ],
    (name) => ({ firstName: name, surname: name }),
  ),
  triggers: app.triggers,
});
export const typedWrongPartType = app.migrations.reshape("types.typedWrongPartType", {
  table: "people",
  ...people.splitField("name", ["firstName", "lastName"], (name) => ({
    firstName: name,
    // @ts-expect-error lastName is a string, never a number
    lastName: name.length,
  })),
  triggers: app.triggers,
});
export const typedWrongRetype = app.migrations.reshape("types.typedWrongRetype", {
  table: "people",
  ...people.retypeField(
    "age",
    // @ts-expect-error the schema's age is a string or a number, never a boolean
    v.boolean(),
    (age) => age === "yes",
  ),
  triggers: app.triggers,
});
export const typedWrongRetypeField = app.migrations.reshape("types.typedWrongRetypeField", {
  table: "people",
  ...people.retypeField(
    // @ts-expect-error people have no `years` field
    "years",
    v.number(),
    (years: string) => Number.parseInt(years, 10),
  ),
  triggers: app.triggers,
});
export const typedWrongRemove = app.migrations.reshape("types.typedWrongRemove", {
  table: "people",
  ...people.removeField(
    // @ts-expect-error people have no `nick` field
    "nick",
  ),
  triggers: app.triggers,
});
export const typedWrongMoveTable = app.migrations.reshape("types.typedWrongMoveTable", {
  table: "people",
  ...people.moveField("bio", {
    // @ts-expect-error the app has no table "profile"
    to: "profile",
    index: "by_person",
    key: "personId",
  }),
  triggers: app.triggers,
});
export const typedWrongMoveField = app.migrations.reshape("types.typedWrongMoveField", {
  table: "people",
  ...people.moveField(
    // @ts-expect-error people have no field "biography" to move
    "biography",
    { to: "profiles", index: "by_person", key: "personId" },
  ),
  triggers: app.triggers,
});
// moveField's other arguments: each wrong one is the only error. (What they answer after the
// error, the constraint's names, reshape() takes as it is: no need to spread them to show it.)
export const typedWrongMoves = [
  people.moveField("bio", {
    to: "profiles",
    // @ts-expect-error profiles have no index "by_owner"
    index: "by_owner",
    key: "personId",
  }),
  people.moveField("bio", {
    to: "profiles",
    index: "by_person",
    // @ts-expect-error profiles have no field "ownerId"
    key: "ownerId",
  }),
  people.moveField("bio", {
    to: "profiles",
    index: "by_handle",
    // @ts-expect-error by_handle starts with handle: a row is found by the index's first field
    key: "personId",
  }),
  people.moveField("nickname", {
    to: "profiles",
    index: "by_person",
    key: "personId",
    // @ts-expect-error profiles have no field "nick"
    as: "nick",
  }),
  people.moveField("bio", {
    to: "profiles",
    index: "by_person",
    key: "personId",
    // @ts-expect-error a bio is a string: personId holds a person's id
    as: "personId",
  }),
  people.moveField("age", {
    to: "profiles",
    index: "by_person",
    key: "personId",
    // @ts-expect-error an age may be a number: avatar holds only strings
    as: "avatar",
  }),
  people.moveField(
    "nickname",
    // @ts-expect-error profiles have no field "nickname": `as` must name the one it goes to
    { to: "profiles", index: "by_person", key: "personId" },
  ),
];

// The same recipes from recipes(table) compile, and give the same typed read as the standalone.
/** Two types are the same (not only assignable one to the other). */
type Same<A, B> =
  (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
/** What a rollout's typed read answers for a document. */
type ReadOf<R extends { convert: (doc: never) => unknown }> = ReturnType<R["convert"]>;

export const typedPlan = app.migrations.reshape("types.typedPlan", {
  table: "people",
  ...people.addField("plan", "free"),
  triggers: app.triggers,
});
export const typedEmail = app.migrations.reshape("types.typedEmail", {
  table: "people",
  ...people.renameField("email", "contactEmail"),
  triggers: app.triggers,
});
export const typedSplit = app.migrations.reshape("types.typedSplit", {
  table: "people",
  // split's parameter is the field's value: a string, no annotation needed
  ...people.splitField("name", ["firstName", "lastName"], (name) => splitName(name), joinName),
  triggers: app.triggers,
});
export const typedAge = app.migrations.reshape("types.typedAge", {
  table: "people",
  // convert gets the old values: the field's type minus the new one, so a string
  ...people.retypeField("age", v.number(), (age) => Number.parseInt(age, 10)),
  triggers: app.triggers,
});
export const typedNickname = app.migrations.reshape("types.typedNickname", {
  table: "people",
  ...people.removeField("nickname"),
  triggers: app.triggers,
});
export const typedBio = app.migrations.reshape("types.typedBio", {
  table: "people",
  ...people.moveField("bio", { to: "profiles", index: "by_person", key: "personId" }),
  triggers: app.triggers,
});
export const typedHandle = app.migrations.reshape("types.typedHandle", {
  table: "people",
  ...people.moveField("nickname", {
    to: "profiles",
    index: "by_person",
    key: "personId",
    as: "handle",
  }),
  triggers: app.triggers,
});
export const sameReads: [
  Same<ReadOf<typeof typedPlan>, ReadOf<typeof peoplePlanRollout>>,
  Same<ReadOf<typeof typedSplit>, ReadOf<typeof peopleSplitRollout>>,
  Same<ReadOf<typeof typedAge>, ReadOf<typeof peopleAgeRollout>>,
  Same<ReadOf<typeof typedNickname>, ReadOf<typeof peopleNicknameRollout>>,
  Same<ReadOf<typeof typedBio>, ReadOf<typeof peopleBioRollout>>,
  Same<ReadOf<typeof typedHandle>, ReadOf<typeof peopleHandleRollout>>,
  Same<ReadOf<typeof typedEmail>, ReadOf<typeof peopleEmailRollout>>,
] = [true, true, true, true, true, true, true];
export const typedReadsTyped = query({
  args: { id: v.id("people") },
  handler: async (ctx, { id }) => {
    const doc = await ctx.db.get("people", id);
    if (doc === null) return null;
    const plan: "free" | "pro" = (await typedPlan.read(ctx, doc)).plan;
    // Renamed: the new shape has contactEmail (optional, as email is) and no email; the fields
    // the rename does not touch keep their types. (The standalone renameField's `up` answers by
    // a generic document reshape() cannot infer from: its read claims no field set that `up`
    // may leave out, and is the same, as `sameReads` says.)
    const email = await typedEmail.read(ctx, doc);
    const contact: string | undefined = email.contactEmail;
    // @ts-expect-error email is optional, so is contactEmail
    const contactForSure: string = email.contactEmail;
    // @ts-expect-error renamed: the new shape has no email
    void email.email;
    // @ts-expect-error a person may have no name: the rename leaves it optional
    const nameForSure: string = email.name;
    const age: number | undefined = (await typedAge.read(ctx, doc)).age;
    // @ts-expect-error never a string any more
    const ageString: string | undefined = (await typedAge.read(ctx, doc)).age;
    const bio: string | undefined = await typedBio.moved(ctx, doc);
    const handle: string | undefined = await typedHandle.moved(ctx, doc);
    // @ts-expect-error moved: the new shape has no bio
    void (await typedBio.read(ctx, doc)).bio;
    return { plan, contact, contactForSure, nameForSure, age, ageString, bio, handle };
  },
});
