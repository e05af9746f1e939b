/**
 * "Prove it loses nothing": random schedules of starts, batches, cancels,
 * pauses, resumes, resets, concurrent starts, redeploys, dry runs, injected
 * failures and app writes over a seeded posts table, checked against a small
 * reference model of the engine.
 *
 * The model predicts, command by command, the state of the latest run of
 * `testing:bump` (which increments each post's wordCount) and which posts each
 * batch touches: a batch of size `n` takes the next `n` live posts after the
 * run's cursor in creation order; with onError "stop" a batch holding a post
 * titled "FAIL…" commits nothing. After each schedule is driven to completion
 * (failures fixed, the run resumed until done, the failure ledger retried), every
 * post's bump count, title and body must equal the model's, and the model's own
 * bookkeeping must show that every completed run bumped every post in its range
 * exactly once.
 *
 * Replay a failure with the seed it prints: `FC_SEED=123 npx vitest run test/properties.test.ts`
 * (and `FC_PATH=…` from the failure message to jump straight to the shrunk case).
 * `FC_RUNS=500` runs more schedules.
 */
import fc from "fast-check";
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import type { Id } from "../example/convex/_generated/dataModel.js";
import {
  isRolloutError,
  type DryRunReport,
  type MigrationStatus,
  type RunState,
  type StartResult,
} from "../src/client/index.js";
import { fn, ref } from "./fixtures/faults.js";
import {
  cursorDocId,
  bumpCounts,
  drain,
  runScheduledOnce,
  seedPosts,
  setup,
  snapshot,
  type T,
} from "./harness.js";
import { MODELS, seedPlans, totalRuns } from "./seeds.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const NAME = "testing:bump";
const bump = ref("bump");

/** The fixed seeds of `test/seeds.ts` (or `FC_SEED`, `FC_RUNS`, `FC_PATH` to replay one). */
const PLANS = seedPlans("properties");

// ---------------------------------------------------------------------------
// The commands of a schedule, as plain data so a counterexample prints readably.

type StartOptions = {
  batchSize?: number;
  onError?: "stop" | "skip";
  reset?: boolean;
  retryFailed?: boolean;
};
/** Picks a post: `near` prefers the posts just after the run's cursor (the next batch). */
type Target = { pick: number; near: boolean };

type Op =
  | { op: "batch"; times: number }
  | { op: "start"; via: "define" | "runner"; opts: StartOptions }
  | { op: "startTwice"; opts: StartOptions }
  | { op: "startAtCursor"; batchSize?: number }
  | { op: "runOne" }
  | { op: "runToCompletion"; batchSize: number }
  | { op: "cancel"; via: "verb" | "server" }
  | { op: "pause" }
  | { op: "resume" }
  | { op: "dryRun"; maxBatches: number; batchSize?: number; reset?: boolean }
  | { op: "plan"; maxBatches?: number; batchSize?: number }
  | { op: "insert"; count: number; failing: boolean }
  | ({ op: "patchBody" } & Target)
  | ({ op: "injectFailure" } & Target)
  | ({ op: "fix" } & Target)
  | { op: "fixAll" }
  | ({ op: "delete" } & Target);

const batchSizeArb = fc.integer({ min: 1, max: 150 });
const pickArb = { pick: fc.nat(1_000_000), near: fc.boolean() };
/** Present in about `percent`% of the values. */
const sometimes = <V>(percent: number, arb: fc.Arbitrary<V>): fc.Arbitrary<V | undefined> =>
  fc.oneof(
    { weight: percent, arbitrary: arb },
    { weight: 100 - percent, arbitrary: fc.constant(undefined) },
  );
