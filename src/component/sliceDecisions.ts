/**
 * The decisions of parallel runs, as pure functions: how many slices a start
 * gets (or why it runs as one chain), where the table is cut, which live slice
 * to split and where, and what a slice that ends means for its run. `slices.ts`
 * reads the facts and applies the answers; `test/sliceDecisions.test.ts` checks
 * them. The semantics table is in this folder's README ("Parallel runs").
 */
import { MAX_PARALLELISM } from "../shared/limits.js";
import type { Bounds, SliceRange } from "../shared/validators.js";

export { MAX_PARALLELISM };

export type ParallelFacts = {
  /** What the run (or `define()`) asked for; undefined is 1. */
  requested: number | undefined;
  customRange: boolean;
  retry: boolean;
  cursorGiven: boolean;
  /** The table's bounds; null when empty; undefined when the app did not answer them. */
  bounds: Bounds | null | undefined;
};

/** How many slices a new run starts with, and, when fewer than asked, why. */
export function parallelismFor(facts: ParallelFacts): { k: number; note?: string } {
  const asked = facts.requested ?? 1;
  if (asked <= 1) return { k: 1 };
  const oneChain = (why: string) => ({
    k: 1,
    note: `Runs as one chain (parallelism ${asked}): ${why}`,
  });
  if (facts.retry)
    return oneChain("a retry of the failure ledger walks the ledger, not the table.");
  if (facts.customRange) {
    return oneChain(
      "a customRange is read in its index's order, which cannot be cut on _creationTime.",
    );
  }
  if (facts.cursorGiven)
    return oneChain("it starts at a given cursor, which belongs to one chain.");
  if (facts.bounds === undefined) {
    return oneChain("the app's convex-rollouts does not answer the table's bounds; upgrade it.");
  }
  if (facts.bounds === null || facts.bounds.last <= facts.bounds.first) {
    return oneChain("the table has fewer than two documents.");
  }
  return { k: Math.min(asked, MAX_PARALLELISM) };
}

/**
 * Cuts the table's default order into k slices of equal `_creationTime` span.
 * The first is open below and the last open above, so every document, those
 * inserted during the run included, is in exactly one slice.
 */
export function initialSlices(bounds: Bounds, k: number): SliceRange[] {
  const cuts: number[] = [];
  const span = bounds.last - bounds.first;
  for (let i = 1; i < k; i++) {
    const cut = bounds.first + (span * i) / k;
    // Floating point may merge two cuts on a tiny span: a slice must not be empty by construction.
    if (cut > (cuts.at(-1) ?? bounds.first)) cuts.push(cut);
  }
  const edges: (number | null)[] = [null, ...cuts, null];
  return cuts.length === 0
    ? [{ lo: null, hi: null, stop: null }]
    : edges
        .slice(0, -1)
        .map((lo, i) => ({ lo, hi: edges[i + 1] ?? null, stop: edges[i + 1] ?? null }));
}

/**
 * The slices a new parallel run starts with. A run of fixed batch size starts
 * all k at once. An adaptive run starts with one slice over the whole range,
 * which grows its batches from the first size as a run of one chain does; when
 * it stops growing (`afterRampBatch`), what it has left is cut into slices that
 * start at its size. Each of k slices growing from the first size on its own
 * would take about k times the small batches one chain takes.
 */
export function startingSlices(
  bounds: Bounds,
  k: number,
  adaptive: boolean,
): { ranges: SliceRange[]; ramping: boolean } {
  if (adaptive) return { ranges: [{ lo: null, hi: null, stop: null }], ramping: true };
  return { ranges: initialSlices(bounds, k), ramping: false };
}

/**
 * After a batch of the slice that ramps an adaptive run's size up (one more
 * page to go): whether its ramp ends, and where what it has left is cut.
 *
 * The ramp ends when the size stops growing (the cap, a ceiling a limit set,
 * or what the batch used), or when k slices of the next size would take what
 * is left in one batch each (growing more would only lengthen one chain). What
 * is left is then cut in `_creationTime` by the density met so far: as few
 * slices as give the shortest critical path, each of whole batches (12 batches
 * left over 8 free slots are 6 slices of two, not 8 of one or two), none if one
 * batch is left.
 */
