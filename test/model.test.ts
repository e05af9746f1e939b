/**
 * The combined model test (DESIGN.md, invariant 8): random schedules that MIX
 * the features — skip/stop runs, fixed and adaptive batches, resets, ledger
 * retries, pause/resume/cancel/cancelAll, runSerially and a runAll chain,
 * runToCompletion from an action, app inserts/patches/deletes, limit errors
 * under scaled-down transaction limits, whole-batch failures (a broken
 * function handle, a scheduled batch canceled from outside: a lost driver),
 * and two rollouts (with and without verify) sharing one backfill — with the
 * invariants checked after every step and again once the schedule settles.
 *
 * Each step is a whole transaction (or an action: several), so the random
 * orders are real interleavings (DESIGN.md, "Serializability").
 *
 * The migrations (test/fixtures/model.ts) are non-idempotent counters: each
 * application of migrateOne adds one to the document's counter for the run
 * that applied it. So the test reads, straight from the app's tables, how
 * often each run migrated each document, and checks:
 *
 *  1. exactly once per document per run: no counter is ever above 1; a run
 *     that ends done applied migrateOne to every document of its range that
 *     existed when it started and still exists — except those that threw in
 *     skip mode, which are in the failure ledger (and were failing while it ran);
 *     a retry run touches only what the ledger held when it started;
 *  2. a failed batch commits nothing: no document past a run's saved cursor
 *     carries that run's counter;
 *  3. no run is stuck: after the schedule, failing documents are fixed and every
 *     timer is run; then no run is running (no driver), none shows paused or
 *     canceled unless a command did that, none is failed by a whole-batch
 *     failure (those are retried by the engine, smaller); only a migrateOne
 *     error in stop mode or a broken handle (until the next deploy) may leave a
 *     run failed. Then a "deploy" starts every migration again, ledgers are
 *     retried, and every migration must end done;
 *  4. rollouts: whenever a rollout is in readNew or complete, every post is in
 *     the new shape; it never enters readNew while its backfill's failure
 *     ledger holds a live document; at the end, following each rollout's own
 *     `next.command` hints reaches readNew.
 *
 * Any error from a command other than this package's typed ConvexErrors
 * (`isRolloutError`) fails the test.
 *
 * A failure names its kind in brackets: exactly-once, coverage, unknown-run
 * and ledger-cleared (1: a finished retry or full pass clears the ledger
 * entries it converted), cursor (2), stuck, lost-driver, whole-batch and
 * unfinished (3), old-shape, ledger-gate and stranded (4), two-running (two
 * runs of one migration at once), app-write-lost (an app write overwritten or
 * a deleted document back), untyped-error. Below it, the shrunk schedule, one
 * command a line, numbered as the steps in the messages.
 *
 * Replay a failure with the seed it prints:
 *   FC_SEED=123 npx vitest run test/model.test.ts
 * (and `FC_PATH=…` from the failure message to jump to the shrunk case, with
 * the same MODEL_IGNORE). `FC_RUNS=1000` runs more schedules; `FC_SHRINK=0`
 * reports the first failure without shrinking; `MODEL_IGNORE=whole-batch,lost-driver`
 * (or `all`) counts those kinds of violation instead of failing on them, to
 * look past a known one (the first of each kind is printed at the end);
 * `MODEL_VERBOSE=1` prints every step with the state it left.
 */
