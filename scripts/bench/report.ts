/**
 * BENCHMARKS.md and the tables printed at the end of a run, from the rows of
 * stats.ts. Everything here is computed; the prose around it is fixed.
 */
import { VARIANT_LABELS, VARIANTS, type Variant, type Workload } from "./measure.js";
import { BUCKETS, type ProfileSummary } from "./profile.js";
import { summarizeSizes, type Row, type Target } from "./stats.js";

/** One CPU-profiled run (extra, not measured). */
export type Profiled = {
  workload: string;
  variant: Variant;
  wallMs: number;
  summary: ProfileSummary;
};

export type Machine = {
  cpus: number;
  cpuModel: string;
  node: string;
  platform: string;
  memoryGB: number;
  versions: Record<string, string>;
};

export type Meta = {
  command: string;
  quick: boolean;
  startedAt: string;
  durationMs: number;
  budgetMin: number;
  runsPlanned: number;
  /** Runs made of each workload, and why fewer when fewer. */
  runsMade: Record<string, number>;
  budgetNote: string | null;
  /** The 1, 5 and 15-minute load averages when the run started and ended. */
  load: { start: number[]; end: number[] };
  machine: Machine;
};

const n0 = (x: number) => Math.round(x).toLocaleString("en-US");
const n1 = (x: number) =>
  x.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const n2 = (x: number) =>
  x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const s = (ms: number) => (ms < 10_000 ? n2(ms / 1000) : n1(ms / 1000));
const kb = (bytes: number) => n1(bytes / 1024);
const ratio = (r: Row["vsLoop"]) =>
  r === null ? "—" : `${n2(r.median)}× (${n2(r.min)}–${n2(r.max)})`;

function table(header: string[], body: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...body.map(line)].join("\n");
}

function workloadLabel(workloads: Workload[], id: string): string {
  return workloads.find((w) => w.id === id)?.label ?? id;
}

export function speedTable(workloads: Workload[], rows: Row[]): string {
  return table(
    [
      "workload",
      "variant",
      "runs",
      "wall s, median (min–max)",
      "docs/s (median)",
      "× hand loop",
      "× @convex-dev/migrations",
      "batches",
      "peak heap / RSS MB",
      "all docs right",
    ],
    rows.map((r) => [
      workloadLabel(workloads, r.workload),
      VARIANT_LABELS[r.variant],
      String(r.runs),
      `${s(r.wallMs.median)} (${s(r.wallMs.min)}–${s(r.wallMs.max)})`,
      n0(r.docsPerSec.median),
      ratio(r.vsLoop),
      ratio(r.vsTheirs),
      `${n0(r.representative.batches)}${r.batchesStable ? "" : " (varies)"}`,
      `${n0(r.peakHeapMB)} / ${n0(r.peakRssMB)}`,
      r.allCorrect ? "yes" : "**NO**",
    ]),
  );
}

export function usageTable(workloads: Workload[], rows: Row[]): string {
  return table(
    [
      "workload",
      "variant",
      "app: docs read / written",
      "app: index ranges",
      "app: KB read / written",
      "component: docs read / written (max)",
      "component: index ranges",
      "component: KB read / written",
      "scheduled",
    ],
    rows.map((r) => {
      const { app, component } = r.representative;
      const hasComponent = r.variant !== "loop";
      return [
        workloadLabel(workloads, r.workload),
        VARIANT_LABELS[r.variant],
        `${n1(app.mean.documentsRead)} / ${n1(app.mean.documentsWritten)}`,
        n2(app.mean.databaseQueries),
        `${kb(app.mean.bytesRead)} / ${kb(app.mean.bytesWritten)}`,
        hasComponent
          ? `${n2(component.mean.documentsRead)} / ${n2(component.mean.documentsWritten)} ` +
            `(${component.max.documentsRead} / ${component.max.documentsWritten})`
          : "—",
        hasComponent ? n2(component.mean.databaseQueries) : "—",
        hasComponent ? `${kb(component.mean.bytesRead)} / ${kb(component.mean.bytesWritten)}` : "—",
        n2(app.mean.functionsScheduled + component.mean.functionsScheduled),
      ];
    }),
  );
}

