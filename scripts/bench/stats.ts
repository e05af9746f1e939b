/**
 * From runs to the figures the report shows: medians, pairwise ratios within
 * a run, and the targets of issue 6.
 */
import type { Counts } from "./capture.js";
import { VARIANTS, type RunResult, type Variant, type Workload } from "./measure.js";

export type Spread = { median: number; min: number; max: number };

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(xs: number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** Synchronous time convex-test spent evaluating queries, and in other database calls. */
export type EngineCost = {
  queryCalls: number;
  queryMs: number;
  otherDbCalls: number;
  otherDbMs: number;
};

const QUERY_OPS = ["1.0/queryPage", "1.0/queryStream"];
const OTHER_DB_OPS = [
  "1.0/queryStreamNext",
  "1.0/get",
  "1.0/shallowMerge",
  "1.0/replace",
  "1.0/insert",
  "1.0/remove",
];

export function engineCost(run: RunResult): EngineCost {
  const sum = (ops: string[]) =>
    ops.reduce(
      (acc, op) => {
        const s = run.syscalls[op];
        return s ? { calls: acc.calls + s.calls, ms: acc.ms + s.ms } : acc;
      },
      { calls: 0, ms: 0 },
    );
  const q = sum(QUERY_OPS);
  const o = sum(OTHER_DB_OPS);
  return { queryCalls: q.calls, queryMs: q.ms, otherDbCalls: o.calls, otherDbMs: o.ms };
}

export type Row = {
  workload: string;
  documents: number;
  variant: Variant;
  runs: number;
  wallMs: Spread;
  docsPerSec: Spread;
  /** This variant's docs/s over the loop's, run by run (same run, same data). */
  vsLoop: Spread | null;
  vsTheirs: Spread | null;
  /** The run with the median wall time: its counts stand for all (they repeat exactly). */
  representative: RunResult;
  /** Whether every run had the same number of batches. */
  batchesStable: boolean;
  peakHeapMB: number;
  peakRssMB: number;
  engine: EngineCost;
  allCorrect: boolean;
};

function pairRatios(
  runs: RunResult[],
  against: RunResult[] | undefined,
  variant: Variant,
  other: Variant,
) {
  if (against === undefined || variant === other) return null;
  const ratios: number[] = [];
  for (const run of runs) {
    const pair = against.find((a) => a.run === run.run);
    if (pair) ratios.push(run.docsPerSec / pair.docsPerSec);
  }
  return ratios.length > 0 ? spread(ratios) : null;
}

export function rows(workloads: Workload[], results: RunResult[]): Row[] {
  const out: Row[] = [];
  for (const workload of workloads) {
    const byVariant = new Map<Variant, RunResult[]>();
    for (const variant of VARIANTS) {
      byVariant.set(
        variant,
        results.filter((r) => r.workload === workload.id && r.variant === variant),
      );
    }
    for (const variant of VARIANTS) {
      const runs = byVariant.get(variant)!;
      if (runs.length === 0) continue;
      const wall = spread(runs.map((r) => r.wallMs));
      const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
      const representative = sorted[Math.floor((sorted.length - 1) / 2)]!;
      out.push({
        workload: workload.id,
        documents: workload.count,
        variant,
        runs: runs.length,
        wallMs: wall,
        docsPerSec: spread(runs.map((r) => r.docsPerSec)),
        vsLoop: pairRatios(runs, byVariant.get("loop"), variant, "loop"),
        vsTheirs: pairRatios(runs, byVariant.get("theirs"), variant, "theirs"),
        representative,
        batchesStable: runs.every((r) => r.batches === runs[0]!.batches),
        peakHeapMB: median(runs.map((r) => r.memory.peakHeapMB)),
        peakRssMB: median(runs.map((r) => r.memory.peakRssMB)),
        engine: engineCost(representative),
        allCorrect: runs.every(correct),
      });
    }
  }
  return out;
}

export function correct(run: RunResult): boolean {
  const statusOk =
    run.variant === "loop" || (run.finalState.done && run.finalState.processed === run.documents);
  return run.verdict.checked === run.documents && run.verdict.wrong === 0 && statusOk;
}

export type Target = {
  id: string;
  target: string;
  measured: string;
  met: boolean | null;
  note?: string;
};

const fmt = (x: number, digits = 2) =>
  Number.isFinite(x)
    ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "n/a";

const QUICK_NOTE = "quick workloads, indicative only: the target is for the full ones";

export function targets(
  workloads: Workload[],
  all: Row[],
  roles: { smallMid: string; smallBig: string; large: string; quick: boolean },
): Target[] {
  const row = (workload: string, variant: Variant) =>
    all.find((r) => r.workload === workload && r.variant === variant);
  const label = (id: string) => workloads.find((w) => w.id === id)?.label ?? id;
  const out: Target[] = [];

  for (const [id, need] of [
    [roles.smallMid, 5],
    [roles.smallBig, 5],
    [roles.large, 2],
  ] as const) {
    const r = row(id, "ours");
    const ratio = r?.vsTheirs;
    out.push({
      id: `speed-${id}`,
      target: `ours (defaults) ≥ ${need}× the docs/s of @convex-dev/migrations (defaults), ${label(id)}`,
      measured: ratio
        ? `${fmt(ratio.median)}× (runs: ${fmt(ratio.min)}–${fmt(ratio.max)}×)`
        : "not measured",
      met: ratio ? ratio.median >= need : null,
      note: roles.quick ? QUICK_NOTE : undefined,
    });
  }

  const fixed = workloads.map((w) => ({ w, r: row(w.id, "ours100") })).filter((x) => x.r?.vsLoop);
  const worst = fixed.reduce<(typeof fixed)[number] | null>(
    (acc, x) => (acc === null || x.r!.vsLoop!.median < acc.r!.vsLoop!.median ? x : acc),
    null,
  );
  out.push({
    id: "fixed-vs-loop",
    target: "ours at batchSize 100 within 10% of the hand loop at 100 (docs/s ≥ 0.90× the loop's)",
    measured:
      fixed.map((x) => `${x.w.label}: ${fmt(x.r!.vsLoop!.median)}×`).join("; ") || "not measured",
    met: worst ? worst.r!.vsLoop!.median >= 0.9 : null,
    note: roles.quick ? QUICK_NOTE : undefined,
  });

  const ours = all.filter((r) => r.variant === "ours" || r.variant === "ours100");
  const maxOf = (pick: (c: Counts) => number) =>
    Math.max(...ours.map((r) => pick(r.representative.component.max)));
  const meanOf = (pick: (c: Counts) => number) =>
    Math.max(...ours.map((r) => pick(r.representative.component.mean)));
  const writes = maxOf((c) => c.documentsWritten);
  const reads = maxOf((c) => c.documentsRead);
  out.push({
    id: "bookkeeping",
    target:
      "≤ 2 component document writes and ≤ 4 component document reads per batch (bookkeeping)",
    measured:
      `at most ${writes} writes and ${reads} reads in any batch (means up to ` +
      `${fmt(meanOf((c) => c.documentsWritten))} and ${fmt(meanOf((c) => c.documentsRead))}), ` +
      `both variants, every workload`,
    met: writes <= 2 && reads <= 4,
  });

  const big = row(roles.smallBig, "ours");
  const bigWorkload = workloads.find((w) => w.id === roles.smallBig);
  out.push({
    id: "batches-50k",
    target: "≤ 60 batches for 50,000 small documents with defaults",
    measured: big
      ? `${big.representative.batches} batches for ${bigWorkload?.count.toLocaleString("en-US")} documents` +
        ` (sizes ${summarizeSizes(big.representative.batchSizes)})`
      : "not measured",
    met: big && !roles.quick ? big.representative.batches <= 60 : null,
    note: roles.quick ? "quick workloads: the target is for 50,000; run the full bench" : undefined,
  });

  const mid = row(roles.smallMid, "ours")?.representative.status;
  const top = big?.representative.status;
  out.push({
    id: "status-constant",
    target: `status reads the same number of documents at ${label(roles.smallBig)} as at ${label(roles.smallMid)}`,
    measured:
      mid && top
        ? `${mid.documentsRead} documents (${mid.databaseQueries} index ranges) at ${label(roles.smallMid)}, ` +
          `${top.documentsRead} (${top.databaseQueries}) at ${label(roles.smallBig)}`
        : "not measured",
    met: mid && top ? mid.documentsRead === top.documentsRead : null,
  });
  return out;
}

/** "100, 400, 1,600, 4,000 ×11, 1,900": runs of equal sizes folded. */
export function summarizeSizes(sizes: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sizes.length;) {
    let j = i;
    while (j < sizes.length && sizes[j] === sizes[i]) j++;
    const size = sizes[i]!.toLocaleString("en-US");
    parts.push(j - i > 1 ? `${size} ×${j - i}` : size);
    i = j;
  }
  return parts.join(", ");
}