import fc from "fast-check";
import { makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import type { Id } from "../example/convex/_generated/dataModel.js";
import {
  isRolloutError,
  PHASES,
  type MigrationStatus,
  type Phase,
  type RolloutStatus,
  type RunState,
  type Status,
} from "../src/client/index.js";
import type { Id as ComponentId } from "../src/component/_generated/dataModel.js";
import { parseCounters } from "./fixtures/model.js";
import { cursorDocId, drain, runInComponent, runScheduledOnce, setup, type T } from "./harness.js";
import { MODELS, seedPlans, totalRuns } from "./seeds.js";

beforeEach(() => {
  vi.useFakeTimers();
  // convex-test logs every scheduled function that fails; the model counts them instead.
  if (!VERBOSE) vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** The fixed seeds of `test/seeds.ts` (or `FC_SEED`, `FC_RUNS`, `FC_PATH` to replay one). */
const PLANS = seedPlans("model");
const SHRINK = process.env.FC_SHRINK !== "0";
const VERBOSE = process.env.MODEL_VERBOSE === "1";
const IGNORED = new Set((process.env.MODEL_IGNORE ?? "").split(",").filter((s) => s !== ""));

/** The real clock, for the run time printed at the end (the tests fake Date). */
const realNow = Date.now.bind(Date);

// ---------------------------------------------------------------------------
// The app as the model sees it.

const MIGS = ["a", "b", "fill", "u"] as const;
type Mig = (typeof MIGS)[number];
type Table = "posts" | "users";
const TABLE: Record<Mig, Table> = { a: "posts", b: "posts", fill: "posts", u: "users" };
const FILL = "model:fill";
const ROLLOUTS = { checked: "model.checked", plain: "model.plain" } as const;
type RolloutKey = keyof typeof ROLLOUTS;
/** What a deploy that removed the function leaves in a stored handle (convex-test's form). */
const GONE = "function://;model:removedByDeploy";

/**
 * Scaled-down limits for some schedules. A post with a pad writes ~6 KB, one
 * marked `r` reads 25 more posts: a batch of up to 5 documents always fits, an
 * adaptive batch over many of them does not.
 */
const LIMITS = { bytesWritten: 48_000, documentsRead: 200 };
const PAD = 6_000;
const MAX_FIXED_UNDER_LIMITS = 5;

const nameOf = (mig: Mig) => `model:${mig}`;
const migOf = (name: string) => name.slice("model:".length) as Mig;
const mutation = (name: string) => makeFunctionReference<"mutation">(`model:${name}`);
const query = (name: string) => makeFunctionReference<"query">(`model:${name}`);
const action = (name: string) => makeFunctionReference<"action">(`model:${name}`);

// ---------------------------------------------------------------------------
// Commands: plain data, so a counterexample prints readably.

type StartOpts = {
  batchSize?: number;
  onError?: "stop" | "skip";
  reset?: boolean;
  retryFailed?: boolean;
  /** Slices at once (issue 19); a run that cannot be cut runs as one chain. */
  parallelism?: number;
};
type Op =
  /** Every batch scheduled so far, once (`runScheduledOnce`), `times` times. */
  | { op: "tick"; times: number }
  /** Only the next timer: one scheduled function. */
  | { op: "timer" }
  /** Every timer until nothing is scheduled. */
  | { op: "drain" }
  | { op: "start"; mig: Mig; via: "define" | "runner"; opts: StartOpts }
  | { op: "pause" | "resume" | "cancel"; mig: Mig }
  /** The live knob: how many slices a parallel run keeps live. */
  | { op: "knob"; mig: Mig; parallelism: number }
  | { op: "cancelAll" }
  | { op: "serially"; migs: Mig[] }
  | { op: "runAll"; reset?: boolean }
  /** runToCompletion from an action. */
  | { op: "complete"; mig: Mig; opts: StartOpts }
  | { op: "insert"; table: Table; count: number; failing: boolean }
  | { op: "setFail" | "fix" | "delete"; table: Table; pick: number }
  /** A deploy removed the function a running run's stored handle points at. */
  | { op: "breakHandle"; mig: Mig }
  /** A running run's pending scheduled batch vanishes (canceled from outside). */
  | { op: "loseJob"; pick: number }
  | { op: "advance"; rollout: RolloutKey; to: Phase | "next" }
  | { op: "rollback" | "verify"; rollout: RolloutKey }
  // Only while settling:
  | { op: "fixAll" }
  | { op: "follow"; rollout: RolloutKey };

/** Present in about `percent`% of the values. */
const sometimes = <V>(percent: number, arb: fc.Arbitrary<V>): fc.Arbitrary<V | undefined> =>
  fc.oneof(
    { weight: percent, arbitrary: arb },
    { weight: 100 - percent, arbitrary: fc.constant(undefined) },
  );
/** Leaves absent options out, so counterexamples print short. */
function compact<O extends object>(opts: O): O {
  const defined: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(opts)) if (value !== undefined) defined[key] = value;
  return defined as O;
}

/** The shared backfill a little more often: it is where runs and rollouts meet. */
const migArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Mig>("a") },
  { weight: 2, arbitrary: fc.constant<Mig>("b") },
  { weight: 3, arbitrary: fc.constant<Mig>("fill") },
  { weight: 1, arbitrary: fc.constant<Mig>("u") },
);
const tableArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Table>("posts") },
  { weight: 1, arbitrary: fc.constant<Table>("users") },
);
const rolloutArb = fc.constantFrom<RolloutKey>("checked", "plain");

function opArb(limited: boolean): fc.Arbitrary<Op> {
  const batchSize = fc.integer({ min: 1, max: limited ? MAX_FIXED_UNDER_LIMITS : 40 });
  const startOpts = fc
    .record({
      batchSize: sometimes(50, batchSize),
      onError: sometimes(50, fc.constantFrom("stop" as const, "skip" as const)),
      reset: sometimes(15, fc.constant(true)),
      retryFailed: sometimes(12, fc.constant(true)),
      parallelism: sometimes(40, fc.integer({ min: 1, max: 4 })),
    })
    .map(compact);
  const completeOpts = fc
    .record({
      batchSize: sometimes(50, batchSize),
      onError: sometimes(30, fc.constantFrom("stop" as const, "skip" as const)),
      reset: sometimes(20, fc.constant(true)),
      retryFailed: sometimes(10, fc.constant(true)),
      parallelism: sometimes(30, fc.integer({ min: 2, max: 4 })),
    })
    .map(compact);
  const pick = fc.nat(1_000_000);
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({ op: fc.constant("tick"), times: fc.integer({ min: 1, max: 3 }) }),
    },
    { weight: 4, arbitrary: fc.record({ op: fc.constant("timer") }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("drain") }) },
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant("start"),
        mig: migArb,
        via: fc.constantFrom("define" as const, "runner" as const),
        opts: startOpts,
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constantFrom("pause" as const, "resume" as const, "cancel" as const),
        mig: migArb,
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("cancelAll") }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("knob"),
        mig: migArb,
        parallelism: fc.integer({ min: 1, max: 5 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("serially"),
        migs: fc.constantFrom<Mig[]>(
          ["a", "b"],
          ["b", "a"],
          ["a", "u"],
          ["u", "b"],
          ["b", "fill"],
          ["fill", "a"],
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ op: fc.constant("runAll"), reset: sometimes(30, fc.constant(true)) })
        .map(compact),
    },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant("complete"), mig: migArb, opts: completeOpts }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("insert"),
        table: tableArb,
        count: fc.integer({ min: 1, max: 2 }),
        failing: fc.boolean(),
      }),
    },
    {
      weight: 7,
      arbitrary: fc.record({
        op: fc.constantFrom("setFail" as const, "fix" as const, "delete" as const),
        table: tableArb,
        pick,
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("breakHandle"), mig: migArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("loseJob"), pick }) },
    {
      weight: 7,
      arbitrary: fc.record({
        op: fc.constant("advance"),
        rollout: rolloutArb,
        to: fc.oneof(
          { weight: 9, arbitrary: fc.constant("next" as const) },
          { weight: 1, arbitrary: fc.constantFrom<Phase>(...PHASES) },
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constantFrom("rollback" as const, "verify" as const),
        rollout: rolloutArb,
      }),
    },
  );
  // Plain objects (fast-check's records have no prototype), so counterexamples print plainly.
  return op.map((o) => ({ ...o }));
}

