/**
 * One measured run: a fresh convex-test instance, seeded, one variant started
 * and driven until no scheduled function is left, then checked. Everything the
 * report needs is derived here from the captured transactions.
 */
import { internal } from "./app/convex/_generated/api.js";
import {
  addCounts,
  captureTransactions,
  startCapture,
  stopCapture,
  zeroCounts,
  type Counts,
  type TxRecord,
} from "./capture.js";
import { drainScheduled } from "../scheduler.js";
import { startProfiler, stopProfiler, summarize, type ProfileSummary } from "./profile.js";
import { seed, setupBench, verify, type BenchT, type Table, type Verdict } from "./setup.js";

export const VARIANTS = ["ours", "ours100", "theirs", "loop"] as const;
export type Variant = (typeof VARIANTS)[number];

export const VARIANT_LABELS: Record<Variant, string> = {
  ours: "convex-rollouts, defaults (adaptive)",
  ours100: "convex-rollouts, batchSize 100",
  theirs: "@convex-dev/migrations 0.3.6, defaults",
  loop: "hand-written loop, 100 per batch",
};

export type Workload = { id: string; label: string; table: Table; count: number };

const REFS = {
  small: {
    ours: internal.migrations.oursSmall,
    theirs: internal.migrations.theirsSmall,
    loop: internal.migrations.loopSmall,
  },
  large: {
    ours: internal.migrations.oursLarge,
    theirs: internal.migrations.theirsLarge,
    loop: internal.migrations.loopLarge,
  },
};

async function start(t: BenchT, variant: Variant, table: Table): Promise<void> {
  const refs = REFS[table];
  switch (variant) {
    case "ours":
      await t.mutation(refs.ours, {});
      return;
    case "ours100":
      await t.mutation(refs.ours, { batchSize: 100 });
      return;
    case "theirs":
      await t.mutation(refs.theirs, {});
      return;
    case "loop":
      await t.mutation(refs.loop, { cursor: null });
      return;
  }
}

/** Usage of one side (the app, or the component's bookkeeping) per batch. */
export type Side = { mean: Counts; max: Counts; total: Counts };

export type StatusProbe = {
  /** Documents the status query read, as its own getTransactionMetrics() says. */
  documentsRead: number;
  bytesRead: number;
  databaseQueries: number;
  /** Of those, read in the component's database (from the capture). */
  componentDocumentsRead: number;
  listed: number;
  processed: number;
};

export type RunResult = {
  workload: string;
  variant: Variant;
  run: number;
  documents: number;
  seedMs: number;
  wallMs: number;
  docsPerSec: number;
  /** Top-level transactions in which the app read a page of the table: the batches. */
  batches: number;
  /** Every top-level transaction of the run, but convex-test's own scheduler bookkeeping. */
  transactions: number;
  /** convex-test's own: marking each scheduled function in progress, then done. */
  schedulerTransactions: number;
  /** Documents each batch wrote in the app (the batch sizes), in order. */
  batchSizes: number[];
  app: Side;
  component: Side;
  /** The whole run, all top-level transactions. */
  totals: { app: Counts; component: Counts };
  /** Synchronous time spent in convex-test per database syscall. */
  syscalls: Record<string, { calls: number; ms: number }>;
  memory: { peakRssMB: number; peakHeapMB: number; baseRssMB: number; baseHeapMB: number };
  verdict: Verdict;
  /** The migration's own account of itself at the end. */
  finalState: { done: boolean; processed: number };
  status: StatusProbe | null;
  /** Only in profiled runs (not the measured ones): where the time went. */
  profile?: ProfileSummary;
};

const MB = 1024 * 1024;

function componentOf(variant: Variant): string | null {
  if (variant === "ours" || variant === "ours100") return "rollouts";
  if (variant === "theirs") return "migrations";
  return null;
}

function side(batches: TxRecord[], pick: (tx: TxRecord) => Counts): Side {
  const total = zeroCounts();
  const max = zeroCounts();
  for (const tx of batches) {
    const counts = pick(tx);
    addCounts(total, counts);
    for (const key of Object.keys(max) as (keyof Counts)[]) {
      if (counts[key] > max[key]) max[key] = counts[key];
    }
  }
  const mean = zeroCounts();
  for (const key of Object.keys(mean) as (keyof Counts)[]) {
    mean[key] = batches.length === 0 ? 0 : total[key] / batches.length;
  }
  return { mean, max, total };
}