export function engineTable(workloads: Workload[], rows: Row[]): string {
  return table(
    [
      "workload",
      "variant",
      "wall s",
      "query evaluations",
      "in them, s",
      "ms per evaluation",
      "share of wall",
      "other db calls, s",
    ],
    rows.map((r) => {
      const e = r.engine;
      const wall = r.representative.wallMs;
      return [
        workloadLabel(workloads, r.workload),
        VARIANT_LABELS[r.variant],
        s(wall),
        n0(e.queryCalls),
        s(e.queryMs),
        e.queryCalls > 0 ? n2(e.queryMs / e.queryCalls) : "—",
        `${n0((100 * e.queryMs) / wall)}%`,
        s(e.otherDbMs),
      ];
    }),
  );
}

export function targetsTable(targets: Target[]): string {
  return table(
    ["target", "measured", "met"],
    targets.map((t) => [
      t.target,
      t.measured + (t.note ? ` — ${t.note}` : ""),
      t.met === null ? "n/a" : t.met ? "yes" : "**no**",
    ]),
  );
}

function statusTable(workloads: Workload[], rows: Row[]): string {
  const probed = rows.filter((r) => r.representative.status !== null);
  return table(
    [
      "workload",
      "variant",
      "status: docs read",
      "of which in the component",
      "index ranges",
      "KB read",
    ],
    probed.map((r) => {
      const st = r.representative.status!;
      return [
        workloadLabel(workloads, r.workload),
        VARIANT_LABELS[r.variant],
        String(st.documentsRead),
        String(st.componentDocumentsRead),
        String(st.databaseQueries),
        kb(st.bytesRead),
      ];
    }),
  );
}

/** How the engine's per-evaluation cost grows with the table: the loop reads 100 per page throughout. */
function scalingLines(workloads: Workload[], rows: Row[]): string[] {
  const loops = rows
    .filter((r) => r.variant === "loop" && r.engine.queryCalls > 0)
    .map((r) => ({
      label: workloadLabel(workloads, r.workload),
      docs: r.documents,
      perCall: r.engine.queryMs / r.engine.queryCalls,
      share: r.engine.queryMs / r.representative.wallMs,
    }));
  return loops.map(
    (l) =>
      `- ${l.label}: one page read of 100 documents costs ${n2(l.perCall)} ms ` +
      `(${n2((1000 * l.perCall) / l.docs)} µs per document in the table); ` +
      `page reads are ${n0(100 * l.share)}% of the loop's wall time.`,
  );
}

/** Why @convex-dev/migrations' heap grows with the table under convex-test, when it does. */
function memoryNote(workloads: Workload[], rows: Row[]): string {
  const big = rows
    .filter((r) => r.variant === "theirs")
    .sort((a, b) => b.documents - a.documents)[0];
  const loop = big && rows.find((r) => r.workload === big.workload && r.variant === "loop");
  if (!big || !loop || big.peakHeapMB < 2 * loop.peakHeapMB) return "";
  return (
    `Memory: at ${workloadLabel(workloads, big.workload)}, @convex-dev/migrations peaks at ` +
    `${n0(big.peakHeapMB)} MB of heap against ${n0(loop.peakHeapMB)} MB for the loop. Its ` +
    "paginator (convex-helpers) reads each page with a query stream; convex-test evaluates a stream " +
    "into an array of every document left in the range and keeps it in `DatabaseFake._queryResults` " +
    "until the instance is dropped (`1.0/queryCleanup` frees nothing), so the heap grows with " +
    "batches × table size. A deployment does not do that."
  );
}