const scheduleArb = fc
  .oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 2, arbitrary: fc.constant(true) })
  .chain((limited) =>
    fc.record({
      limited: fc.constant(limited),
      posts: fc.integer({ min: 20, max: 60 }),
      users: fc.integer({ min: 3, max: 10 }),
      /** Posts (by creation index) whose title is "FAIL…" from the start. */
      failing: fc.uniqueArray(fc.nat(59), { maxLength: 3 }),
      /** Posts that write ~6 KB when migrated (under limits only). */
      heavy: limited ? fc.uniqueArray(fc.nat(59), { maxLength: 16 }) : fc.constant<number[]>([]),
      /** Posts whose migration reads 25 more posts (under limits only). */
      readers: limited ? fc.uniqueArray(fc.nat(59), { maxLength: 16 }) : fc.constant<number[]>([]),
      // 10 to 30 commands; a command shrinks to null (left out), so counterexamples get short.
      ops: fc.array(fc.option(opArb(limited), { nil: null, freq: 30 }), {
        minLength: 10,
        maxLength: 30,
        size: "max",
      }),
    }),
  );
type Schedule = typeof scheduleArb extends fc.Arbitrary<infer S> ? S : never;

// ---------------------------------------------------------------------------
// The model: what the app and the engine did, as far as the invariants need it.

class Violation extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(`[${kind}] ${message}`);
  }
}

type DocM = {
  id: string;
  table: Table;
  /** Creation order within its table: a full pass goes in this order. */
  pos: number;
  /** The title (posts) or name (users) the app last wrote. */
  label: string;
  alive: boolean;
  bornStep: number;
  /** Steps from which it was "FAIL…", to the step it was fixed (null: still). */
  fails: [number, number | null][];
};

type RunM = {
  id: string;
  name: string;
  mode: "all" | "retryFailed";
  /** The step in which the run was first seen: it started then. */
  createdStep: number;
  /** Documents of its table alive before that step: its range. */
  pre: Set<string>;
  /** Its migration's failure ledger before that step (a retry's range). */
  ledgerPre: Set<string>;
  checked: boolean;
  state: RunState;
  /** Set when a command paused or canceled it; cleared when it runs again. */
  stoppedBy?: "paused" | "canceled";
};

type Observed = {
  docs: Map<
    string,
    {
      table: Table;
      label: string;
      counters: Record<string, number>;
      newShape: boolean;
      /** Its `_creationTime`: which slice of a parallel run it is in. */
      created: number;
    }
  >;
  latest: MigrationStatus[];
  rollouts: RolloutStatus[];
  runs: MigrationStatus[];
  handles: Map<string, string>;
  ledger: Map<string, Set<string>>;
};

type Totals = {
  schedules: number;
  limited: number;
  /** Commands in the schedules, and steps taken in all (with settling). */
  scheduled: number;
  ops: number;
  typedErrors: Record<string, number>;
  skipped: number;
  runs: number;
  runsDone: number;
  /** Of those done, runs that went in slices (issue 19). */
  parallelDone: number;
  handlesBroken: number;
  jobsLost: number;
  readNew: number;
  cursorChecks: number;
  ignored: Record<string, number>;
  /** The first violation of each kind counted instead of failing (MODEL_IGNORE). */
  examples: Record<string, string>;
};

function wasFailing(doc: DocM, from: number, to: number): boolean {
  return doc.fails.some(([start, end]) => start <= to && (end === null || end >= from));
}

class Harness {
  step = 0;
  docs: DocM[] = [];
  byId = new Map<string, DocM>();
  runs = new Map<string, RunM>();
  phases = new Map<RolloutKey, Phase>();
  last!: Observed;
  private aliveBefore = new Set<string>();
  private ledgerBefore = new Map<string, Set<string>>();
  private authorId!: Id<"users">;

  constructor(
    readonly t: T,
    readonly schedule: Schedule,
    readonly totals: Totals,
  ) {}

  violation(kind: string, message: string, where: string) {
    const error = new Violation(kind, `${where}: ${message}`);
    if (IGNORED.has(kind) || IGNORED.has("all")) {
      this.totals.ignored[kind] = (this.totals.ignored[kind] ?? 0) + 1;
      this.totals.examples[kind] ??= error.message;
      if (VERBOSE) console.log(`ignored: ${error.message}`);
      return;
    }
    throw error;
  }

  private add(id: string, table: Table, label: string): DocM {
    const pos = this.docs.filter((d) => d.table === table).length;
    const doc: DocM = { id, table, pos, label, alive: true, bornStep: this.step, fails: [] };
    if (label.startsWith("FAIL")) doc.fails.push([this.step, null]);
    this.docs.push(doc);
    this.byId.set(id, doc);
    return doc;
  }