function appOf(tx: TxRecord): Counts {
  return tx.byComponent[""] ?? zeroCounts();
}

function componentsOf(tx: TxRecord): Counts {
  const sum = zeroCounts();
  for (const [path, counts] of Object.entries(tx.byComponent))
    if (path !== "") addCounts(sum, counts);
  return sum;
}

/** Silences what the code under test logs (their component logs each start and end). */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, debug: console.debug, warn: console.warn };
  const none = () => {};
  Object.assign(console, { log: none, info: none, debug: none, warn: none });
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

export async function measure(
  workload: Workload,
  variant: Variant,
  run: number,
  { profile = false }: { profile?: boolean } = {},
): Promise<RunResult> {
  const t = await setupBench();
  const seedStart = performance.now();
  await seed(t, workload.table, workload.count);
  const seedMs = performance.now() - seedStart;

  startCapture();
  if (profile) await startProfiler();
  const began = performance.now();
  await quietly(async () => {
    await start(t, variant, workload.table);
    await drainScheduled(t);
  });
  const drainedMs = performance.now() - began;
  const cpu = profile ? summarize(await stopProfiler()) : undefined;
  const captured = stopCapture();
  const wallMs = untilLastCommit(captured.transactions, began) ?? drainedMs;

  const verdict = await verify(t, workload.table);
  const { finalState, status } = await quietly(() => afterRun(t, variant));

  const timed = captured.transactions;
  const scheduler = timed.filter((tx) => tx.fn === "custom");
  const functions = timed.filter((tx) => tx.fn !== "custom");
  const batches = functions.filter((tx) => appOf(tx).databaseQueries > 0);
  const totals = { app: zeroCounts(), component: zeroCounts() };
  for (const tx of functions) {
    addCounts(totals.app, appOf(tx));
    addCounts(totals.component, componentsOf(tx));
  }
  return {
    workload: workload.id,
    variant,
    run,
    documents: workload.count,
    seedMs,
    wallMs,
    docsPerSec: (workload.count * 1000) / wallMs,
    batches: batches.length,
    transactions: functions.length,
    schedulerTransactions: scheduler.length,
    batchSizes: batches.map((tx) => appOf(tx).documentsWritten),
    app: side(batches, appOf),
    component: side(batches, componentsOf),
    totals,
    syscalls: captured.syscalls,
    memory: {
      peakRssMB: captured.peakRss / MB,
      peakHeapMB: captured.peakHeapUsed / MB,
      baseRssMB: captured.baseRss / MB,
      baseHeapMB: captured.baseHeapUsed / MB,
    },
    verdict,
    finalState,
    status,
    ...(cpu ? { profile: cpu } : {}),
  };
}

/** The migration's final status, and what asking for it read. */
async function afterRun(
  t: BenchT,
  variant: Variant,
): Promise<{ finalState: RunResult["finalState"]; status: StatusProbe | null }> {
  const component = componentOf(variant);
  if (component === null) return { finalState: { done: true, processed: -1 }, status: null };
  const probe = component === "rollouts" ? internal.probe.oursStatus : internal.probe.theirsStatus;
  const { result, transactions } = await captureTransactions(() => t.query(probe, {}));
  const tx = transactions.find((x) => x.fn !== "custom");
  const componentDocumentsRead = tx?.byComponent[component]?.documentsRead ?? 0;
  return {
    finalState: { done: result.done, processed: result.processed },
    status: {
      documentsRead: result.usage.documentsRead,
      bytesRead: result.usage.bytesRead,
      databaseQueries: result.usage.databaseQueries,
      componentDocumentsRead,
      listed: result.listed,
      processed: result.processed,
    },
  };
}

/**
 * The migration's wall time: from its start to the end of its last committed
 * transaction. Not until `finishAllScheduledFunctions` returns: that waits
 * about 20 more event-loop turns after the last function, and longer while a
 * timer is pending further ahead (convex-rollouts' monitor schedules its next
 * check a minute ahead while a run is live), which is the harness waiting,
 * not the migration working.
 */
function untilLastCommit(transactions: TxRecord[], began: number): number | null {
  const ends = transactions
    .filter((tx) => tx.committed && tx.fn !== "custom")
    .map((tx) => tx.endedAt);
  return ends.length === 0 ? null : Math.max(...ends) - began;
}
