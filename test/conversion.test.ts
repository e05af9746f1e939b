/** The conversion rules of declarative rollouts, as pure functions: which shape a write set, and what follows. */
import { describe, expect, test } from "vitest";
import {
  changedKeys,
  isSettled,
  planWrite,
  sameValue,
  settlePatch,
  traced,
  type Conversion,
} from "../src/client/conversion.js";
import { isRolloutError, renameField, retypeField, splitField } from "../src/client/index.js";
import type { Phase } from "../src/shared/validators.js";
import { v } from "convex/values";

type Doc = Record<string, unknown>;
const split = splitField(
  "name",
  ["first", "last"],
  (name: string) => {
    const [first = "", ...rest] = name.split(" ");
    return { first, last: rest.join(" ") };
  },
  ({ first, last }) => [first, last].filter(Boolean).join(" "),
);
const withDown: Conversion = { rollout: "t.split", up: split.up, down: split.down };
const withoutDown: Conversion = { rollout: "t.split", up: split.up };

/** The patch after `oldDoc` became `doc` (null: inserted). */
function plan(conversion: Conversion, oldDoc: Doc | null, doc: Doc, phase: Phase = "dualWrite") {
  return planWrite(conversion, doc, changedKeys(oldDoc, doc), phase);
}

describe("which shape a write set", () => {
  test("an insert of the old shape is converted up", () => {
    expect(plan(withDown, null, { name: "Ada Lovelace" })).toEqual({
      first: "Ada",
      last: "Lovelace",
    });
  });

  test("an insert of the new shape gets the old filled by down", () => {
    expect(plan(withDown, null, { first: "Ada", last: "Lovelace" })).toEqual({
      name: "Ada Lovelace",
    });
  });

  test("a patch of the old field converts up, whatever the new fields held", () => {
    const before = { name: "Ada Lovelace", first: "Ada", last: "Lovelace" };
    expect(plan(withDown, before, { ...before, name: "Ada King" })).toEqual({ last: "King" });
  });

  test("a patch of a new field goes down, and up never overwrites it", () => {
    const before = { name: "Ada Lovelace", first: "Ada", last: "Lovelace" };
    const after = { ...before, last: "King" };
    expect(plan(withDown, before, after)).toEqual({ name: "Ada King" });
    // With no down: nothing is written; the new field keeps what the app wrote.
    expect(plan(withoutDown, before, after)).toEqual({});
  });

  test("a write of another field converts a document not converted yet", () => {
    const before = { name: "Ada Lovelace", plan: "free" };
    expect(plan(withDown, before, { ...before, plan: "pro" })).toEqual({
      first: "Ada",
      last: "Lovelace",
    });
  });

  test("a document in both shapes needs nothing", () => {
    const doc = { name: "Ada Lovelace", first: "Ada", last: "Lovelace" };
    expect(isSettled(withDown, doc)).toBe(true);
    expect(plan(withDown, null, doc)).toEqual({});
  });

  test("in schema nothing is written; from complete down is not applied", () => {
    expect(plan(withDown, null, { name: "Ada Lovelace" }, "schema")).toEqual({});
    expect(plan(withDown, null, { first: "Ada", last: "L" }, "complete")).toEqual({});
    expect(plan(withDown, null, { name: "Ada Lovelace" }, "complete")).toEqual({
      first: "Ada",
      last: "Lovelace",
    });
  });

  test("from readNew, a write elsewhere fills missing new fields but never overwrites them", () => {
    // No down: new code changed `last`; `name` is stale.
    const before = { name: "Ada Lovelace", first: "Ada", last: "King", plan: "free" };
    expect(plan(withoutDown, before, { ...before, plan: "pro" }, "readNew")).toEqual({});
    // Before readNew the old shape is the truth: the same write converts from it.
    expect(plan(withoutDown, before, { ...before, plan: "pro" }, "backfill")).toEqual({
      last: "Lovelace",
    });
  });

  test("a type changed in place converts whenever the old type is written", () => {
    const age = retypeField("age", v.number(), (old: string) => Number(old));
    const conversion: Conversion = { rollout: "t.age", up: age.up };
    expect(plan(conversion, { age: 3 }, { age: "4" }, "readNew")).toEqual({ age: 4 });
    expect(plan(conversion, { age: 3 }, { age: 5 }, "readNew")).toEqual({});
  });

  test("a rename keeps both names in step both ways", () => {
    const rename = renameField("email", "contact");
    const conversion: Conversion = { rollout: "t.rename", ...rename };
    const both = { email: "a@x", contact: "a@x" };
    expect(plan(conversion, both, { ...both, email: "b@x" })).toEqual({ contact: "b@x" });
    expect(plan(conversion, both, { ...both, contact: "c@x" })).toEqual({ email: "c@x" });
  });
});