const startOptsArb: fc.Arbitrary<StartOptions> = fc
  .record({
    batchSize: sometimes(50, batchSizeArb),
    onError: sometimes(40, fc.constantFrom("stop" as const, "skip" as const)),
    reset: sometimes(15, fc.constant(true as const)),
    retryFailed: sometimes(10, fc.constant(true as const)),
  })
  .map((opts) => {
    // Leave absent options out, so counterexamples print short.
    const defined: StartOptions = {};
    for (const [key, value] of Object.entries(opts)) {
      if (value !== undefined) (defined as Record<string, unknown>)[key] = value;
    }
    return defined;
  });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ op: fc.constant("batch"), times: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("start"),
      via: fc.constantFrom("define" as const, "runner" as const),
      opts: startOptsArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("startTwice"), opts: startOptsArb }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { op: fc.constant("startAtCursor"), batchSize: batchSizeArb },
      { requiredKeys: ["op"] },
    ),
  },
  // From server code: runOne (a mutation), runToCompletion (an action driving every batch).
  { weight: 1, arbitrary: fc.record({ op: fc.constant("runOne") }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("runToCompletion"),
      batchSize: fc.integer({ min: 20, max: 150 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("cancel"),
      via: fc.constantFrom("verb" as const, "server" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("pause") }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("resume") }) },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        op: fc.constant("dryRun"),
        maxBatches: fc.integer({ min: 1, max: 4 }),
        batchSize: batchSizeArb,
        reset: fc.constant(true),
      },
      { requiredKeys: ["op", "maxBatches"] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        op: fc.constant("plan"),
        maxBatches: fc.integer({ min: 1, max: 3 }),
        batchSize: fc.integer({ min: 20, max: 150 }),
      },
      { requiredKeys: ["op"] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("insert"),
      count: fc.integer({ min: 1, max: 5 }),
      failing: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("patchBody"), ...pickArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("injectFailure"),
      pick: fc.nat(1_000_000),
      // Mostly into the next batch, where it makes a batch fail.
      near: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("fix"), ...pickArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("fixAll") }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete"), ...pickArb }) },
);

const scheduleArb = fc.record({
  size: fc.integer({ min: 100, max: 400 }),
  failingAtSeed: fc.uniqueArray(fc.nat(399), { maxLength: 3 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 40, size: "max" }),
});
type Schedule = typeof scheduleArb extends fc.Arbitrary<infer S> ? S : never;

// ---------------------------------------------------------------------------
// The reference model.

type DocM = {
  id: string;
  /** Creation order: the default range is ordered by _creationTime. */
  pos: number;
  title: string;
  body: string;
  alive: boolean;
  /** How often migrateOne ran on it (its wordCount). */
  count: number;
  /** Times each run (by key) applied migrateOne to it. */
  byRun: Map<number, number>;
  /** The model's clock when the app inserted it. */
  bornAt: number;
};

type RunM = {
  key: number;
  mode: "all" | "retryFailed";
  state: RunState;
  isDone: boolean;
  /** Main pass: position of the last post a committed batch took; -1 before the first. */
  cursorPos: number;
  /** Where the run started, for its range. */
  startPos: number;
  /** Retry pass: the last ledger id taken. */
  ledgerAfter: string | null;
  adaptive: boolean;
  /** The batch size when not adaptive. */
  fixed: number | null;
  onError: "stop" | "skip";
  processed: number;
  batches: number;
  failed: number;
  failedDocumentId?: string;
  /** Posts this run recorded in the ledger instead of migrating. */
  skipped: Set<string>;
  /** The ledger pass it belongs to; a full pass starts a new one. */
  pass: number;
  fullPass: boolean;
  /** The model's clock when the run finished its pass. */
  doneAt?: number;
};

class Model {
  docs: DocM[] = [];
  byId = new Map<string, DocM>();
  run: RunM | null = null;
  runs: RunM[] = [];
  /**
   * The failure ledger of testing:bump: post id → the pass that recorded it.
   * Entries from before the latest finished full pass are settled (that pass
   * converted the post or recorded it again): never retried, deleted when met.
   */
  ledger = new Map<string, number>();
  passes = 0;
  clearedPass = 0;

  /** Ledger entries still failing. */
  unsettled(): string[] {
    return [...this.ledger].filter(([, pass]) => pass >= this.clearedPass).map(([id]) => id);
  }
  /** Counts commands, to order inserts and the ends of runs. */
  clock = 0;

  add(id: string, title: string, body: string): DocM {
    const doc: DocM = {
      id,
      pos: this.docs.length,
      title,
      body,
      alive: true,
      count: 0,
      byRun: new Map(),
      bornAt: this.clock,
    };
    this.docs.push(doc);
    this.byId.set(id, doc);
    return doc;
  }

  alive(): DocM[] {
    return this.docs.filter((d) => d.alive);
  }

  /** The live posts a main pass has yet to take. */
  ahead(run: RunM): DocM[] {
    return this.docs.filter((d) => d.alive && d.pos > run.cursorPos);
  }