export function markdown(
  workloads: Workload[],
  rows: Row[],
  targets: Target[],
  meta: Meta,
  profiles: Profiled[],
): string {
  const m = meta.machine;
  const runs = Object.entries(meta.runsMade)
    .map(([id, count]) => `${workloadLabel(workloads, id)}: ${count}`)
    .join(", ");
  const ours = rows.filter((r) => r.variant === "ours");
  const sizes = ours.map(
    (r) =>
      `- ${workloadLabel(workloads, r.workload)}: ${r.representative.batches} batches: ` +
      summarizeSizes(r.representative.batchSizes),
  );
  return `# Benchmarks

<!-- Written by \`${meta.command}\` (scripts/bench/bench.ts). Do not edit by hand: run it again. -->

convex-rollouts against \`@convex-dev/migrations\` and against a hand-written loop, in one process on
[\`convex-test\`](https://www.npmjs.com/package/convex-test), on the same seeded data. Every run
starts a fresh convex-test instance, seeds it, starts the migration, drives its scheduled batches on
real timers until none is left, then reads every document back and checks it.

${meta.quick ? "**Quick run** (smaller workloads): `npm run bench` gives the full figures.\n\n" : ""}- Command: \`${meta.command}\`, started ${meta.startedAt}, took ${s(meta.durationMs)} s.
- Machine: ${m.cpus} CPUs (\`nproc\`), ${m.cpuModel}, ${n0(m.memoryGB)} GB RAM, ${m.platform}, Node ${m.node}.
- Load average (1, 5, 15 min): ${meta.load.start.map(n2).join(", ")} at the start, ${meta.load.end
    .map(n2)
    .join(", ")} at the end. Anything else running on the machine shows up as spread between runs.
- Packages: ${Object.entries(m.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}.
- Runs per workload: ${runs} (variants in a rotated order, each run on fresh data).${meta.budgetNote ? ` ${meta.budgetNote}` : ""}
- Raw numbers: \`bench-results/${meta.quick ? "quick" : "latest"}.json\` (a few hundred KB, written by the run; \`bench-results/\` is ignored by git).

## Reproducing

\`npm ci && npm run bench\` measures every variant again and rewrites this file and the raw numbers
(\`--budget MINUTES\` caps its length, default 20). \`npm run bench -- --quick\` runs smaller
workloads in about a minute and writes only \`bench-results/quick.json\`. \`npm run bench -- --from
bench-results/latest.json\` rewrites this file from saved raw numbers, measuring nothing. Figures
depend on the machine and on what else runs on it: compare variants within one run, not across runs.

## The variants

| variant | what runs |
| --- | --- |
| ${VARIANT_LABELS.ours} | \`migrations.define({table, migrateOne})\`, started with no arguments: the run sizes each batch from the last one's transaction metrics. |
| ${VARIANT_LABELS.ours100} | the same migration started with \`{batchSize: 100}\`. |
| ${VARIANT_LABELS.theirs} | \`new Migrations(components.migrations).define({table, migrateOne})\`, started with no arguments (its default: 100 per batch). |
| ${VARIANT_LABELS.loop} | one internal mutation: \`.paginate({cursor, numItems: 100})\`, patch each document, \`runAfter(0)\` itself. The floor: no bookkeeping. |

Workloads: ${workloads.map((w) => `${w.label} (\`${w.table}\`)`).join(", ")}. Small documents are
\`{a, s}\` and each variant sets \`b = a * 2\`; large ones are \`{title, body}\` with a 4,000-character
body and each variant sets \`titleCopy = title\`. The app code (\`scripts/bench/app/convex\`) is the
same for every variant; only the machinery around it differs.

## How it is measured

- Seeding is not timed. Before each timed part a full garbage collection runs (\`--expose-gc\`).
- Wall time runs from the call that starts the migration to the end of the last transaction it
  committed. Scheduled functions fire on real timers (\`runAfter(0)\`), as scripts/scheduler.ts
  explains, driven by convex-test's \`finishAllScheduledFunctions\`; that returns some 20 event-loop
  turns after the last function, later while a timer is pending further ahead (convex-rollouts'
  monitor schedules its next check a minute ahead while a run is live). That wait is the harness's,
  not the migration's, and is not counted.
- Usage per transaction is captured by wrapping convex-test's \`TransactionMetricsTracker\` (the
  object behind \`ctx.meta.getTransactionMetrics()\`), so that every top-level transaction's totals are
  recorded as it ends, and every read and write is also counted under the component path it runs in
  (scripts/bench/capture.ts). Nothing in src/ or in the other packages is changed.
- convex-test imports a function's module on every call; under tsx each \`import()\` of an
  already-loaded module is a ~1 ms round trip to tsx's loader thread, which would cost a component
  (two calls per batch) twice what it costs the loop. The bench loads each module once and keeps one
  event-loop turn per call (\`setImmediate\`), without which \`finishAllScheduledFunctions\` stops
  early: it gives up after 20 checks that see no function in flight.
- What the code under test logs (\`console.log/info/debug/warn\`) is silenced while it runs.
- Memory: the heap high-water mark is sampled every 25 ms and at the end of each top-level
  transaction. RSS is the whole process's and rarely shrinks, so a run's RSS carries what earlier
  runs took; the heap figure is the one to compare.

## Speed

Wall time runs from the call that starts the migration to the end of its last committed
transaction. Ratios are taken run by run (the same run number of each variant, same data) and their median
is shown with their range.

${speedTable(workloads, rows)}

## Targets

${targetsTable(targets)}

## What each batch reads and writes

Per batch: the mean over the batches of the median run (the counts repeat exactly from run to run).
A batch is a top-level transaction in which the app read a page of the table. "app" is the app's
own database, "component" the component's (its bookkeeping), told apart by the component path
that convex-test runs each read and write in. Counted the way convex-test counts for
\`ctx.meta.getTransactionMetrics()\`: a patch also reads the document it patches, so the app reads
each document twice; scheduling a function is not counted as a document write (the "scheduled"
column counts those).

${usageTable(workloads, rows)}

${memoryNote(workloads, rows)}

Adaptive batch sizes (documents written per batch):

${sizes.join("\n")}

## What status reads

A query calls status and then \`ctx.meta.getTransactionMetrics()\`, after each run.

${statusTable(workloads, rows)}

## Where the time goes: convex-test itself

convex-test is an in-memory mock: for every index range read (a \`.paginate()\` page, a \`.take()\`,
a \`.unique()\`) it lists every document of the component's database, keeps the table's, sorts them
all and then walks to the cursor (\`DatabaseFake._resolveQuerySource\` and \`paginate\` in
node_modules/convex-test/dist/index.js). A page read therefore costs time in proportion to the
table, not to the page, and a run of fixed-size batches costs time in proportion to the square of
the table. The table below times the synchronous part of each database syscall (the query
evaluations are \`1.0/queryPage\` and \`1.0/queryStream\`), in the median run.

${engineTable(workloads, rows)}

${scalingLines(workloads, rows).join("\n")}

${
  profiles.length > 0
    ? `### CPU profiles

