/**
 * The write path's cost per app write, measured: calls into the component
 * (phase reads), documents read and written, against the same writes with no
 * triggers. And its guarantees: one phase read per transaction, not per
 * document; no phase read and no write for a document already converted.
 */
import { makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { seed, setupReshape, type PersonId, type RT } from "./reshapeHarness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

type Cost = {
  componentCalls: number;
  documentsRead: number;
  documentsWritten: number;
  databaseQueries: number;
};
type Writes = {
  inserts: Record<string, unknown>[];
  patches: { id: PersonId; fields: Record<string, unknown> }[];
};
const write = makeFunctionReference<"mutation", Writes, Cost>("costs:write");
const writeMove = makeFunctionReference<"mutation", Writes, Cost>("costs:writeMove");
const writeByHand = makeFunctionReference<"mutation", Writes, Cost>("costs:writeByHand");
const writeRaw = makeFunctionReference<"mutation", Writes, Cost>("costs:writeRaw");
const advance = makeFunctionReference<"mutation", { rollout: string; to: string }>("costs:advance");

/** The extra cost of the triggers: wrapped minus raw, for the same writes on equal data. */
async function extra(
  t: RT,
  writes: (ids: PersonId[]) => Writes,
  docs: Record<string, unknown>[],
  through = write,
) {
  const a = await seed(t, docs);
  const b = await seed(t, docs);
  const wrapped = await t.mutation(through, writes(a));
  const raw = await t.mutation(writeRaw, writes(b));
  return {
    componentCalls: wrapped.componentCalls,
    documentsRead: wrapped.documentsRead - raw.documentsRead,
    documentsWritten: wrapped.documentsWritten - raw.documentsWritten,
    databaseQueries: wrapped.databaseQueries - raw.databaseQueries,
  };
}

const OLD = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Old Person${i}` }));
const insertOld = (n: number) => () => ({ inserts: OLD(n), patches: [] });
const patchName = (ids: PersonId[]) => ({
  inserts: [],
  patches: ids.map((id, i) => ({ id, fields: { name: `Renamed Person${i}` } })),
});
const patchOther = (ids: PersonId[]) => ({
  inserts: [],
  patches: ids.map((id) => ({ id, fields: { plan: "pro" as const } })),
});

const measured: Record<string, Awaited<ReturnType<typeof extra>>> = {};

/**
 * Index ranges convex-helpers' triggers read for any write through them: the
 * document after an insert; before and after a patch (pinned below by a write
 * that needs no conversion).
 */
const TRIGGERS_READS = { insert: 1, patch: 2 };

test("in schema: a write needing conversion reads the phase once and writes nothing more", async () => {
  const t = setupReshape();
  const cost = await extra(t, insertOld(1), []);
  measured["schema, 1 insert"] = cost;
  expect(cost).toMatchObject({ componentCalls: 1, documentsWritten: 0 });
});

test("from dualWrite: one phase read per transaction, one extra write per converted document", async () => {
  const t = setupReshape();
  await t.mutation(advance, { rollout: "people.costs", to: "dualWrite" });
  for (const n of [1, 10, 100]) {
    const inserts = await extra(t, insertOld(n), []);
    measured[`dualWrite, ${n} old-shape inserts`] = inserts;
    expect(inserts).toMatchObject({ componentCalls: 1, documentsWritten: n });
    // Index ranges: the triggers' reads of the app's insert and of the conversion's patch, and
    // the phase read once (the cost table of docs/declarative.md).
    expect(inserts.databaseQueries).toBe(n * (TRIGGERS_READS.insert + TRIGGERS_READS.patch) + 1);
    const patches = await extra(t, patchName, OLD(n));
    measured[`dualWrite, ${n} patches of name`] = patches;
    expect(patches).toMatchObject({ componentCalls: 1, documentsWritten: n });
    expect(patches.databaseQueries).toBe(n * 2 * TRIGGERS_READS.patch + 1);
  }
});

test("beside the same dual write written by hand: one more write per converted document", async () => {
  const t = setupReshape();
  await t.mutation(advance, { rollout: "people.costs", to: "dualWrite" });
  for (const n of [1, 100]) {
    const triggered = await extra(t, patchName, OLD(n));
    const byHand = await extra(t, patchName, OLD(n), writeByHand);
    measured[`dualWrite, ${n} patches of name, written by hand`] = byHand;
    // By hand, each write carries both shapes: no extra write. Through the triggers, the
    // conversion is a patch after the app's write (a trigger runs after the write it sees).
    expect(byHand).toMatchObject({ componentCalls: 1, documentsWritten: 0 });
    expect(triggered.documentsWritten - byHand.documentsWritten).toBe(n);
  }
});

test("a document already in both shapes costs nothing: no phase read, no write", async () => {
  const t = setupReshape();
  await t.mutation(advance, { rollout: "people.costs", to: "dualWrite" });
  const converted = Array.from({ length: 10 }, (_, i) => ({
    name: `New Person${i}`,
    firstName: "New",
    lastName: `Person${i}`,
  }));
  const cost = await extra(t, patchOther, converted);
  measured["dualWrite, 10 patches of converted documents"] = cost;
  expect(cost).toMatchObject({ componentCalls: 0, documentsWritten: 0 });
  const inserts = await extra(t, () => ({ inserts: converted, patches: [] }), []);
  measured["dualWrite, 10 inserts in both shapes"] = inserts;
  expect(inserts).toMatchObject({ componentCalls: 0, documentsWritten: 0 });
});

test("a move: one phase read per transaction; per write of the field, one row written in the other table", async () => {
  const t = setupReshape();
  await t.mutation(advance, { rollout: "people.bioCosts", to: "dualWrite" });
  const withBio = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `Person${i}`, bio: `bio ${i}` }));
  for (const n of [1, 10, 100]) {
    const inserts = await extra(t, () => ({ inserts: withBio(n), patches: [] }), [], writeMove);
    measured[`move, dualWrite, ${n} inserts with the field`] = inserts;
    expect(inserts).toMatchObject({ componentCalls: 1, documentsWritten: n });
    // Index ranges: the triggers' own read after an insert (as for any write through them),
    // one lookup of the other table's row per moved write, and the phase read once.
    expect(inserts.databaseQueries).toBe(n * (TRIGGERS_READS.insert + 1) + 1);
    const patches = await extra(
      t,
      (ids) => ({
        inserts: [],
        patches: ids.map((id, i) => ({ id, fields: { bio: `new ${i}` } })),
      }),
      withBio(n),
      writeMove,
    );
    measured[`move, dualWrite, ${n} patches of the field`] = patches;
    expect(patches).toMatchObject({ componentCalls: 1, documentsWritten: n });
    expect(patches.databaseQueries).toBe(n * (TRIGGERS_READS.patch + 1) + 1);
  }
  // A write that does not touch the moved field costs no phase read and no write; the reads
  // left are the triggers' own (convex-helpers reads a document before and after each write).
  const other = await extra(t, patchName, withBio(10), writeMove);
  measured["move, dualWrite, 10 patches of another field"] = other;
  expect(other).toEqual({
    componentCalls: 0,
    documentsRead: 20,
    documentsWritten: 0,
    databaseQueries: 10 * TRIGGERS_READS.patch,
  });
});

// REPORT_COSTS=1 npx vitest run test/declarativeCosts.test.ts prints the table of costs.
test.runIf(process.env.REPORT_COSTS === "1")("report", () => {
  console.log(JSON.stringify(measured, null, 2));
});