  /** What starting the migration with these options does, per start.ts. */
  predictStart(
    opts: StartOptions & { cursorPos?: number },
  ):
    | { kind: "error"; error: string }
    | { kind: "noop" }
    | { kind: "new"; mode: RunM["mode"]; startPos: number }
    | { kind: "resume" } {
    const live = this.run;
    const retry = opts.retryFailed === true;
    // Gone over the range: a full pass finished, or the latest run is a finished pass.
    const passed =
      (live?.isDone === true && live.mode === "all") ||
      this.runs.some((r) => r.fullPass && r.isDone);
    // A retry needs a pass to have filled the ledger: never before the first one finishes.
    if (retry && (live === null || (!live.isDone && live.mode === "all") || !passed)) {
      return { kind: "error", error: "InvalidArgument" };
    }
    const resumable = live !== null && !(retry && (live.mode === "all" || live.isDone));
    const fresh = !resumable || opts.reset === true || opts.cursorPos !== undefined;
    if (live?.state === "running") return { kind: "noop" };
    if (!fresh && live.isDone && passed) return { kind: "noop" };
    if (!fresh && live.isDone) return { kind: "new", mode: "all", startPos: -1 };
    if (fresh) {
      return { kind: "new", mode: retry ? "retryFailed" : "all", startPos: opts.cursorPos ?? -1 };
    }
    return { kind: "resume" };
  }

  applyStart(opts: StartOptions & { cursorPos?: number }): ReturnType<Model["predictStart"]> {
    const prediction = this.predictStart(opts);
    if (prediction.kind === "new") {
      const fullPass = prediction.mode === "all" && prediction.startPos < 0;
      if (fullPass) this.passes++;
      const run: RunM = {
        pass: this.passes,
        fullPass,
        key: this.runs.length,
        mode: prediction.mode,
        state: "running",
        isDone: false,
        cursorPos: prediction.startPos,
        startPos: prediction.startPos,
        ledgerAfter: null,
        adaptive: opts.batchSize === undefined,
        fixed: opts.batchSize ?? null,
        onError: opts.onError ?? "stop",
        processed: 0,
        batches: 0,
        failed: 0,
        skipped: new Set(),
      };
      this.runs.push(run);
      this.run = run;
    } else if (prediction.kind === "resume") {
      this.resume(opts);
    }
    return prediction;
  }

  resume(opts: StartOptions) {
    const run = this.run!;
    run.state = "running";
    run.adaptive = opts.batchSize === undefined && run.adaptive;
    if (opts.batchSize !== undefined) run.fixed = opts.batchSize;
    run.onError = opts.onError ?? run.onError;
    run.failedDocumentId = undefined;
  }

  /** One scheduled batch of the latest run, of `size` documents. */
  batch(size: number): { committed: boolean; took: DocM[] } {
    const run = this.run;
    if (run?.state !== "running") return { committed: false, took: [] };
    return run.mode === "all" ? this.mainBatch(run, size) : this.retryBatch(run, size);
  }

  private mainBatch(run: RunM, size: number) {
    const ahead = this.ahead(run);
    const page = ahead.slice(0, size);
    const failing = page.filter(isFailing);
    if (run.onError === "stop" && failing.length > 0) {
      run.state = "failed";
      run.failedDocumentId = failing[0]!.id;
      return { committed: false, took: page };
    }
    for (const doc of page) {
      if (isFailing(doc)) {
        run.skipped.add(doc.id);
        if (!this.ledger.has(doc.id)) run.failed++;
        this.ledger.set(doc.id, run.pass);
      } else {
        this.migrate(run, doc);
      }
    }
    run.processed += page.length;
    run.batches++;
    if (page.length > 0) run.cursorPos = page.at(-1)!.pos;
    // convex-test answers isDone with the page that reaches the end of the range.
    if (ahead.length <= size) {
      run.state = "done";
      run.isDone = true;
      run.doneAt = this.clock;
      if (run.fullPass) this.clearedPass = Math.max(this.clearedPass, run.pass);
    }
    return { committed: true, took: page };
  }

  private retryBatch(run: RunM, size: number) {
    const after = run.ledgerAfter;
    const ids = [...this.ledger.keys()].sort().filter((id) => after === null || id > after);
    const page = ids.slice(0, size);
    let retried = 0;
    for (const id of page) {
      const doc = this.byId.get(id)!;
      if (this.ledger.get(id)! < this.clearedPass) {
        // Settled by a later full pass: deleted, not retried.
        this.ledger.delete(id);
        continue;
      }
      retried++;
      if (!doc.alive) {
        this.ledger.delete(id);
      } else if (isFailing(doc)) {
        run.failed++;
      } else {
        this.migrate(run, doc);
        this.ledger.delete(id);
      }
    }
    run.processed += retried;
    run.batches++;
    run.ledgerAfter = page.at(-1) ?? after;
    if (page.length < size) {
      run.state = "done";
      run.isDone = true;
      run.doneAt = this.clock;
    }
    return { committed: true, took: page.map((id) => this.byId.get(id)!) };
  }

