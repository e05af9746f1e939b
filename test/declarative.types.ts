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
import { peopleNicknameRollout } from "./fixtures/reshape/nickname.js";
import { peoplePlanRollout } from "./fixtures/reshape/plan.js";
import { peopleSplitRollout } from "./fixtures/reshape/split.js";

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