  async seed() {
    const { posts, users, failing, heavy, readers } = this.schedule;
    const author = { name: "Author", email: "author@example.com", lastName: '{"c":{}}' };
    this.authorId = await this.t.run(async (ctx) => await ctx.db.insert("users", author));
    this.add(this.authorId, "users", author.name);
    for (let i = 1; i < users; i++) {
      const name = `User ${i}`;
      const id = await this.t.run(
        async (ctx) =>
          await ctx.db.insert("users", { name, email: `u${i}@example.com`, lastName: '{"c":{}}' }),
      );
      this.add(id, "users", name);
    }
    // A few per transaction, so seeding fits under the scaled-down limits.
    for (let start = 0; start < posts; start += 5) {
      const chunk: { title: string; body: string }[] = [];
      for (let i = start; i < Math.min(posts, start + 5); i++) {
        const title = failing.includes(i) ? `FAIL Post ${i}` : `Post ${i}`;
        const body = JSON.stringify({
          c: {},
          ...(heavy.includes(i) ? { pad: "x".repeat(PAD) } : {}),
          ...(readers.includes(i) ? { r: 1 } : {}),
        });
        chunk.push({ title, body });
      }
      const authorId = this.authorId;
      const ids = await this.t.run(async (ctx) => {
        const made = [];
        for (const post of chunk) made.push(await ctx.db.insert("posts", { authorId, ...post }));
        return made;
      });
      ids.forEach((id, i) => this.add(id, "posts", chunk[i]!.title));
    }
    await this.observe({ op: "drain" }, "after seeding");
  }

  // -------------------------------------------------------------------------
  // Reading everything.

  private async readTable(table: Table) {
    const rows: Observed["docs"] = new Map();
    let cursor: string | null = null;
    for (let isDone = false; !isDone;) {
      const page = await this.t.run(
        async (ctx) => await ctx.db.query(table).paginate({ cursor, numItems: 50 }),
      );
      for (const doc of page.page) {
        if (table === "posts") {
          const post = doc as { _id: string; title: string; body: string; wordCount?: number };
          rows.set(post._id, {
            table,
            label: post.title,
            counters: parseCounters(post.body).c,
            newShape: post.wordCount !== undefined,
            created: doc._creationTime,
          });
        } else {
          const user = doc as { _id: string; name: string; lastName?: string };
          rows.set(user._id, {
            table,
            label: user.name,
            counters: parseCounters(user.lastName).c,
            newShape: true,
            created: doc._creationTime,
          });
        }
      }
      ({ continueCursor: cursor, isDone } = page);
    }
    return rows;
  }

  async status(): Promise<Status> {
    // Asked by name, status answers exactly those: the model's migrations and rollouts.
    return (await this.t.query(query("status"), {
      names: MIGS.map(nameOf),
      rollouts: Object.values(ROLLOUTS),
    })) as Status;
  }

  private async allRuns(): Promise<MigrationStatus[]> {
    const runs: MigrationStatus[] = [];
    let cursor: string | null = null;
    for (let isDone = false; !isDone;) {
      const page = (await this.t.query(query("history"), { cursor, numItems: 20 })) as {
        page: MigrationStatus[];
        continueCursor: string;
        isDone: boolean;
      };
      runs.push(...page.page);
      ({ continueCursor: cursor, isDone } = page);
    }
    return runs;
  }

  private async read(): Promise<Observed> {
    const docs = new Map([...(await this.readTable("posts")), ...(await this.readTable("users"))]);
    const status = await this.status();
    const runs = await this.allRuns();
    const { handles, failures } = await runInComponent(this.t, async (ctx) => {
      const stored = (await ctx.db.query("runs").collect()) as { _id: string; fnHandle?: string }[];
      const rows = (await ctx.db.query("failures").collect()) as {
        name: string;
        documentId: string;
      }[];
      return {
        handles: stored.map((r) => [r._id, r.fnHandle ?? ""] as const),
        failures: rows.map((r) => [r.name, r.documentId] as const),
      };
    });
    const ledger = new Map<string, Set<string>>();
    for (const [name, id] of failures) {
      if (!ledger.has(name)) ledger.set(name, new Set());
      ledger.get(name)!.add(id);
    }
    return {
      docs,
      // Asked by name, status answers "unknown" for those that never ran: the model has no run.
      latest: status.migrations.filter((m) => m.state !== "unknown"),
      rollouts: status.rollouts.filter((r) => r.name.startsWith("model.")),
      runs,
      handles: new Map(handles),
      ledger,
    };
  }

  private rolloutOf(key: RolloutKey): RolloutStatus {
    const found = this.last.rollouts.find((r) => r.name === ROLLOUTS[key]);
    if (!found) throw new Error(`status does not show ${ROLLOUTS[key]}`);
    return found;
  }

  // -------------------------------------------------------------------------
  // Commands.

  /** Runs a command: this package's typed errors are answers, anything else fails the test. */
  private async command<R>(call: Promise<R>, where: string): Promise<R | undefined> {
    try {
      return await call;
    } catch (error) {
      if (isRolloutError(error)) {
        const kind = error.data.kind;
        this.totals.typedErrors[kind] = (this.totals.typedErrors[kind] ?? 0) + 1;
        return undefined;
      }
      const text = error instanceof Error ? error.message : String(error);
      this.violation("untyped-error", `the command threw ${text}`, where);
      return undefined;
    }
  }

  private choose(table: Table, pick: number, filter: (d: DocM) => boolean): DocM | undefined {
    const pool = this.docs.filter((d) => d.table === table && d.alive && filter(d));
    return pool.length === 0 ? undefined : pool[pick % pool.length];
  }

  private async setLabel(doc: DocM, label: string) {
    await this.t.run(async (ctx) => {
      if (doc.table === "posts") {
        await ctx.db.patch("posts", doc.id as Id<"posts">, { title: label });
      } else {
        await ctx.db.patch("users", doc.id as Id<"users">, { name: label });
      }
    });
    const failing = label.startsWith("FAIL");
    if (failing && !doc.label.startsWith("FAIL")) doc.fails.push([this.step, null]);
    if (!failing && doc.label.startsWith("FAIL")) doc.fails.at(-1)![1] = this.step;
    doc.label = label;
  }

