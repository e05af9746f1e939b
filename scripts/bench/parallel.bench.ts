/**
 * Parallel runs, measured by what carries over to a deployment (`npm run
 * bench:parallel`; `PARALLEL_DOCS=5000` for a quick look). convex-test runs one
 * transaction at a time, so the batches are run in rounds: a round runs every
 * batch due now, and what those batches schedule waits for the next round.
 *
 * - critical path: rounds with at least one batch, the longest chain of
 *   batches that each wait for the one before;
 * - transactions: every batch;
 * - simulated wall time under a deployment's latency: each round costs a fixed
 *   `DELAY_MS` (a commit and the scheduler's hop) plus the mean convex-test
 *   execution time of its batches, since the batches of one round touch
 *   disjoint documents and run side by side on a deployment. One chain
 *   (@convex-dev/migrations, or k = 1) pays it for every batch.
 *
 * Writes bench-results/parallel.md (and prints it); BENCHMARKS.md quotes it.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { format, resolveConfig } from "prettier";
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import { expect, test, vi } from "vitest";
import { internal } from "./app/convex/_generated/api.js";
import { END, START, withParallelSection } from "./parallelSection.js";
import { seed, setupBench, verify, type BenchT } from "./setup.js";

const DOCS = Number(process.env.PARALLEL_DOCS ?? 50_000);
const DELAY_MS = 20;

type Row = {
  variant: string;
  k: number;
  batch: string;
  criticalPath: number;
  transactions: number;
  bound: number | null;
  serialMs: number;
  simulatedMs: number;
};

/** Reads in a component's own database (convex-test runs handlers there too). */
async function inComponent<R>(
  t: BenchT,
  name: string,
  fn: (ctx: GenericMutationCtx<GenericDataModel>) => Promise<R>,
): Promise<R> {
  const withComponents = t as BenchT & {
    runInComponent: (path: string, handler: typeof fn) => Promise<R>;
  };
  return await withComponents.runInComponent(name, fn);
}

/** Batches so far (ours, from its runs and slices), or documents processed (theirs). */
async function progressOf(t: BenchT, variant: "ours" | "theirs"): Promise<number> {
  if (variant === "ours") {
    return await inComponent(t, "rollouts", async (ctx) => {
      const runs = await ctx.db.query("runs").collect();
      // A parallel run's row holds its settled slices' batches; live slices hold their own.
      return runs.reduce(
        (sum, run) =>
          sum + (run.parent === undefined || run.isDone === false ? (run.batches as number) : 0),
        0,
      );
    });
  }
  // Theirs keeps no batch count: a round in which its processed count moved ran its one batch.
  return await inComponent(t, "migrations", async (ctx) => {
    const rows = await ctx.db.query("migrations").collect();
    return rows.reduce((sum, row) => sum + (row.processed as number), 0);
  });
}

async function isDone(t: BenchT, variant: "ours" | "theirs"): Promise<boolean> {
  return await inComponent(t, variant === "ours" ? "rollouts" : "migrations", async (ctx) => {
    const rows = await ctx.db.query(variant === "ours" ? "runs" : "migrations").collect();
    return rows.length > 0 && rows.every((row) => row.isDone === true);
  });
}

async function measureOne(
  variant: "ours" | "theirs",
  k: number,
  batchSize: number | undefined,
): Promise<Row> {
  // Timers and Date fake, so rounds are exact; not performance or hrtime, which time them.
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "Date"],
  });
  const t = await setupBench();
  await seed(t, "small", DOCS);
  if (variant === "ours") {
    await t.mutation(internal.migrations.oursSmall, {
      ...(batchSize ? { batchSize } : {}),
      ...(k > 1 ? { parallelism: k } : {}),
    });
  } else {
    await t.mutation(internal.migrations.theirsSmall, {});
  }
  let criticalPath = 0;
  let serialMs = 0;
  let simulatedMs = 0;
  let batches = 0;
  let progress = 0;
  for (let guard = 0; guard < 100_000 && !(await isDone(t, variant)); guard++) {
    const started = process.hrtime.bigint();
    vi.advanceTimersByTime(0);
    await t.finishInProgressScheduledFunctions();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const now = await progressOf(t, variant);
    const ran = variant === "ours" ? now - progress : now > progress ? 1 : 0;
    progress = now;
    if (ran === 0) {
      // Nothing was due now (a check a minute away): move on to it; it is not a batch.
      vi.advanceTimersToNextTimer();
      await t.finishInProgressScheduledFunctions();
      continue;
    }
    batches += ran;
    criticalPath++;
    serialMs += ms;
    simulatedMs += DELAY_MS + ms / ran;
  }
  const verdict = await verify(t, "small");
  expect(verdict.wrong).toBe(0);
  expect(verdict.checked).toBe(DOCS);
  vi.useRealTimers();
  const size = batchSize ?? null;
  return {
    variant: variant === "ours" ? "convex-rollouts" : "@convex-dev/migrations 0.3.6",
    k,
    batch: size === null ? (variant === "ours" ? "adaptive" : "100 (its default)") : String(size),
    criticalPath,
    transactions: batches,
    bound: size === null ? null : Math.ceil(DOCS / (k * size)) + k,
    serialMs,
    simulatedMs,
  };
}

