/**
 * The rules of parallel runs as pure functions, table by table: how many
 * slices a start gets (or why it runs as one chain), where the table is cut,
 * which slice is split and where, and what a slice's end means for its run.
 */
import { describe, expect, test } from "vitest";
import {
  MAX_PARALLELISM,
  afterRampBatch,
  afterSliceDone,
  initialSlices,
  parallelismFor,
  pickSplit,
  splitsToReach,
  startingSlices,
  type LiveSlice,
  type ParallelFacts,
} from "../src/component/sliceDecisions.js";

const bounds = { first: 1_000, last: 2_000 };
const asked: ParallelFacts = {
  requested: 4,
  customRange: false,
  retry: false,
  cursorGiven: false,
  bounds,
};

describe("parallelismFor", () => {
  test.each<[string, Partial<ParallelFacts>, number, RegExp | null]>([
    ["asked 4 over the default order", {}, 4, null],
    ["not asked", { requested: undefined }, 1, null],
    ["asked 1", { requested: 1 }, 1, null],
    ["more than the most", { requested: 500 }, MAX_PARALLELISM, null],
    ["a customRange", { customRange: true }, 1, /customRange/],
    ["a retry of the ledger", { retry: true }, 1, /retry of the failure ledger/],
    ["from a given cursor", { cursorGiven: true }, 1, /given cursor/],
    ["an app that does not answer bounds", { bounds: undefined }, 1, /upgrade/],
    ["an empty table", { bounds: null }, 1, /fewer than two/],
    ["one document", { bounds: { first: 5, last: 5 } }, 1, /fewer than two/],
  ])("%s", (_, facts, k, note) => {
    const answer = parallelismFor({ ...asked, ...facts });
    expect(answer.k).toBe(k);
    if (note === null) expect(answer.note).toBeUndefined();
    else expect(answer.note).toMatch(note);
  });
});

describe("initialSlices", () => {
  test("k equal spans of _creationTime, open below and above, each ending where the next starts", () => {
    expect(initialSlices(bounds, 4)).toEqual([
      { lo: null, hi: 1_250, stop: 1_250 },
      { lo: 1_250, hi: 1_500, stop: 1_500 },
      { lo: 1_500, hi: 1_750, stop: 1_750 },
      { lo: 1_750, hi: null, stop: null },
    ]);
  });

  test("every _creationTime, before, inside or after the bounds, is in exactly one slice", () => {
    for (const k of [2, 3, 7, 8, MAX_PARALLELISM]) {
      const slices = initialSlices(bounds, k);
      expect(slices).toHaveLength(k);
      for (const time of [0, 999.999, 1_000, 1_000.001, 1_333.33, 1_999, 2_000, 9e12]) {
        const holders = slices.filter(
          (s) => (s.lo === null || time >= s.lo) && (s.hi === null || time < s.hi),
        );
        expect(holders).toHaveLength(1);
      }
    }
  });

  test("a span too small to cut gives one slice over everything", () => {
    const tiny = { first: 1e12, last: 1e12 + 1e-4 };
    expect(initialSlices(tiny, 8).length).toBeLessThan(8);
    expect(initialSlices({ first: 5, last: 5 }, 4)).toEqual([{ lo: null, hi: null, stop: null }]);
  });
});

const slice = (over: Partial<LiveSlice> & { id: string }): LiveSlice => ({
  lo: null,
  stop: null,
  position: null,
  processed: 0,
  batchSize: 10,
  ...over,
});