  private migrate(run: RunM, doc: DocM) {
    doc.count++;
    doc.byRun.set(run.key, (doc.byRun.get(run.key) ?? 0) + 1);
  }
}

function isFailing(doc: Pick<DocM, "title">): boolean {
  return doc.title.startsWith("FAIL");
}

// ---------------------------------------------------------------------------
// Driving the real thing beside the model.

/** A read of status, kept while nothing runs: reading it again would answer the same. */
type Seen = { status: MigrationStatus | undefined };

class Harness {
  model = new Model();
  step = 0;
  counts = { batches: 0, failedBatches: 0, dryRuns: 0, runs: 0 };
  private authorId!: Id<"users">;
  /**
   * The status the last check read. Nothing runs between one command's check and the next
   * command, so that command's first read of status is this same answer: taken, not read again.
   */
  private checked: Seen | undefined;

  constructor(
    readonly t: T,
    readonly schedule: Schedule,
  ) {}

  async seed() {
    const { size, failingAtSeed } = this.schedule;
    const failing = new Set(failingAtSeed.filter((i) => i < size));
    const title = (i: number) => (failing.has(i) ? `FAIL seed ${i}` : `Post ${i}`);
    const body = (i: number) => `word `.repeat(i % 7);
    const ids = await seedPosts(this.t, size, title, body);
    ids.forEach((id, i) => this.model.add(id, title(i), body(i)));
    this.authorId = await this.t.run(async (ctx) => (await ctx.db.query("users").first())!._id);
  }

  /** The harness's snapshot, plus the failure ledger and the scheduled jobs. */
  async everything() {
    const withComponents = this.t as T & {
      runInComponent: <R>(
        path: string,
        fn: (ctx: GenericMutationCtx<GenericDataModel>) => Promise<R>,
      ) => Promise<R>;
    };
    const rest = await withComponents.runInComponent("rollouts", async (ctx) => ({
      failures: await ctx.db.query("failures").collect(),
      scheduled: await ctx.db.system.query("_scheduled_functions").collect(),
    }));
    return { ...(await snapshot(this.t)), ...rest };
  }

  async status(): Promise<MigrationStatus | undefined> {
    const { migrations } = await this.t.query(internal.migrations.status, { names: [NAME] });
    // Asked by name, status answers "unknown" for one that never ran.
    return migrations.find((m) => m.state !== "unknown");
  }

  /** The component's status of the latest run agrees with the model's (`seen`, if just read). */
  async check(where: string, seen?: Seen): Promise<MigrationStatus | undefined> {
    const status = seen ? seen.status : await this.status();
    const run = this.model.run;
    if (run === null) {
      expect(status, where).toBeUndefined();
      return status;
    }
    expect(status, where).toBeDefined();
    expect(
      {
        state: status!.state,
        mode: status!.mode,
        isDone: status!.isDone,
        processed: status!.processed,
        batches: status!.batches,
        onError: status!.onError,
        adaptive: status!.adaptive,
      },
      where,
    ).toEqual({
      state: run.state,
      mode: run.mode,
      isDone: run.isDone,
      processed: run.processed,
      batches: run.batches,
      onError: run.onError,
      adaptive: run.adaptive,
    });
    if (run.mode === "retryFailed") expect(status!.failed, where).toBe(run.failed);
    else {
      // A main pass counts the posts it newly put in the ledger; a post it skipped that
      // was in the ledger already is not counted (see the known bug at the end of this
      // file), so its count lies between the two.
      expect(status!.failed, where).toBeGreaterThanOrEqual(run.failed);
      expect(status!.failed, where).toBeLessThanOrEqual(run.skipped.size);
    }
    if (!run.adaptive && run.mode === "all") expect(status!.batchSize, where).toBe(run.fixed);
    if (run.state === "failed") expect(status!.failedDocumentId, where).toBe(run.failedDocumentId);
    if (run.mode === "all" && !run.isDone) {
      // The saved cursor is exactly after the last post a committed batch took.
      const expected = run.cursorPos < 0 ? null : this.model.docs[run.cursorPos]!.id;
      if (expected === null) expect(status!.cursor, where).toBeNull();
      else {
        const decoded = cursorDocId(status!.cursor, "posts") ?? undefined;
        if (decoded !== undefined) expect(decoded, where).toBe(expected);
      }
    }
    return status;
  }