function table(rows: Row[]): string {
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    `| migration | k | batch | critical path | bound ⌈N/(k·batch)⌉ + k | transactions | simulated wall, ${DELAY_MS} ms per transaction | convex-test, one at a time |`,
    "| --- | --: | --- | --: | --: | --: | --: | --: |",
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.k} | ${r.batch} | ${n(r.criticalPath)} | ${r.bound === null ? "—" : n(r.bound)} | ${n(r.transactions)} | ${s(r.simulatedMs)} | ${s(r.serialMs)} |`,
    ),
  ];
  return lines.join("\n");
}

test(`parallel runs over ${DOCS.toLocaleString("en-US")} small documents`, async () => {
  const rows: Row[] = [];
  const write = () => {
    const md =
      `${DOCS.toLocaleString("en-US")} small documents, \`npm run bench:parallel\`, ` +
      `${new Date().toISOString().slice(0, 10)}.\n\n${table(rows)}\n`;
    mkdirSync("bench-results", { recursive: true });
    writeFileSync("bench-results/parallel.md", md);
    writeFileSync("bench-results/parallel.json", JSON.stringify(rows, null, 2));
    return md;
  };
  // Written after each row, so a long run shows how far it got.
  for (const batchSize of [100, undefined]) {
    for (const k of [1, 4, 8]) {
      rows.push(await measureOne("ours", k, batchSize));
      write();
    }
  }
  rows.push(await measureOne("theirs", 1, undefined));
  const md = write();
  console.log(md);
  if (process.env.PARALLEL_MD !== "0") await intoBenchmarks(md, rows);
});

/** Writes the section of BENCHMARKS.md this benchmark owns, formatted as `npm run lint` expects. */
async function intoBenchmarks(md: string, rows: Row[]): Promise<void> {
  const one = rows.find((r) => r.variant === "convex-rollouts" && r.k === 1 && r.batch === "100")!;
  const eight = rows.find(
    (r) => r.variant === "convex-rollouts" && r.k === 8 && r.batch === "100",
  )!;
  const theirs = rows.find((r) => r.variant !== "convex-rollouts")!;
  const adaptive = rows.filter((r) => r.variant === "convex-rollouts" && r.batch === "adaptive");
  const section = [
    START,
    "",
    "## Parallel runs",
    "",
    "`npm run bench:parallel` (`PARALLEL_DOCS=N` for another size). convex-test runs one transaction",
    "at a time, so the batches run in rounds: a round runs every batch due at that moment, and what",
    "they schedule waits for the next round. The **critical path** is the number of rounds with a",
    "batch: the longest chain of batches that each wait for the one before. **Simulated wall** gives",
    `each round a fixed ${DELAY_MS} ms (a commit and the scheduler's hop on a deployment) plus the mean`,
    "convex-test execution time of its batches, since the batches of one round touch disjoint",
    "documents and run side by side on a deployment; one chain pays both for every batch. The last",
    "column is convex-test's own time, every transaction one after another.",
    "",
    md.trim(),
    "",
    `At 100 per batch, k = 8 has a critical path of ${eight.criticalPath} batches against ${one.criticalPath} for k = 1 ` +
      `(${eight.transactions} transactions against ${one.transactions}), and its simulated wall time is ` +
      `${(eight.simulatedMs / one.simulatedMs).toFixed(2)}× k = 1's and ` +
      `${(eight.simulatedMs / theirs.simulatedMs).toFixed(2)}× @convex-dev/migrations'.`,
    "",
    `At defaults (adaptive) the critical path is ${adaptive.map((r) => r.criticalPath).join(", ")} ` +
      `batches at k = ${adaptive.map((r) => r.k).join(", ")}, for ${adaptive.map((r) => r.transactions).join(", ")} ` +
      "transactions: the run grows its batch size in one slice, then cuts what is left into slices " +
      "of whole batches at that size.",
    "",
    END,
  ].join("\n");
  const file = "BENCHMARKS.md";
  const text = withParallelSection(readFileSync(file, "utf8"), section);
  const config = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(text, { ...config, filepath: file }));
}