describe("pickSplit", () => {
  test("splits the slice with the most documents left, at the middle of what it has left", () => {
    const answer = pickSplit(
      [
        // 100 documents over 100 ms so far, 200 ms left: about 200 documents left.
        slice({ id: "a", lo: 1_000, stop: 1_300, position: 1_100, processed: 100 }),
        // Denser: 100 documents in 50 ms, 250 ms left: about 500 left.
        slice({ id: "b", lo: 1_300, stop: 1_600, position: 1_350, processed: 100 }),
      ],
      bounds,
    );
    expect(answer).toEqual({ id: "b", at: 1_475 });
  });

  test("an open last slice is measured up to the run's last known document", () => {
    const answer = pickSplit(
      [slice({ id: "last", lo: 1_500, stop: null, position: 1_600, processed: 100 })],
      bounds,
    );
    expect(answer).toEqual({ id: "last", at: 1_800 });
  });

  test("a slice before its first batch is measured by the others' density", () => {
    const answer = pickSplit(
      [
        slice({ id: "ran", lo: 1_000, stop: 1_100, position: 1_090, processed: 90 }),
        slice({ id: "fresh", lo: 1_100, stop: 2_000 }),
      ],
      bounds,
    );
    expect(answer).toEqual({ id: "fresh", at: 1_550 });
  });

  test("with nothing measured yet, the longest span", () => {
    expect(
      pickSplit([slice({ id: "a", stop: 1_200 }), slice({ id: "b", lo: 1_200 })], bounds),
    ).toEqual({ id: "b", at: 1_600 });
  });

  test("slices that have not run yet are measured by the one that just ended", () => {
    // Fresh slices of 400 ms each, batches of 100; the ended one met 1 document per ms: 400 left
    // each, so every one is worth a split. At 0.1 per ms, 40 left: none is.
    const fresh = [
      slice({ id: "a", lo: 1_200, stop: 1_600, batchSize: 100 }),
      slice({ id: "b", lo: 1_600, stop: 2_000, batchSize: 100 }),
    ];
    const dense = slice({ id: "x", lo: null, stop: 1_200, position: 1_199, processed: 199 });
    const sparse = { ...dense, processed: 20 };
    expect(pickSplit(fresh, bounds, dense)).toEqual({ id: "a", at: 1_400 });
    expect(pickSplit(fresh, bounds, sparse)).toBeNull();
    // Without it, only the spans are known: the first longest is split, however few it holds.
    expect(pickSplit(fresh, bounds)).toEqual({ id: "a", at: 1_400 });
  });

  test("no split when no slice has two batches left, or nothing lies inside", () => {
    // One document per ms, 15 ms left, batches of 10: under two batches.
    expect(
      pickSplit(
        [slice({ id: "a", lo: 1_000, stop: 1_115, position: 1_100, processed: 100 })],
        bounds,
      ),
    ).toBeNull();
    // Past the run's last known document: nothing known to split.
    expect(
      pickSplit([slice({ id: "a", lo: 1_900, position: 2_100, processed: 50 })], bounds),
    ).toBeNull();
    expect(pickSplit([], bounds)).toBeNull();
  });

  test("the split point is strictly inside, so the halves are disjoint and both non-empty in time", () => {
    const s = slice({ id: "a", lo: 1_000, stop: 1_900, position: 1_200, processed: 1_000 });
    const { at } = pickSplit([s], bounds)!;
    expect(at).toBeGreaterThan(1_200);
    expect(at).toBeLessThan(1_900);
  });
});

describe("startingSlices", () => {
  test("a fixed size starts k slices at once; an adaptive run one slice that finds the size", () => {
    expect(startingSlices(bounds, 4, false)).toEqual({
      ranges: initialSlices(bounds, 4),
      ramping: false,
    });
    expect(startingSlices(bounds, 4, true)).toEqual({
      ranges: [{ lo: null, hi: null, stop: null }],
      ramping: true,
    });
  });
});