  async apply(op: Op) {
    this.step++;
    this.totals.ops++;
    const where = `step ${this.step}: ${JSON.stringify(op)}`;
    const t = this.t;
    switch (op.op) {
      case "tick":
        for (let i = 0; i < op.times; i++) await runScheduledOnce(t);
        break;
      case "timer":
        vi.advanceTimersToNextTimer();
        await t.finishInProgressScheduledFunctions();
        break;
      case "drain":
        await drain(t);
        break;
      case "start": {
        const args = { ...op.opts };
        const call =
          op.via === "define"
            ? t.mutation(mutation(op.mig), args)
            : t.mutation(mutation("run"), { fn: nameOf(op.mig), ...args });
        await this.command(call, where);
        break;
      }
      case "pause":
      case "resume":
      case "cancel":
        await this.command(t.mutation(mutation(op.op), { name: nameOf(op.mig) }), where);
        break;
      case "cancelAll":
        await this.command(t.mutation(mutation("cancelAll"), {}), where);
        break;
      case "knob":
        await this.command(
          t.mutation(mutation("throttle"), { name: nameOf(op.mig), parallelism: op.parallelism }),
          where,
        );
        break;
      case "serially":
        await this.command(t.mutation(mutation("serially"), { names: op.migs }), where);
        break;
      case "runAll":
        await this.command(t.mutation(mutation("runAll"), op.reset ? { reset: true } : {}), where);
        break;
      case "complete":
        await this.command(t.action(action("complete"), { name: op.mig, ...op.opts }), where);
        break;
      case "insert":
        for (let i = 0; i < op.count; i++) {
          const n = this.docs.filter((d) => d.table === op.table).length;
          const label = op.failing && i === 0 ? `FAIL New ${n}` : `New ${n}`;
          const id: string =
            op.table === "posts"
              ? ((await t.mutation(mutation("publish"), {
                  authorId: this.authorId,
                  title: label,
                  body: '{"c":{}}',
                })) as string)
              : await t.run(
                  async (ctx) =>
                    await ctx.db.insert("users", {
                      name: label,
                      email: `new${n}@example.com`,
                      lastName: '{"c":{}}',
                    }),
                );
          this.add(id, op.table, label);
        }
        break;
      case "setFail": {
        const doc = this.choose(op.table, op.pick, (d) => !d.label.startsWith("FAIL"));
        if (doc) await this.setLabel(doc, `FAIL ${doc.label}`);
        else this.totals.skipped++;
        break;
      }
      case "fix": {
        const doc = this.choose(op.table, op.pick, (d) => d.label.startsWith("FAIL"));
        if (doc) await this.setLabel(doc, doc.label.replace(/^FAIL /, ""));
        else this.totals.skipped++;
        break;
      }
      case "fixAll":
        for (const doc of this.docs.filter((d) => d.alive && d.label.startsWith("FAIL"))) {
          await this.setLabel(doc, doc.label.replace(/^FAIL /, ""));
        }
        break;
      case "delete": {
        const doc = this.choose(op.table, op.pick, () => true);
        if (!doc) {
          this.totals.skipped++;
          break;
        }
        await t.run(async (ctx) => {
          if (doc.table === "posts") await ctx.db.delete("posts", doc.id as Id<"posts">);
          else await ctx.db.delete("users", doc.id as Id<"users">);
        });
        doc.alive = false;
        break;
      }
      case "breakHandle": {
        const run = this.last.latest.find((s) => s.name === nameOf(op.mig));
        if (run?.state !== "running") {
          this.totals.skipped++;
          break;
        }
        // Where the run keeps its handle (only if it keeps it there: the engine may change).
        const broke = await runInComponent(t, async (ctx) => {
          const id = run.runId as ComponentId<"runs">;
          const stored = (await ctx.db.get(id)) as { fnHandle?: unknown } | null;
          if (typeof stored?.fnHandle !== "string") return false;
          await ctx.db.patch(id, { fnHandle: GONE });
          // A parallel run's slices each keep the handle too: a deploy removed it for all.
          const rows = (await ctx.db.query("runs").collect()) as unknown as {
            _id: ComponentId<"runs">;
            parent?: string;
          }[];
          for (const row of rows) {
            if (row.parent === id) await ctx.db.patch(row._id, { fnHandle: GONE });
          }
          return true;
        });
        if (broke) this.totals.handlesBroken++;
        else this.totals.skipped++;
        break;
      }
      case "loseJob": {
        // A pending job that drives a running run: its arguments name the run (or its
        // migration). A periodic monitor is not a run's driver: it is what must notice.
        const running = this.last.runs.filter((r) => r.state === "running");
        // A parallel run is driven by its slices' jobs, which name the slices.
        const sliceIds = await runInComponent(t, async (ctx) =>
          (await ctx.db.query("runs").collect())
            .filter((row) => running.some((r) => r.runId === (row as { parent?: string }).parent))
            .map((row) => row._id as string),
        );
        const keys = [...running.flatMap((r) => [r.runId, `"${r.name}"`]), ...sliceIds];
        const jobs = await runInComponent(t, async (ctx) =>
          (await ctx.db.system.query("_scheduled_functions").collect()).map((job) => ({
            id: job._id,
            fn: job.name,
            pending: job.state.kind === "pending",
            args: JSON.stringify(job.args),
          })),
        );
        const drivers = jobs.filter(
          (j) =>
            j.pending &&
            !/monitor|watchdog|sweep/i.test(j.fn) &&
            keys.some((key) => j.args.includes(key)),
        );
        const job = drivers[op.pick % Math.max(1, drivers.length)];
        if (!job) {
          this.totals.skipped++;
          break;
        }
        await runInComponent(t, async (ctx) => {
          await ctx.scheduler.cancel(job.id);
        });
        this.totals.jobsLost++;
        break;
      }
      case "advance": {
        const phase = this.rolloutOf(op.rollout).phase;
        const to = op.to === "next" ? PHASES[PHASES.indexOf(phase) + 1] : op.to;
        if (to === undefined) {
          this.totals.skipped++;
          break;
        }
        await this.command(
          t.mutation(mutation("advance"), { rollout: ROLLOUTS[op.rollout], to }),
          where,
        );
        break;
      }
      case "rollback":
      case "verify":
        await this.command(t.mutation(mutation(op.op), { rollout: ROLLOUTS[op.rollout] }), where);
        break;
      case "follow":
        await this.follow(op.rollout, where);
        break;
    }
    await this.observe(op, where);
    if (VERBOSE) console.log(`${where}\n  ${this.describe()}`);
  }