describe("the write-semantics table (src/client/README.md), for a rename with down", () => {
  const rename = renameField("email", "contact");
  const conversion: Conversion = { rollout: "t.rename", ...rename };
  const both = { email: "a@x", contact: "a@x" };
  type Row = [write: string, after: Doc, phases: Partial<Record<Phase, Doc>>];
  // Each row: the document after the write (from `both`), and the patch per phase.
  const rows: Row[] = [
    [
      "sets the old shape",
      { email: "b@x", contact: "a@x" },
      {
        dualWrite: { contact: "b@x" },
        readNew: { contact: "b@x" },
        complete: { contact: "b@x" },
      },
    ],
    [
      "sets the new shape",
      { email: "a@x", contact: "c@x" },
      {
        dualWrite: { email: "c@x" },
        readNew: { email: "c@x" },
        complete: {},
      },
    ],
    [
      "sets both, differently",
      { email: "b@x", contact: "c@x" },
      {
        backfill: { contact: "b@x" },
        readNew: { email: "c@x" },
        complete: {},
      },
    ],
    [
      "clears the old shape",
      { contact: "a@x" },
      {
        dualWrite: { contact: undefined },
        readNew: { email: "a@x" },
        complete: {},
      },
    ],
    [
      "clears the new shape",
      { email: "a@x" },
      {
        backfill: { contact: "a@x" },
        readNew: { email: undefined },
        complete: { email: undefined },
      },
    ],
    ["clears both", {}, { dualWrite: {}, readNew: {}, complete: {} }],
    [
      "replaces with the new shape only (same value)",
      { contact: "a@x", other: 1 },
      {
        backfill: { contact: undefined },
        readNew: { email: "a@x" },
      },
    ],
  ];
  for (const [write, after, phases] of rows) {
    for (const [phase, patch] of Object.entries(phases)) {
      test(`${write}, in ${phase}`, () => {
        expect(plan(conversion, both, after, phase as Phase)).toEqual(patch);
      });
    }
  }

  test("in schema nothing is written, whatever the write", () => {
    for (const [, after] of rows) expect(plan(conversion, both, after, "schema")).toEqual({});
  });

  test("a derived field whose source stays (no retire, no down): a clear of it alone is kept from readNew on", () => {
    const domain: Conversion = {
      rollout: "t.domain",
      up: (d: Doc) => ({ domain: String(d.email).split("@")[1] }),
      newFields: ["domain"],
    };
    const doc = { email: "a@x.org", domain: "x.org" };
    const cleared = { email: "a@x.org" };
    expect(plan(domain, doc, cleared, "readNew")).toEqual({});
    expect(plan(domain, doc, cleared, "backfill")).toEqual({ domain: "x.org" });
    expect(settlePatch(domain, cleared, "complete")).toEqual({});
  });

  test("the backfill from readNew on refills only a document whose new shape is missing while a retired field holds it", () => {
    expect(settlePatch(conversion, { email: "a@x" }, "readNew")).toEqual({ contact: "a@x" });
    expect(settlePatch(conversion, { contact: "n@x" }, "readNew")).toEqual({});
    expect(settlePatch(conversion, { email: "a@x", contact: "n@x" }, "readNew")).toEqual({});
    expect(settlePatch(conversion, { email: "a@x", contact: "n@x" }, "backfill")).toEqual({
      contact: "a@x",
    });
  });
});

describe("what up and down may do", () => {
  test("reads are recorded, spreading reads everything", () => {
    expect([...traced("t", "up", (d: Doc) => ({ b: d.a }), { a: 1, b: 2 }).reads]).toEqual(["a"]);
    expect(traced("t", "up", (d: Doc) => ({ ...d }), { a: 1, b: 2 }).reads).toEqual(
      new Set(["a", "b"]),
    );
  });

  test("assigning to the document, returning a promise or a system field are refused", () => {
    const refused = (fn: (d: Doc) => unknown) => {
      try {
        traced("t.bad", "up", fn as never, { a: 1 });
      } catch (error) {
        return isRolloutError(error, "InvalidArgument") ? error.data.message : "other";
      }
      return "accepted";
    };
    expect(
      refused((d) => {
        d.a = 2;
      }),
    ).toMatch(/assigned to the document/);
    expect(refused(() => Promise.resolve({ a: 1 }))).toMatch(/must not be async/);
    expect(refused(() => ({ _id: "x" }))).toMatch(/system field/);
    expect(refused(() => 5)).toMatch(/an object\) or nothing/);
  });

  test("values compare as Convex values, whatever their key order", () => {
    expect(sameValue({ a: 1, b: [1, { c: 2n }] }, { b: [1, { c: 2n }], a: 1 })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue(undefined, null)).toBe(false);
    expect(sameValue(1, 1n)).toBe(false);
  });
});