One extra run of each variant under V8's sampling profiler (not one of the measured runs), each
sample put in one bucket by its stack: "query evaluation" is any sample under convex-test's
\`_resolveQuerySource\`, \`_evaluateQuery\` or \`paginate\`; the rest goes by the code that was running.

${profileTables(workloads, profiles)}

`
    : ""
}A real deployment reads an index range in time proportional to what it returns, so there the cost
of a batch is its documents and fixed per-transaction overhead, and fewer, larger batches help by
cutting that overhead rather than re-sorts. The ratios above therefore overstate what adaptive
batches gain on a deployment for large tables; the per-batch counts (reads, writes, index ranges)
carry over as they are.
`;
}

export function profileTables(workloads: Workload[], profiles: Profiled[]): string {
  const ids = [...new Set(profiles.map((p) => p.workload))];
  return ids
    .map((id) => {
      const runs = VARIANTS.map((v) =>
        profiles.find((p) => p.workload === id && p.variant === v),
      ).filter((p): p is Profiled => p !== undefined);
      const body = BUCKETS.filter((b) => runs.some((r) => r.summary.buckets[b] > 0)).map(
        (bucket) => [
          bucket,
          ...runs.map((r) => {
            const ms = r.summary.buckets[bucket];
            return `${n0((100 * ms) / r.summary.totalMs)}% (${s(ms)} s)`;
          }),
        ],
      );
      body.push([
        "sampled in all",
        ...runs.map((r) => `${s(r.summary.totalMs)} s (wall ${s(r.wallMs)} s)`),
      ]);
      const tops = runs.map(
        (r) =>
          `- ${VARIANT_LABELS[r.variant]}: ` +
          r.summary.top
            .slice(0, 4)
            .map((t) => `\`${t.fn}\` ${n0((100 * t.ms) / r.summary.totalMs)}%`)
            .join(", "),
      );
      return [
        `${workloadLabel(workloads, id)}:`,
        "",
        table(["where", ...runs.map((r) => VARIANT_LABELS[r.variant])], body),
        "",
        "Most self time:",
        "",
        ...tops,
      ].join("\n");
    })
    .join("\n\n");
}

/** The tables for the terminal at the end of a run. */
export function terminal(
  workloads: Workload[],
  rows: Row[],
  targets: Target[],
  profiles: Profiled[],
): string {
  return [
    speedTable(workloads, rows),
    "",
    targetsTable(targets),
    "",
    usageTable(workloads, rows),
    "",
    engineTable(workloads, rows),
    "",
    profileTables(workloads, profiles),
  ].join("\n");
}