  /** One line of state, for MODEL_VERBOSE traces. */
  private describe(): string {
    const runs = this.last.latest.map(
      (s) =>
        `${migOf(s.name)}:${s.state}${s.mode === "retryFailed" ? "(retry)" : ""}` +
        `[${s.processed}${s.adaptive ? "" : `/${s.batchSize}`}]`,
    );
    const rollouts = this.last.rollouts.map((r) => `${r.name}:${r.phase}`);
    const ledger = [...this.last.ledger].map(([name, ids]) => `${migOf(name)}:${ids.size}`);
    return `${runs.join(" ")} | ${rollouts.join(" ")} | ledger ${ledger.join(" ")}`;
  }

  /** Does what the rollout's status says to do next, then lets the engine run. */
  private async follow(key: RolloutKey, where: string) {
    const gate = this.rolloutOf(key).next;
    if (gate === null) return;
    const parsed = /^npx convex run (\S+)(?: '(.*)')?(?: --watch)?$/.exec(gate.command);
    if (!parsed) {
      this.violation("stranded", `the hint "${gate.command}" is not a command`, where);
      return;
    }
    const [, fn, json] = parsed;
    if (!fn!.endsWith(":status")) {
      const args = json === undefined ? {} : (JSON.parse(json) as Record<string, unknown>);
      await this.command(this.t.mutation(makeFunctionReference<"mutation">(fn!), args), where);
    }
    await drain(this.t);
  }

  // -------------------------------------------------------------------------
  // The invariants after every step.

  private isStopper(op: Op, run: RunM): boolean {
    switch (op.op) {
      case "pause":
      case "cancel":
        return nameOf(op.mig) === run.name;
      case "cancelAll":
        return true;
      // Rolling back from backfill cancels the backfill; entering it cancels a fill run.
      case "rollback":
      case "advance":
        return run.name === FILL;
      default:
        return false;
    }
  }

  async observe(op: Op, where: string) {
    const now = await this.read();
    this.last = now;

    // The app's own writes are all there: nothing lost, nothing resurrected.
    for (const doc of this.docs) {
      const seen = now.docs.get(doc.id);
      if (doc.alive !== (seen !== undefined) || (seen && seen.label !== doc.label)) {
        this.violation(
          "app-write-lost",
          `${doc.table} ${doc.id} should be ${doc.alive ? `"${doc.label}"` : "deleted"}, is ${seen ? `"${seen.label}"` : "gone"}`,
          where,
        );
      }
    }
    if (now.docs.size !== this.docs.filter((d) => d.alive).length) {
      this.violation("app-write-lost", `a document appeared that the app did not write`, where);
    }

    // Runs: register new ones, follow their states.
    const runningByName = new Map<string, number>();
    for (const status of now.runs) {
      // A rollout's verify pass writes nothing: the rollout checks below cover it.
      if (status.mode === "verify" || status.state === "unknown") continue;
      let run = this.runs.get(status.runId);
      if (run === undefined) {
        const table = TABLE[migOf(status.name)];
        run = {
          id: status.runId,
          name: status.name,
          mode: status.mode,
          createdStep: this.step,
          pre: new Set([...this.aliveBefore].filter((id) => this.byId.get(id)!.table === table)),
          ledgerPre: new Set(this.ledgerBefore.get(status.name) ?? []),
          checked: false,
          state: status.state,
        };
        this.runs.set(run.id, run);
        this.totals.runs++;
        if (status.state === "paused" || status.state === "canceled") {
          run.stoppedBy = this.isStopper(op, run) ? status.state : undefined;
        }
      } else if (run.state !== status.state) {
        if (status.state === "paused" || status.state === "canceled") {
          run.stoppedBy = this.isStopper(op, run) ? status.state : undefined;
        } else if (status.state === "running") {
          run.stoppedBy = undefined;
        }
        run.state = status.state;
      }
      if (status.state === "running") {
        runningByName.set(status.name, (runningByName.get(status.name) ?? 0) + 1);
      }
    }
    for (const [name, count] of runningByName) {
      if (count > 1) this.violation("two-running", `${count} runs of ${name} are running`, where);
    }

    // Exactly once: no run ever migrated a document twice; every counter is a run's.
    for (const [id, doc] of now.docs) {
      for (const [runId, n] of Object.entries(doc.counters)) {
        const run = this.runs.get(runId);
        if (run === undefined) {
          this.violation(
            "unknown-run",
            `${doc.table} ${id} was migrated by no run (${runId})`,
            where,
          );
        } else if (n > 1) {
          this.violation(
            "exactly-once",
            `${doc.table} #${this.byId.get(id)!.pos} (${id}) was migrated ${n} times by run ${runId} of ${run.name} (${run.mode})`,
            where,
          );
        }
      }
    }

    for (const status of now.runs) {
      if (status.mode === "verify") continue;
      const run = this.runs.get(status.runId)!;
      if (status.state === "done" && !run.checked) {
        run.checked = true;
        this.totals.runsDone++;
        if (status.parallelism !== undefined) this.totals.parallelDone++;
        this.checkCoverage(run, now, where);
      } else if (status.state !== "done" && run.mode === "all") {
        this.checkCursor(run, status, now, where);
      }
    }

    // Rollouts: readNew and complete see no old shape, and were not entered over the ledger.
    for (const key of Object.keys(ROLLOUTS) as RolloutKey[]) {
      const rollout = this.rolloutOf(key);
      const before = this.phases.get(key) ?? "schema";
      this.phases.set(key, rollout.phase);
      if (rollout.phase !== "readNew" && rollout.phase !== "complete") continue;
      const old = [...now.docs].filter(([, d]) => d.table === "posts" && !d.newShape);
      if (old.length > 0) {
        this.violation(
          "old-shape",
          `${rollout.name} is in ${rollout.phase} but ${old.length} posts are in the old shape ` +
            `(first ${old[0]![0]}, "${old[0]![1].label}")`,
          where,
        );
      }
      if (before !== "readNew" && before !== "complete") {
        this.totals.readNew++;
        const held = [...(now.ledger.get(FILL) ?? [])].filter((id) => now.docs.has(id));
        if (held.length > 0) {
          this.violation(
            "ledger-gate",
            `${rollout.name} entered ${rollout.phase} while ${FILL}'s failure ledger holds ` +
              `${held.length} live posts (first ${held[0]})`,
            where,
          );
        }
      }
    }

    this.aliveBefore = new Set([...now.docs.keys()]);
    this.ledgerBefore = now.ledger;
  }

