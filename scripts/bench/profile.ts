/**
 * Where a run's time goes: a CPU profile of the timed part (V8's sampling
 * profiler, through node:inspector in this process), each sample put in one
 * bucket by its stack. The profiled runs are extra ones, not the measured runs:
 * the profiler slows everything down a little.
 *
 * Also a command line, for profiles written by `node --cpu-prof`:
 *   npx tsx scripts/bench/profile.ts bench-results/tmp/*.cpuprofile
 */
import { readFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { fileURLToPath } from "node:url";

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
export type CpuProfile = {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};

export const BUCKETS = [
  "convex-test: query evaluation (list, sort, walk to cursor)",
  "convex-test: everything else (transactions, documents, sizes)",
  "convex runtime (serialization, validation)",
  "convex-rollouts (src/)",
  "@convex-dev/migrations + convex-helpers",
  "bench app code and harness",
  "Node: timers, promises, async hooks",
  "garbage collection",
  "idle (waiting for the next timer)",
  "other",
] as const;
export type Bucket = (typeof BUCKETS)[number];

export type ProfileSummary = {
  totalMs: number;
  buckets: Record<Bucket, number>;
  /** The functions with the most self time. */
  top: { fn: string; ms: number }[];
};

/** convex-test's functions that evaluate a query: every index range read goes through them. */
const QUERY_EVALUATION = new Set(["_resolveQuerySource", "_evaluateQuery", "paginate"]);

function where(url: string): string {
  const at = url.lastIndexOf("node_modules/");
  if (at >= 0) return url.slice(at + "node_modules/".length);
  return url.replace(/^file:\/\/.*?\/(src|scripts)\//, "$1/");
}

function bucketOf(stack: CallFrame[]): Bucket {
  const self = stack[0]!;
  if (self.functionName === "(garbage collector)") return "garbage collection";
  if (self.functionName === "(idle)") return "idle (waiting for the next timer)";
  if (
    stack.some(
      (f) => f.url.includes("node_modules/convex-test/") && QUERY_EVALUATION.has(f.functionName),
    )
  ) {
    return "convex-test: query evaluation (list, sort, walk to cursor)";
  }
  // The first frame that is code rather than a builtin decides.
  const code = stack.find((f) => f.url !== "") ?? self;
  const url = code.url;
  if (url.includes("node_modules/convex-test/")) {
    return "convex-test: everything else (transactions, documents, sizes)";
  }
  if (url.includes("node_modules/convex/")) return "convex runtime (serialization, validation)";
  if (url.includes("node_modules/@convex-dev/migrations/") || url.includes("convex-helpers")) {
    return "@convex-dev/migrations + convex-helpers";
  }
  if (/\/src\/(client|component|shared)\//.test(url)) return "convex-rollouts (src/)";
  if (url.includes("/scripts/")) return "bench app code and harness";
  if (url.startsWith("node:")) return "Node: timers, promises, async hooks";
  return "other";
}

export function summarize(profile: CpuProfile, topN = 8): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const buckets = Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<Bucket, number>;
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      stack.push(byId.get(at)!.callFrame);
    }
    // The profiler's own start (a blocking round trip) is not the run's time.
    if (stack.some((f) => f.url.endsWith("/bench/profile.ts"))) continue;
    const ms = us / 1000;
    total += ms;
    buckets[bucketOf(stack)] += ms;
    const self = stack[0]!;
    const key = `${self.functionName || "(anonymous)"} ${where(self.url)}${self.url ? `:${self.lineNumber + 1}` : ""}`;
    fns.set(key, (fns.get(key) ?? 0) + ms);
  }
  const top = [...fns]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([fn, ms]) => ({ fn, ms }));
  return { totalMs: total, buckets, top };
}

let session: Session | null = null;

export async function startProfiler(): Promise<void> {
  session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
}

export async function stopProfiler(): Promise<CpuProfile> {
  if (session === null) throw new Error("The profiler is not running.");
  const { profile } = await session.post("Profiler.stop");
  await session.post("Profiler.disable");
  session.disconnect();
  session = null;
  return profile as unknown as CpuProfile;
}

function print(file: string, summary: ProfileSummary) {
  const pct = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1)}%`.padStart(6);
  console.log(`${file}: ${(summary.totalMs / 1000).toFixed(2)} s sampled`);
  for (const bucket of BUCKETS) {
    const ms = summary.buckets[bucket];
    if (ms > 0) console.log(`  ${pct(ms)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${bucket}`);
  }
  console.log("  top functions by self time:");
  for (const { fn, ms } of summary.top) console.log(`  ${pct(ms)}  ${fn}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("Usage: npx tsx scripts/bench/profile.ts FILE.cpuprofile…");
    process.exitCode = 1;
  }
  for (const file of files) {
    print(file, summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, 15));
  }
}
