/**
 * `npm run bench`: convex-rollouts against @convex-dev/migrations and against a
 * hand-written loop, on convex-test, in this process. Writes BENCHMARKS.md (committed)
 * and the raw numbers, bench-results/latest.json (ignored by git, like all of bench-results/).
 *
 *   npm run bench                 10,000 and 50,000 small documents, 5,000 of ~4 KB
 *   npm run bench -- --quick      2,000 and 5,000 small, 1,000 of ~4 KB (bench-results/quick.json)
 *   npm run bench -- --runs 5     runs per workload (default 3, quick 5)
 *   npm run bench -- --budget 30  minutes the whole run may take (default 20, quick 2)
 *
 * The largest workload comes last and gets as many of its runs as fit in the
 * budget (at least one); BENCHMARKS.md says how many it got. It is a benchmark,
 * not a test: it exits non-zero only when a migration left a document wrong.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { measure, VARIANTS, type RunResult, type Variant, type Workload } from "./measure.js";
import { markdown, terminal, type Machine, type Meta, type Profiled } from "./report.js";
import { parallelSection, withParallelSection } from "./parallelSection.js";
import { correct, rows, targets } from "./stats.js";
import { numberFlag, parseFlags, runMain } from "../cli.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const FLAGS = {
  quick: { type: "boolean", default: false },
  runs: { type: "string" },
  budget: { type: "string" },
  json: { type: "string" },
  md: { type: "string" },
  from: { type: "string" },
  "skip-profile": { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

function options() {
  const values = parseFlags(
    FLAGS,
    "Usage: npm run bench -- [--quick] [--runs N] [--budget MINUTES] [--json PATH] [--md PATH]\n" +
      "  --quick   smaller workloads (2,000 / 5,000 small, 1,000 large), about a minute\n" +
      "  --runs    runs per workload (default 3, quick 5); the largest gets what fits in the budget\n" +
      "  --budget  minutes for the whole run (default 20, quick 2)\n" +
      "  --json    raw numbers (default bench-results/latest.json, quick: bench-results/quick.json)\n" +
      "  --md      the report (default BENCHMARKS.md; quick writes none unless given)\n" +
      "  --skip-profile  no extra CPU-profiled run of each variant\n" +
      "  --from    write the report from a saved JSON (e.g. bench-results/latest.json), measuring nothing",
  );
  const whole = numberFlag;
  const quick = values.quick;
  return {
    quick,
    runs: Math.floor(whole("runs", values.runs ?? (quick ? "5" : "3"), 1)),
    budgetMin: whole("budget", values.budget ?? (quick ? "2" : "20"), 0.1),
    json: values.json ?? join(ROOT, "bench-results", quick ? "quick.json" : "latest.json"),
    md: values.md ?? (quick ? null : join(ROOT, "BENCHMARKS.md")),
    profile: !values["skip-profile"],
    from: values.from ?? null,
    mdGiven: values.md !== undefined,
  };
}

function workloadsFor(quick: boolean): { workloads: Workload[]; budgeted: string } {
  const k = (x: number) => `${x.toLocaleString("en-US")}`;
  const small = (count: number): Workload => ({
    id: `small-${count}`,
    label: `${k(count)} small`,
    table: "small",
    count,
  });
  const large = (count: number): Workload => ({
    id: `large-${count}`,
    label: `${k(count)} × 4 KB`,
    table: "large",
    count,
  });
  const workloads = quick
    ? [small(2_000), large(1_000), small(5_000)]
    : [small(10_000), large(5_000), small(50_000)];
  return { workloads, budgeted: workloads[2]!.id };
}

function rotated(run: number): Variant[] {
  return VARIANTS.map((_, i) => VARIANTS[(i + run) % VARIANTS.length]!);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function describeRun(r: RunResult): string {
  const ok = correct(r) ? "ok" : `WRONG (${r.verdict.wrong} wrong of ${r.verdict.checked})`;
  return (
    `${r.variant.padEnd(8)} ${secs(r.wallMs).padStart(9)}  ` +
    `${Math.round(r.docsPerSec).toLocaleString("en-US").padStart(8)} docs/s  ` +
    `${String(r.batches).padStart(4)} batches  ${ok}`
  );
}

async function warmUp(): Promise<void> {
  // Loads every module and lets the JIT see each code path once, unmeasured.
  for (const variant of VARIANTS) {
    await measure({ id: "warm-small", label: "", table: "small", count: 300 }, variant, -1);
    await measure({ id: "warm-large", label: "", table: "large", count: 100 }, variant, -1);
  }
}

function machine(): Machine {
  const cpuinfo = (() => {
    try {
      return readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return "";
    }
  })();
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? "?";
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || nproc;
  } catch {
    // no nproc: os.cpus() it is
  }
  return {
    cpus: nproc,
    cpuModel: model,
    node: process.version,
    platform: `${platform()} ${release()}`,
    memoryGB: totalmem() / 1024 ** 3,
    versions: {
      convex: versionOf("convex"),
      "convex-test": versionOf("convex-test"),
      "@convex-dev/migrations": versionOf("@convex-dev/migrations"),
      "convex-rollouts": (
        JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }
      ).version,
    },
  };
}

function versionOf(pkg: string): string {
  const require = createRequire(import.meta.url);
  try {
    const main = require.resolve(pkg);
    let dir = dirname(main);
    for (let i = 0; i < 6; i++) {
      try {
        const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
          name?: string;
          version?: string;
        };
        if (json.name === pkg && json.version) return json.version;
      } catch {
        // keep climbing
      }
      dir = dirname(dir);
    }
  } catch {
    // not resolvable
  }
  return "?";
}

type Saved = {
  meta: Meta;
  workloads: Workload[];
  profiles: Profiled[];
  runs: RunResult[];
};

async function main(): Promise<boolean> {
  const opts = options();
  if (opts.from !== null) {
    const saved = JSON.parse(readFileSync(opts.from, "utf8")) as Saved;
    const md = opts.mdGiven ? opts.md : saved.meta.quick ? null : join(ROOT, "BENCHMARKS.md");
    return await publish(saved, { json: null, md });
  }
  return await publish(await measureAll(opts), opts);
}

async function measureAll(opts: ReturnType<typeof options>): Promise<Saved> {
  const began = performance.now();
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const args = process.argv.slice(2);
  const command = `npm run bench${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`;
  const { workloads, budgeted } = workloadsFor(opts.quick);
  const budgetMs = opts.budgetMin * 60_000;
  const loadAtStart = loadavg();
  log(
    `convex-rollouts bench: ${workloads.map((w) => w.label).join(", ")}; ` +
      `${opts.runs} runs each (${budgeted} as many as fit in ${opts.budgetMin} min)`,
  );

  log("warming up…");
  await warmUp();

  const results: RunResult[] = [];
  const runsMade: Record<string, number> = {};
  let budgetNote: string | null = null;
  const profiled: RunResult[] = [];
  for (const workload of workloads) {
    if (workload.id === budgeted && opts.profile) {
      // Before the largest workload, so that the budget counts them.
      for (const target of workloads.filter((w) => w.id !== budgeted)) {
        log(`${target.label}, one CPU-profiled run of each variant (not measured)`);
        for (const variant of VARIANTS) {
          const result = await measure(target, variant, 0, { profile: true });
          profiled.push(result);
          log(`  ${describeRun(result)}`);
        }
      }
    }
    const roundMs: number[] = [];
    for (let run = 0; run < opts.runs; run++) {
      if (workload.id === budgeted && run > 0) {
        const elapsed = performance.now() - began;
        const next = Math.max(...roundMs);
        if (elapsed + next * 1.05 + 15_000 > budgetMs) {
          budgetNote =
            `${workload.label}: ${run} of ${opts.runs} runs, because another would have ended ` +
            `past the ${opts.budgetMin}-minute budget (a round of its four variants takes ` +
            `${secs(next)}; ${secs(elapsed)} had passed).`;
          log(`  ${budgetNote}`);
          break;
        }
      }
      log(`${workload.label}, run ${run + 1}/${opts.runs}`);
      const roundStart = performance.now();
      for (const variant of rotated(run)) {
        const result = await measure(workload, variant, run);
        results.push(result);
        log(`  ${describeRun(result)}  (seeded in ${secs(result.seedMs)})`);
      }
      roundMs.push(performance.now() - roundStart);
      runsMade[workload.id] = run + 1;
    }
  }

  const durationMs = performance.now() - began;
  const meta: Meta = {
    command,
    quick: opts.quick,
    startedAt,
    durationMs,
    budgetMin: opts.budgetMin,
    runsPlanned: opts.runs,
    runsMade,
    budgetNote,
    load: { start: loadAtStart, end: loadavg() },
    machine: machine(),
  };
  const profiles: Profiled[] = profiled.map((r) => ({
    workload: r.workload,
    variant: r.variant,
    wallMs: r.wallMs,
    summary: r.profile!,
  }));
  // The profiled runs are checked like the others, and kept only for that.
  const wrong = profiled.filter((r) => !correct(r));
  return {
    meta,
    workloads,
    profiles,
    runs: [...results, ...wrong.map((r) => ({ ...r, run: -1 }))],
  };
}

/** Tables, targets, the JSON and BENCHMARKS.md from what was measured (or saved). */
async function publish(
  { meta, workloads, profiles, runs }: Saved,
  out: { json: string | null; md: string | null },
): Promise<boolean> {
  const measured = runs.filter((r) => r.run >= 0);
  const table = rows(workloads, measured);
  const smalls = workloads.filter((w) => w.table === "small");
  const goals = targets(workloads, table, {
    smallMid: smalls[0]!.id,
    smallBig: smalls[1]!.id,
    large: workloads.find((w) => w.table === "large")!.id,
    quick: meta.quick,
  });
  const written: string[] = [];
  if (out.json !== null) {
    mkdirSync(dirname(out.json), { recursive: true });
    writeFileSync(
      out.json,
      JSON.stringify(
        { meta, workloads, targets: goals, rows: summarize(table), profiles, runs },
        null,
        1,
      ) + "\n",
    );
    written.push(relative(out.json));
  }
  if (out.md !== null) {
    // Formatted as `npm run lint` (prettier --check .) expects it.
    // Keeps the section `npm run bench:parallel` wrote (scripts/bench/parallelSection.ts).
    const previous = existsSync(out.md) ? readFileSync(out.md, "utf8") : "";
    const md = withParallelSection(
      markdown(workloads, table, goals, meta, profiles),
      parallelSection(previous),
    );
    const config = (await resolveConfig(out.md)) ?? {};
    writeFileSync(out.md, await format(md, { ...config, filepath: out.md }));
    written.push(relative(out.md));
  }

  console.log(terminal(workloads, table, goals, profiles));
  console.log(
    `\n${meta.command}: ${secs(meta.durationMs)}.` +
      (written.length > 0 ? ` Wrote ${written.join(" and ")}.` : ""),
  );
  const ok = runs.every(correct);
  if (!ok) console.log("Some migration left documents wrong: see the table.");
  return ok;
}

/** The rows without their representative run (which is in `runs`), for the JSON. */
function summarize(table: ReturnType<typeof rows>) {
  return table.map(({ representative, ...row }) => ({
    ...row,
    representativeRun: representative.run,
    batches: representative.batches,
    perBatch: { app: representative.app, component: representative.component },
    status: representative.status,
  }));
}

function relative(path: string): string {
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

runMain(main, "bench");