  /** A run that just finished: did it migrate its whole range exactly once? */
  private checkCoverage(run: RunM, now: Observed, where: string) {
    const ledger = now.ledger.get(run.name) ?? new Set<string>();
    const table = TABLE[migOf(run.name)];
    const what = `run ${run.id} of ${run.name} (${run.mode}, started at step ${run.createdStep}) is done, but`;
    for (const [id, doc] of now.docs) {
      if (doc.table !== table) continue;
      const model = this.byId.get(id)!;
      const n = doc.counters[run.id] ?? 0;
      const inRange = run.mode === "all" ? run.pre.has(id) : run.ledgerPre.has(id);
      const excused =
        wasFailing(model, run.createdStep, this.step) &&
        (ledger.has(id) || this.settledByLaterPass(run, id, now));
      if (run.mode === "retryFailed" && !inRange && n > 0) {
        this.violation("coverage", `${what} migrated ${id}, which was not in the ledger`, where);
      } else if (inRange && n === 0 && !excused) {
        this.violation(
          "coverage",
          `${what} never migrated ${table} #${model.pos} (${id}, "${model.label}")` +
            (ledger.has(id) ? ", which is in the ledger but was not failing" : ""),
          where,
        );
      } else if (n === 1 && ledger.has(id)) {
        // A retry clears what it converted; so does a full pass that finishes (intended).
        this.violation(
          "ledger-cleared",
          `${what} left ${id}, which it converted, in the failure ledger`,
          where,
        );
      }
    }
  }

  /**
   * A ledger entry is settled when a later full pass of the same migration
   * finishes: that pass converted the document (or recorded it again, and the
   * ledger then still holds it). Both runs may finish within one drain, so the
   * earlier run's entry can be gone by the time it is seen done.
   */
  private settledByLaterPass(run: RunM, id: string, now: Observed): boolean {
    const counters = now.docs.get(id)?.counters ?? {};
    return now.runs.some((status) => {
      const other = this.runs.get(status.runId);
      return (
        other !== undefined &&
        other !== run &&
        other.name === run.name &&
        other.mode === "all" &&
        other.createdStep >= run.createdStep &&
        status.state === "done" &&
        counters[other.id] === 1
      );
    });
  }

  /** A batch that failed committed nothing: nothing past the saved cursor carries the run's counter. */
  private checkCursor(run: RunM, status: MigrationStatus, now: Observed, where: string) {
    if (status.slices !== undefined) {
      // A parallel run: each live slice has its own cursor, over its own part of _creationTime.
      for (const slice of status.slices) {
        this.checkCursorIn(
          run,
          status,
          now,
          where,
          slice.cursor,
          (created) =>
            (slice.from === null || created >= slice.from) &&
            (slice.to === null || created < slice.to),
        );
      }
      return;
    }
    this.checkCursorIn(run, status, now, where, status.cursor, () => true);
  }

  private checkCursorIn(
    run: RunM,
    status: MigrationStatus,
    now: Observed,
    where: string,
    cursor: string | null,
    inRange: (created: number) => boolean,
  ) {
    const table = TABLE[migOf(run.name)];
    const at = cursorDocId(cursor, table);
    if (at === undefined) return;
    this.totals.cursorChecks++;
    const pos = at === null ? -1 : (this.byId.get(at)?.pos ?? Number.POSITIVE_INFINITY);
    for (const [id, doc] of now.docs) {
      const model = this.byId.get(id)!;
      if (doc.table !== table || model.pos <= pos || (doc.counters[run.id] ?? 0) === 0) continue;
      if (!inRange(doc.created)) continue;
      this.violation(
        "cursor",
        `run ${run.id} of ${run.name} (${status.state}) migrated ${table} #${model.pos} (${id}), ` +
          `past its saved cursor (#${pos})`,
        where,
      );
    }
  }