  private argsOf(opts: StartOptions, extra: Record<string, unknown> = {}) {
    const args: Record<string, unknown> = { ...extra };
    for (const [key, value] of Object.entries(opts)) if (value !== undefined) args[key] = value;
    return args;
  }

  private async callStart(
    via: "define" | "runner",
    args: Record<string, unknown>,
  ): Promise<unknown> {
    return via === "define"
      ? await this.t.mutation(bump, args)
      : await this.t.mutation(internal.migrations.run, { fn: NAME, ...args });
  }

  private async expectError(call: Promise<unknown>, kind: string, where: string) {
    const error = await call.then(
      () => new Error(`${where}: expected a ${kind} error, but the call succeeded`),
      (e: unknown) => e,
    );
    if (!isRolloutError(error)) throw error;
    expect(error.data.kind, where).toBe(kind);
  }

  async start(via: "define" | "runner", opts: StartOptions, where: string, cursor?: string) {
    const cursorPos = cursor === undefined ? undefined : this.model.run!.cursorPos;
    const prediction = this.model.predictStart({ ...opts, cursorPos });
    const call = this.callStart(via, this.argsOf(opts, cursor === undefined ? {} : { cursor }));
    if (prediction.kind === "error") {
      await this.expectError(call, prediction.error, where);
      return;
    }
    const result = (await call) as StartResult;
    this.model.applyStart({ ...opts, cursorPos });
    if (prediction.kind === "new") this.counts.runs++;
    expect(result.started, where).toBe(prediction.kind !== "noop");
    if (prediction.kind === "new" && cursor !== undefined)
      expect(result.status.cursor).toBe(cursor);
  }

  /** Two starts at once (a deploy's runner and a person): at most one starts anything. */
  async startTwice(opts: StartOptions, where: string) {
    const prediction = this.model.predictStart(opts);
    const calls = [
      this.callStart("define", this.argsOf(opts)),
      this.callStart("runner", this.argsOf(opts)),
    ];
    if (prediction.kind === "error") {
      for (const call of calls) await this.expectError(call, prediction.error, where);
      return;
    }
    const results = (await Promise.all(calls)) as StartResult[];
    this.model.applyStart(opts);
    if (prediction.kind === "new") this.counts.runs++;
    const started = results.filter((r) => r.started).length;
    expect(started, where).toBe(prediction.kind === "noop" ? 0 : 1);
  }

  /**
   * runToCompletion from an action: starts (or resumes) the run unscheduled and
   * runs every batch in turn until it is done or fails. A run already going on
   * the scheduler is left to it.
   */
  async runToCompletion(batchSize: number, where: string) {
    const prediction = this.model.predictStart({ batchSize });
    const status = (await this.t.action(fn("action", "complete"), {
      batchSize,
    })) as MigrationStatus;
    this.model.applyStart({ batchSize });
    if (prediction.kind === "new") this.counts.runs++;
    if (prediction.kind === "new" || prediction.kind === "resume") {
      while (this.model.run!.state === "running") {
        if (this.model.batch(batchSize).committed) this.counts.batches++;
        else this.counts.failedBatches++;
      }
    }
    expect(status.state, where).toBe(this.model.run!.state);
  }

  /**
   * One round of scheduled batches; `seen` is the status as it stands, if already read.
   * Answers the status after the round, if it read it.
   */
  async batch(where: string, seen?: Seen): Promise<Seen | undefined> {
    const before = seen ? seen.status : await this.status();
    const run = this.model.run;
    const size = before?.batchSize ?? 0;
    const result = this.model.batch(size);
    await runScheduledOnce(this.t);
    if (run !== null && !result.committed && run.state === "failed" && result.took.length > 0) {
      // A failed batch commits nothing: the saved cursor is the last committed batch's.
      this.counts.failedBatches++;
      const after = await this.status();
      expect(after!.cursor, where).toBe(before!.cursor);
      expect(after!.processed, where).toBe(before!.processed);
      return { status: after };
    } else if (result.committed) {
      this.counts.batches++;
    }
    return undefined;
  }

