/**
 * How far a run is and how long it has left: pure, from what the run's row
 * holds, so status computes it without reading the migrated table.
 */

/** The `_creationTime` of a table's first and newest documents when a run started. */
export type CreationSpan = { first: number; newest: number };

/** What progress is measured from: the run's counts, its estimate, and where its cursor is. */
export type ProgressInput = {
  done: boolean;
  processed: number;
  /** Given by the caller or taken from a previous full pass. */
  estimatedTotal?: number;
  /** Set on a run over the table's default order from its start (see `CreationSpan`). */
  span?: CreationSpan;
  /** The `_creationTime` of the last document the latest batch read. */
  reached?: number;
  /** Documents per second, or null before there is a measure. */
  rate: number | null;
};

export type Progress = {
  estimatedTotal: number | null;
  /** "creationTime" when the total is an estimate from the cursor's place in the table. */
  estimateFrom?: "creationTime";
  percent: number | null;
  etaMs: number | null;
};

/**
 * Progress against the estimate. Without one, a run over the default order
 * (by `_creationTime`) estimates it from how far the last document it read
 * lies between the first and the newest document of the table when it
 * started: uneven insert rates make it rough, so it is marked as such.
 */
export function progressOf(run: ProgressInput): Progress {
  const given = run.estimatedTotal;
  const rough = given === undefined ? creationTimeEstimate(run) : null;
  const estimate = given ?? rough;
  const percent = run.done
    ? 100
    : estimate === null || estimate === 0
      ? null
      : // An estimate can be low (the table grew): stay below 100 until done.
        Math.min(99.9, Math.round((run.processed / estimate) * 1000) / 10);
  const etaMs =
    run.done || estimate === null || run.rate === null || run.rate === 0
      ? null
      : Math.round((Math.max(0, estimate - run.processed) / run.rate) * 1000);
  return {
    estimatedTotal: estimate,
    ...(rough !== null ? { estimateFrom: "creationTime" as const } : {}),
    percent,
    etaMs,
  };
}

/** processed ÷ the share of the creation-time span covered; null when that says nothing. */
function creationTimeEstimate({ span, reached, processed }: ProgressInput): number | null {
  if (span === undefined || reached === undefined || processed === 0) return null;
  const width = span.newest - span.first;
  // One document, or all created at once: the share says nothing about the count.
  if (width <= 0) return null;
  const share = (reached - span.first) / width;
  // Past the newest: documents created since the start; the end is near but not known.
  if (share <= 0) return null;
  return Math.max(processed, Math.round(processed / Math.min(share, 1)));
}