  /** After every timer ran: no run without a driver, none stopped by anything but a command. */
  checkNothingStuck(where: string) {
    for (const status of this.last.latest) {
      const run = this.runs.get(status.runId)!;
      const about = `${status.name} (run ${status.runId})`;
      if (status.state === "running") {
        this.violation("stuck", `${about} is still running with every timer run: no driver`, where);
      } else if (
        (status.state === "paused" || status.state === "canceled") &&
        run.stoppedBy !== status.state
      ) {
        this.violation(
          "lost-driver",
          `${about} shows ${status.state}, but no command ${status.state === "paused" ? "paused" : "canceled"} it ` +
            `(its scheduled batch vanished and nothing revived it)`,
          where,
        );
      } else if (status.state === "failed") {
        const broken = this.last.handles.get(status.runId) === GONE;
        if (status.failedDocumentId === undefined && !broken) {
          this.violation(
            "whole-batch",
            `${about} is failed by a batch that failed as a whole, not retried smaller: ${status.error}`,
            where,
          );
        }
      }
    }
    for (const rollout of this.last.rollouts) {
      if (rollout.verify?.state === "running") {
        this.violation(
          "stuck",
          `${rollout.name}'s verify pass is running with every timer run`,
          where,
        );
      }
    }
  }

  // -------------------------------------------------------------------------
  // Settling: fix the data, let the engine run, deploy again, retry ledgers, follow the hints.

  async settle() {
    await this.apply({ op: "fixAll" });
    await this.apply({ op: "drain" });
    this.checkNothingStuck(`settling, after the schedule (step ${this.step})`);
    for (let round = 0; ; round++) {
      const notDone = this.last.latest.filter((s) => s.state !== "done");
      const ledgers = MIGS.map(nameOf).filter((name) =>
        [...(this.last.ledger.get(name) ?? [])].some((id) => this.last.docs.has(id)),
      );
      if (notDone.length === 0 && ledgers.length === 0) break;
      if (round >= 8) {
        this.violation(
          "unfinished",
          `after ${round} deploys: ${notDone.map((s) => `${s.name} ${s.state} (${s.error ?? ""})`).join("; ")}` +
            (ledgers.length > 0 ? `; ledgers left: ${ledgers.join(", ")}` : ""),
          `settling (step ${this.step})`,
        );
        return;
      }
      // A deploy: every migration started again (refreshing its handle), then the ledgers.
      for (const status of notDone) {
        await this.apply({ op: "start", mig: migOf(status.name), via: "runner", opts: {} });
      }
      if (notDone.length === 0) {
        for (const name of ledgers) {
          const opts = { retryFailed: true };
          await this.apply({ op: "start", mig: migOf(name), via: "define", opts });
        }
      }
      await this.apply({ op: "drain" });
      this.checkNothingStuck(`settling, after deploy ${round + 1} (step ${this.step})`);
    }
    for (const key of Object.keys(ROLLOUTS) as RolloutKey[]) {
      for (let i = 0; ; i++) {
        const rollout = this.rolloutOf(key);
        if (rollout.phase === "readNew" || rollout.phase === "complete") break;
        if (i >= 20) {
          this.violation(
            "stranded",
            `following its hints did not bring ${rollout.name} to readNew: it is in ` +
              `${rollout.phase}, gate: ${rollout.next?.detail} (${rollout.next?.command})`,
            `settling (step ${this.step})`,
          );
          break;
        }
        await this.apply({ op: "follow", rollout: key });
      }
    }
    await this.apply({ op: "drain" });
    const where = `at the end (step ${this.step})`;
    this.checkNothingStuck(where);
    for (const status of this.last.latest) {
      if (status.state !== "done") {
        this.violation("unfinished", `${status.name} ended ${status.state}`, where);
      }
    }
  }
}

function describeSchedule({ ops, ...setting }: Schedule): string {
  const commands = ops.filter((op) => op !== null);
  const lines = commands.map((op, i) => `  step ${i + 1}: ${JSON.stringify(op)}`);
  return [`schedule ${JSON.stringify(setting)}:`, ...lines, "  then: settle"].join("\n");
}

test.for(PLANS)(
  `${MODELS.model.test} (seed $seed)`,
  { timeout: Math.max(300_000, totalRuns(PLANS) * 10_000) },
  async (plan, { skip }) => {
    if (plan.skip !== undefined) skip(plan.skip);
    console.log(`model: ${plan.numRuns} schedules, seed ${plan.seed} (replay: ${plan.replay})`);
    const totals: Totals = {
      schedules: 0,
      limited: 0,
      scheduled: 0,
      ops: 0,
      typedErrors: {},
      skipped: 0,
      runs: 0,
      runsDone: 0,
      parallelDone: 0,
      handlesBroken: 0,
      jobsLost: 0,
      readNew: 0,
      cursorChecks: 0,
      ignored: {},
      examples: {},
    };
    const started = realNow();
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (schedule) => {
        // Timers a failed schedule left behind belong to a convex-test instance that is gone.
        vi.clearAllTimers();
        totals.schedules++;
        if (schedule.limited) totals.limited++;
        totals.scheduled += schedule.ops.filter((op) => op !== null).length;
        const h = new Harness(setup(schedule.limited ? LIMITS : undefined), schedule, totals);
        try {
          await h.seed();
          for (const op of schedule.ops) if (op !== null) await h.apply(op);
          await h.settle();
        } catch (error) {
          // The schedule, one command a line, numbered as the steps are.
          if (error instanceof Error) error.message += `\n${describeSchedule(schedule)}`;
          throw error;
        }
      }),
      {
        seed: plan.seed,
        numRuns: plan.numRuns,
        endOnFailure: !SHRINK,
        ...(plan.path !== undefined ? { path: plan.path } : {}),
      },
    );
    const { examples, ...counts } = totals;
    console.log(
      `model: ${JSON.stringify(counts)} in ${Math.round((realNow() - started) / 1000)} s`,
    );
    for (const [kind, message] of Object.entries(examples)) {
      console.log(`model: first ${kind} violation (counted, MODEL_IGNORE): ${message}`);
    }
    expect(totals.runsDone).toBeGreaterThan(0);
    expect(totals.parallelDone).toBeGreaterThan(0);
  },
);