  async verb(name: "cancel" | "pause" | "resume", via: "verb" | "server", where: string) {
    const call =
      name === "cancel" && via === "server"
        ? this.t.mutation(fn("mutation", "cancel"), { name: NAME })
        : name === "cancel"
          ? this.t.mutation(internal.migrations.cancel, { name: NAME })
          : this.t.mutation(fn("mutation", name), { name: NAME });
    const run = this.model.run;
    if (run === null) {
      await this.expectError(call, "UnknownMigration", where);
      return;
    }
    const status = (await call) as MigrationStatus;
    if (name === "cancel" && (run.state === "running" || run.state === "paused")) {
      run.state = "canceled";
    } else if (name === "pause" && run.state === "running") {
      run.state = "paused";
    } else if (name === "resume" && run.state !== "running" && run.state !== "done") {
      this.model.resume({});
    }
    expect(status.state, where).toBe(run.state);
  }

  /** A dry run anywhere: its report matches the model, and nothing changes. */
  async dryRun(op: Extract<Op, { op: "dryRun" | "plan" }>, where: string, checked?: Seen) {
    this.counts.dryRuns++;
    const before = await this.everything();
    const status = checked ? checked.status : await this.status();
    const run = this.model.run;
    const resumable =
      run !== null && !run.isDone && run.mode === "all" && !("reset" in op && op.reset);
    const fromPos = resumable ? run.cursorPos : -1;
    const size = op.batchSize ?? (resumable ? status!.batchSize : 100);
    let report: DryRunReport;
    if (op.op === "dryRun") {
      const args = this.argsOf({ batchSize: op.batchSize, reset: op.reset }, { dryRun: true });
      report = (await this.t.mutation(bump, {
        ...args,
        maxBatches: op.maxBatches,
      })) as DryRunReport;
      expect(report.batches, where).toBeLessThanOrEqual(op.maxBatches);
    } else {
      const args = this.argsOf({ batchSize: op.batchSize }, { fn: NAME });
      if (op.maxBatches !== undefined) args.maxBatches = op.maxBatches;
      report = (await this.t.action(fn("action", "plan"), args)) as DryRunReport;
      if (op.maxBatches !== undefined)
        expect(report.batches, where).toBeLessThanOrEqual(op.maxBatches);
    }
    expect(await this.everything(), `${where}: the dry run changed something`).toEqual(before);
    // What it examined: the next batches from where the run would resume.
    const ahead = this.model.docs.filter((d) => d.alive && d.pos > fromPos);
    let examined = 0;
    let wouldFail = 0;
    let isDone = false;
    let batches = 0;
    while (batches < report.batches && !isDone) {
      const page = ahead.slice(examined, examined + size);
      wouldFail += page.filter(isFailing).length;
      isDone = ahead.length - examined <= size;
      examined += page.length;
      batches++;
    }
    expect(
      {
        examined: report.examined,
        wouldFail: report.wouldFail,
        isDone: report.isDone,
        batches: report.batches,
      },
      where,
    ).toEqual({ examined, wouldFail, isDone, batches });
    expect(report.wouldChange, where).toBe(examined - wouldFail);
    // It stops at the end of the range, at maxBatches, or early to stay inside its limits.
    const maxBatches = op.maxBatches ?? Number.POSITIVE_INFINITY;
    if (!report.isDone) {
      expect(report.batches === maxBatches || report.stoppedEarly, where).toBe(true);
    }
  }

  /** A post chosen by `pick` among `candidates`; `near` prefers the next batch's posts. */
  private choose(p: Target, candidates: (d: DocM) => boolean): DocM | undefined {
    const run = this.model.run;
    let pool = this.model.alive().filter(candidates);
    if (p.near && run?.mode === "all" && !run.isDone) {
      const ahead = pool.filter((d) => d.pos > run.cursorPos).slice(0, 150);
      if (ahead.length > 0) pool = ahead;
    }
    return pool.length === 0 ? undefined : pool[p.pick % pool.length];
  }

  private async setTitle(doc: DocM, title: string) {
    await this.t.run(async (ctx) => {
      await ctx.db.patch("posts", doc.id as Id<"posts">, { title });
    });
    doc.title = title;
  }