describe("afterRampBatch", () => {
  // The ramping slice over the whole table, 1 document per ms of _creationTime met so far.
  const ramping = (position: number): LiveSlice => ({
    id: "r",
    lo: null,
    stop: null,
    position,
    processed: position - bounds.first,
    batchSize: 0,
  });
  const facts = (position: number, batchSize: number, nextSize: number, othersLive = 0) => ({
    slice: ramping(position),
    bounds,
    batchSize,
    nextSize,
    parallelism: 4,
    othersLive,
  });

  test.each<[string, ReturnType<typeof facts>, boolean, number]>([
    // 900 left: 4 slices of 200 would not take it in one batch each; growing goes on.
    ["still growing, much left", facts(1_100, 50, 200), false, 0],
    // 900 left at a size that stopped growing (50): 18 batches over 4 slots, 4 slices.
    ["stopped growing", facts(1_100, 50, 50), true, 4],
    // 600 left, next 200: 4 slices of 200 would take it all; 3 batches, 3 slices of one each.
    ["k slices of the next size take the rest", facts(1_400, 50, 200), true, 3],
    // 150 left, next 200: one batch is left, nothing to cut.
    ["one batch left", facts(1_850, 50, 200), true, 1],
    // 6 batches left over 4 slots: 4 slices would still take 2 each, so 3 slices of 2.
    ["as few slices as give the shortest path", facts(1_400, 100, 100), true, 3],
    // 7 batches left over 4 slots: whole batches per slice, 2 + 2 + 2 + 1.
    ["whole batches per slice, the last the rest", facts(1_300, 100, 100), true, 4],
    // Two other slices live (the knob split it): two slots left.
    ["others live take slots", facts(1_100, 50, 50, 2), true, 2],
  ])("%s", (_, input, rampEnds, parts) => {
    const answer = afterRampBatch(input);
    expect(answer.rampEnds).toBe(rampEnds);
    expect(answer.cuts.length + (rampEnds ? 1 : 0)).toBe(rampEnds ? parts : 0);
    // The cuts are strictly inside what is left, increasing, each slice but the last whole
    // batches of the next size (1 document per ms here), the last slice no more than those.
    const from = input.slice.position!;
    const edges = [from, ...answer.cuts, bounds.last];
    for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
    const spans = edges.slice(1).map((edge, i) => edge - edges[i]!);
    for (const span of spans.slice(0, -1)) {
      expect(span % input.nextSize).toBeCloseTo(0);
      expect(span).toBe(spans[0]);
    }
    expect(spans.at(-1)!).toBeLessThanOrEqual(spans[0]!);
  });

  test("a first page that ended where it began gives no density: go on, unless growth stopped", () => {
    const none = { ...facts(1_000, 100, 400), slice: { ...ramping(1_000), processed: 1 } };
    expect(afterRampBatch(none)).toEqual({ rampEnds: false, cuts: [] });
    expect(afterRampBatch({ ...none, nextSize: 100 })).toEqual({ rampEnds: true, cuts: [] });
  });
});

describe("afterSliceDone", () => {
  test.each<[string, Parameters<typeof afterSliceDone>[0], ReturnType<typeof afterSliceDone>]>([
    [
      "the last live slice",
      { othersLive: 0, parallelism: 4, runRunning: true },
      { finishRun: true, split: false },
    ],
    [
      "fewer live than asked",
      { othersLive: 2, parallelism: 4, runRunning: true },
      { finishRun: false, split: true },
    ],
    [
      "as many as asked",
      { othersLive: 4, parallelism: 4, runRunning: true },
      { finishRun: false, split: false },
    ],
    [
      "the knob turned down",
      { othersLive: 3, parallelism: 1, runRunning: true },
      { finishRun: false, split: false },
    ],
    [
      "the run not running",
      { othersLive: 1, parallelism: 4, runRunning: false },
      { finishRun: false, split: false },
    ],
  ])("%s", (_, facts, answer) => {
    expect(afterSliceDone(facts)).toEqual(answer);
  });
});

test("splitsToReach: up to the asked number, never past the most, never negative", () => {
  expect(splitsToReach(2, 6)).toBe(4);
  expect(splitsToReach(6, 2)).toBe(0);
  expect(splitsToReach(1, 1_000)).toBe(MAX_PARALLELISM - 1);
});