export function afterRampBatch(facts: {
  slice: LiveSlice;
  bounds: Bounds;
  /** The size of the batch that just ran, and the next one. */
  batchSize: number;
  nextSize: number;
  /** How many slices the run may have live, and how many others are. */
  parallelism: number;
  othersLive: number;
}): { rampEnds: boolean; cuts: number[] } {
  const { slice, bounds, batchSize, nextSize, parallelism, othersLive } = facts;
  const density = densityOf(slice, bounds);
  // Nothing to estimate from yet (a first page that ended where it began): go on ramping.
  if (density === null) return { rampEnds: nextSize <= batchSize, cuts: [] };
  const { from, to } = spanOf(slice, bounds);
  const left = density * Math.max(0, to - from);
  const slots = Math.max(1, Math.min(parallelism, MAX_PARALLELISM) - othersLive);
  const rampEnds = nextSize <= batchSize || nextSize * slots >= left;
  if (!rampEnds) return { rampEnds, cuts: [] };
  const batchesLeft = Math.ceil(left / nextSize);
  if (batchesLeft <= 1) return { rampEnds, cuts: [] };
  // Each slice takes whole batches (the last one the rest), so no slice ends on a short page
  // that a fairer cut would have saved: 11 batches over 4 slots are 3 + 3 + 3 + 2, not 4 × 2.75.
  const perSlice = Math.ceil(batchesLeft / slots);
  const parts = Math.ceil(batchesLeft / perSlice);
  const span = (perSlice * nextSize) / density;
  const cuts: number[] = [];
  for (let i = 1; i < parts; i++) {
    const cut = from + span * i;
    if (cut > (cuts.at(-1) ?? from) && cut < to) cuts.push(cut);
  }
  return { rampEnds, cuts };
}

/** A live slice, as splitting sees it. */
export type LiveSlice = {
  id: string;
  lo: number | null;
  stop: number | null;
  /** `_creationTime` of the last document it processed; null before its first batch. */
  position: number | null;
  processed: number;
  batchSize: number;
};

/** Where a slice stands in time: from its position (or start) to its stop (or the run's last). */
function spanOf(slice: LiveSlice, bounds: Bounds): { from: number; to: number } {
  return {
    from: slice.position ?? slice.lo ?? bounds.first,
    to: slice.stop ?? bounds.last,
  };
}

/** Documents per ms of `_creationTime` a slice has met so far, when it has met any. */
function densityOf(slice: LiveSlice, bounds: Bounds): number | null {
  if (slice.position === null || slice.processed === 0) return null;
  const start = slice.lo ?? bounds.first;
  return slice.position > start ? slice.processed / (slice.position - start) : null;
}

/**
 * The live slice to split, and where: the one with the most documents left by
 * its own density (or the live slices' average before its first batch, or,
 * when none has run a batch, the density the slice that just ended met), at the
 * middle of what it has left. None when no slice has at least two batches left
 * (a split would only add transactions), or no point lies strictly inside.
 */
export function pickSplit(
  slices: LiveSlice[],
  bounds: Bounds,
  /** A slice that just ended: what it met counts when no live slice has met anything yet. */
  ended?: LiveSlice,
): { id: string; at: number } | null {
  const known = slices.map((s) => densityOf(s, bounds)).filter((d): d is number => d !== null);
  const endedDensity = ended === undefined ? null : densityOf(ended, bounds);
  if (known.length === 0 && endedDensity !== null) known.push(endedDensity);
  const average = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : null;
  let best: { id: string; at: number; left: number } | null = null;
  for (const slice of slices) {
    const { from, to } = spanOf(slice, bounds);
    const at = from + (to - from) / 2;
    if (!(at > from && at < to)) continue;
    const density = densityOf(slice, bounds) ?? average;
    // Nothing measured yet anywhere: the span is all there is to go on.
    const left = density === null ? to - from : density * (to - from);
    if (density !== null && left < 2 * slice.batchSize) continue;
    if (best === null || left > best.left) best = { id: slice.id, at, left };
  }
  return best && { id: best.id, at: best.at };
}

/** What a slice's last page means for its run. */
export function afterSliceDone(facts: {
  /** Slices still live besides this one. */
  othersLive: number;
  parallelism: number;
  runRunning: boolean;
}): { finishRun: boolean; split: boolean } {
  if (facts.othersLive === 0) return { finishRun: true, split: false };
  // Fewer live than asked: take half of the longest one (work stealing); the knob turned
  // down means finishing slices are simply not replaced.
  return { finishRun: false, split: facts.runRunning && facts.othersLive < facts.parallelism };
}

/** How many splits bring a run from `live` slices up to `parallelism`. */
export function splitsToReach(live: number, parallelism: number): number {
  return Math.max(0, Math.min(parallelism, MAX_PARALLELISM) - live);
}