  async apply(op: Op) {
    this.step++;
    this.model.clock++;
    const where = `step ${this.step}: ${JSON.stringify(op)}`;
    const checked = this.checked;
    this.checked = undefined;
    /** The status as the command left it, if its last read was after everything it ran. */
    let seen: Seen | undefined;
    switch (op.op) {
      case "batch":
        seen = checked;
        for (let i = 0; i < op.times; i++) seen = await this.batch(where, seen);
        break;
      case "start":
        await this.start(op.via, op.opts, where);
        break;
      case "startTwice":
        await this.startTwice(op.opts, where);
        break;
      case "startAtCursor": {
        // A new run from the cursor status shows (only where the latest run has one).
        const run = this.model.run;
        const status = checked ? checked.status : await this.status();
        if (run?.mode !== "all" || run.isDone || status?.cursor == null) break;
        await this.start("define", { batchSize: op.batchSize }, where, status.cursor);
        break;
      }
      case "runOne": {
        const prediction = this.model.predictStart({});
        const result = (await this.t.mutation(fn("mutation", "runOne"), {})) as StartResult;
        this.model.applyStart({});
        if (prediction.kind === "new") this.counts.runs++;
        expect(result.started, where).toBe(prediction.kind !== "noop");
        break;
      }
      case "runToCompletion":
        await this.runToCompletion(op.batchSize, where);
        break;
      case "cancel":
        await this.verb("cancel", op.via, where);
        break;
      case "pause":
      case "resume":
        await this.verb(op.op, "verb", where);
        break;
      case "dryRun":
      case "plan":
        await this.dryRun(op, where, checked);
        break;
      case "insert": {
        const made = await this.t.run(async (ctx) => {
          const ids: string[] = [];
          for (let i = 0; i < op.count; i++) {
            const n = this.model.docs.length + i;
            const title = op.failing && i === 0 ? `FAIL new ${n}` : `New ${n}`;
            const post = { authorId: this.authorId, title, body: `app wrote ${n}` };
            ids.push(await ctx.db.insert("posts", post));
          }
          return ids;
        });
        made.forEach((id, i) => {
          const n = this.model.docs.length;
          this.model.add(
            id,
            op.failing && i === 0 ? `FAIL new ${n}` : `New ${n}`,
            `app wrote ${n}`,
          );
        });
        break;
      }
      case "patchBody": {
        const doc = this.choose(op, () => true);
        if (doc === undefined) break;
        const body = `app edited at step ${this.step}`;
        await this.t.run(async (ctx) => {
          await ctx.db.patch("posts", doc.id as Id<"posts">, { body });
        });
        doc.body = body;
        break;
      }
      case "injectFailure": {
        const doc = this.choose(op, (d) => !isFailing(d));
        if (doc !== undefined) await this.setTitle(doc, `FAIL injected at step ${this.step}`);
        break;
      }
      case "fix": {
        const doc = this.choose(op, isFailing);
        if (doc !== undefined) await this.setTitle(doc, `Fixed at step ${this.step}`);
        break;
      }
      case "fixAll":
        for (const doc of this.model.alive().filter(isFailing)) {
          await this.setTitle(doc, `Fixed at step ${this.step}`);
        }
        break;
      case "delete": {
        const doc = this.choose(op, () => true);
        if (doc === undefined) break;
        await this.t.run(async (ctx) => {
          await ctx.db.delete("posts", doc.id as Id<"posts">);
        });
        doc.alive = false;
        break;
      }
    }
    this.checked = { status: await this.check(where, seen) };
  }

  /** Fixes every failure and drives the run (and a retry of its ledger) to the end. */
  async finish() {
    await this.apply({ op: "fixAll" });
    for (let i = 0; ; i++) {
      expect(i, "the run did not finish").toBeLessThan(500);
      const run = this.model.run;
      if (run === null) await this.apply({ op: "start", via: "define", opts: {} });
      else if (run.state === "running") await this.apply({ op: "batch", times: 1 });
      else if (run.state !== "done") await this.apply({ op: "start", via: "runner", opts: {} });
      else if (this.model.unsettled().length > 0) {
        await this.apply({ op: "start", via: "define", opts: { retryFailed: true } });
      } else if (!this.model.runs.some((r) => r.mode === "all" && r.isDone && r.startPos < 0)) {
        // At least one full pass over the range.
        await this.apply({ op: "start", via: "define", opts: { reset: true } });
      } else break;
    }
    // Nothing is left scheduled that would still change anything.
    const before = await snapshot(this.t);
    await drain(this.t);
    expect(await snapshot(this.t), "a leftover scheduled batch changed something").toEqual(before);
  }

  /** The app's documents against the model, and the model's own per-run bookkeeping. */
  async verify() {
    const posts = await this.t.run(async (ctx) => await ctx.db.query("posts").collect());
    const alive = this.model.alive();
    // Nothing lost, nothing resurrected.
    expect(posts.map((p) => p._id as string).sort()).toEqual(alive.map((d) => d.id).sort());
    const actual = new Map(posts.map((p) => [p._id as string, p]));
    for (const doc of alive) {
      const post = actual.get(doc.id)!;
      // migrateOne ran as often as the model says: no post skipped, none twice.
      // The app's own writes (titles, bodies, inserts) were not overwritten.
      expect(
        { id: doc.id, count: post.wordCount ?? 0, title: post.title, body: post.body },
        `post #${doc.pos}`,
      ).toEqual({ id: doc.id, count: doc.count, title: doc.title, body: doc.body });
    }
    for (const run of this.model.runs) {
      for (const doc of this.model.docs) {
        // No run applies migrateOne to a post twice.
        expect(doc.byRun.get(run.key) ?? 0).toBeLessThanOrEqual(1);
      }
    }
    // The last full pass applied migrateOne exactly once to every live post that
    // existed before it finished (those inserted during it too); posts it recorded as
    // failing were retried from the ledger afterwards. Posts inserted after it are not its.
    const last = this.model.runs
      .filter((r) => r.mode === "all" && r.isDone && r.startPos < 0)
      .at(-1)!;
    const retries = this.model.runs.filter((r) => r.mode === "retryFailed" && r.key > last.key);
    for (const doc of alive) {
      const byLast = doc.byRun.get(last.key) ?? 0;
      const byRetry = retries.reduce((n, r) => n + (doc.byRun.get(r.key) ?? 0), 0);
      const expected = doc.bornAt < last.doneAt! ? 1 : 0;
      expect(byLast + (last.skipped.has(doc.id) ? byRetry : 0), `post #${doc.pos}`).toBe(expected);
    }
    expect(this.model.unsettled()).toEqual([]);
  }
}

test.for(PLANS)(
  `${MODELS.properties.test} (seed $seed)`,
  { timeout: Math.max(240_000, totalRuns(PLANS) * 3_000) },
  async (plan, { skip }) => {
    if (plan.skip !== undefined) skip(plan.skip);
    console.log(
      `properties: ${plan.numRuns} schedules, seed ${plan.seed} (replay: ${plan.replay})`,
    );
    const totals = { batches: 0, failedBatches: 0, dryRuns: 0, runs: 0, ops: 0 };
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (schedule) => {
        const h = new Harness(setup(), schedule);
        await h.seed();
        for (const op of schedule.ops) await h.apply(op);
        await h.finish();
        await h.verify();
        for (const key of Object.keys(h.counts) as (keyof Harness["counts"])[]) {
          totals[key] += h.counts[key];
        }
        totals.ops += schedule.ops.length;
      }),
      {
        seed: plan.seed,
        numRuns: plan.numRuns,
        ...(plan.path !== undefined ? { path: plan.path } : {}),
      },
    );
    console.log(`properties: ${JSON.stringify(totals)} over all schedules (with shrinking)`);
  },
);

test("the model reads convex-test's cursors (if this fails, update cursorDocId)", async () => {
  const t = setup();
  const ids = await seedPosts(t, 30);
  await t.mutation(bump, { batchSize: 10 });
  await runScheduledOnce(t);
  const { migrations } = await t.query(internal.migrations.status, { names: [NAME] });
  expect(cursorDocId(migrations[0]!.cursor, "posts")).toBe(ids[9]);
});

describe("found by the properties, and fixed", () => {
  // Was a bug (src/component/batch.ts, executeBatch; src/component/ledger.ts, recordFailures):
  // a main pass with onError "skip" counts in `failed` only the documents that were
  // not in the failure ledger already. A document an earlier run recorded, that fails
  // again in this run, is skipped without being counted: the run ends "done" with
  // failed 0 and failures [] although it did not migrate that document.
  // Fixed: add `failures.length` (the documents this batch skipped) to
  // run.failed for main passes, and keep recordFailures' return for nothing else.
  test("a document skipped again in a later run is counted in that run's failed", async () => {
    const t = setup();
    const ids = await seedPosts(t, 3, (i) => (i === 1 ? "FAIL 1" : `Post ${i}`));
    await t.mutation(bump, { onError: "skip" });
    await drain(t);
    await t.mutation(bump, { reset: true, onError: "skip" });
    await drain(t);
    const { migrations } = await t.query(internal.migrations.status, { names: [NAME] });
    expect(await bumpCounts(t)).toEqual([2, null, 2]); // the second run skipped post 1 again
    expect(migrations[0]).toMatchObject({ state: "done", processed: 3, changed: 2 });
    expect(migrations[0]).toMatchObject({ failed: 1, failures: [{ documentId: ids[1] }] });
  });
});
