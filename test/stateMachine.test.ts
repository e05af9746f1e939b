/**
 * The rollout state machine against a reference model, with fast-check: random
 * sequences of advance (to any phase, or to something that is not one),
 * rollback, verify, scheduled batches of the backfill and the verify pass, and
 * app writes in the old and the new shape, on the fixture rollout
 * "posts.counted" (backfill testing:countOnce, verify: every post has a
 * wordCount).
 *
 * The model predicts the phase, whether the gate of the next phase is open,
 * the backfill run and the verify pass; after every command the component must
 * agree, and every refused move must be refused with the right error kind
 * (ImpossiblePhaseMove, PhaseGateClosed) and change nothing.
 *
 * Replay: `FC_SEED=123 npx vitest run test/stateMachine.test.ts` (FC_RUNS, FC_PATH too).
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { Id } from "../example/convex/_generated/dataModel.js";
import {
  PHASES,
  type MigrationStatus,
  type Phase,
  type RolloutStatus,
  type Status,
} from "../src/client/index.js";
import { fn, ref } from "./fixtures/faults.js";
import {
  drain,
  expectRolloutError,
  runScheduledOnce,
  seedPosts,
  setup,
  type T,
} from "./harness.js";
import { MODELS, seedPlans, totalRuns } from "./seeds.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const ROLLOUT = "posts.counted";
const BACKFILL = "testing:countOnce";
/** The fixed seeds of `test/seeds.ts` (or `FC_SEED`, `FC_RUNS`, `FC_PATH` to replay one). */
const PLANS = seedPlans("stateMachine");
/** A verify batch reads this many posts (countOnce fixes no batch size). */
const VERIFY_BATCH = 1_000;

type Op =
  | { op: "advance"; to: string }
  | { op: "rollback" }
  | { op: "verify" }
  | { op: "step"; times: number }
  | { op: "drain" }
  | { op: "publish"; skipNew: boolean }
  | { op: "insertOld"; count: number }
  // The backfill migration operated by hand, beside the rollout.
  | { op: "backfillByHand"; reset: boolean }
  | { op: "backfillVerb"; verb: "pause" | "cancel" | "resume" };

const phaseArb = fc.constantFrom<string>(...PHASES, "later", "");
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("advance" as const), to: phaseArb }) },
  // Mostly the next phase, which is where gates matter.
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant("advance" as const), to: fc.constant("next") }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("rollback" as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("verify" as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("step" as const),
      times: fc.integer({ min: 1, max: 2 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("drain" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("publish" as const),
      // A write path that forgot the new field, now and then.
      skipNew: fc.oneof(
        { weight: 1, arbitrary: fc.constant(true) },
        { weight: 3, arbitrary: fc.constant(false) },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("insertOld" as const),
      count: fc.integer({ min: 1, max: 40 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("backfillByHand" as const), reset: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("backfillVerb" as const),
      verb: fc.constantFrom("pause" as const, "cancel" as const, "resume" as const),
    }),
  },
);

// ---------------------------------------------------------------------------
// The reference model.

type Job = { kind: "backfill"; run: number } | { kind: "verify"; attempt: number };

/** A run of the backfill migration, testing:countOnce. */
type RunM = {
  key: number;
  state: "running" | "paused" | "done" | "canceled";
  /** Started by the rollout entering backfill (rather than by hand). */
  byRollout: boolean;
  /** Position of the last post a batch took; -1 before the first. */
  cursorPos: number;
  processed: number;
  endedAt?: number;
};

type VerifyM = {
  attempt: number;
  state: "running" | "done" | "canceled";
  checked: number;
  mismatches: number;
  cursorPos: number;
  startedAt: number;
};

class Model {
  phase: Phase = "schema";
  /** Posts in creation order: whether each has the new field. */
  posts: { counted: boolean }[] = [];
  /** Every run of the backfill migration, oldest first; the last is its latest. */
  runs: RunM[] = [];
  /** The run the rollout started when it last entered backfill (its backfillRunId). */
  linked: number | null = null;
  verify: VerifyM | null = null;
  /** When the rollout last entered backfill (an advance, or a rollback from readNew). */
  enteredBackfill = -1;
  /** When the rollout last entered readNew. */
  enteredReadNew = -1;
  attempts = 0;
  /** Scheduled batches, in the order they were scheduled. */
  queue: Job[] = [];
  now = 0;
  transitions = 0;

  clone(): Model {
    return Object.assign(new Model(), structuredClone({ ...this }));
  }

  /** The rollout's backfill run, as its status and its gate see it. */
  get backfill(): RunM | null {
    return this.linked === null ? null : this.runs[this.linked]!;
  }

  get latest(): RunM | null {
    return this.runs.at(-1) ?? null;
  }

  writesNew(): boolean {
    return this.phase !== "schema";
  }

  next(): Phase | null {
    return PHASES[PHASES.indexOf(this.phase) + 1] ?? null;
  }

  /** The gate of `to`, the phase after the current one. */
  gateOpen(to: Phase): boolean {
    if (to === "complete") {
      // Complete waits for a verify pass started in readNew, and for it to have found nothing.
      const pass = this.verify;
      if (pass === null || !(pass.startedAt > this.enteredReadNew)) return true;
      return pass.state === "done" && pass.mismatches === 0;
    }
    if (to !== "readNew") return true;
    const { backfill, verify } = this;
    return (
      backfill?.state === "done" &&
      verify !== null &&
      verify.startedAt >= backfill.endedAt! &&
      verify.startedAt > this.enteredBackfill &&
      verify.state === "done" &&
      verify.mismatches === 0
    );
  }

  /** What advancing to `to` does: an error kind, nothing, or the move. */
  advance(to: string): "ImpossiblePhaseMove" | "PhaseGateClosed" | "stays" | "moves" {
    if (!(PHASES as readonly string[]).includes(to)) return "ImpossiblePhaseMove";
    if (to === this.phase) return "stays";
    if (to !== this.next()) return "ImpossiblePhaseMove";
    if (!this.gateOpen(to)) return "PhaseGateClosed";
    if (to === "backfill") {
      this.stopVerify();
      // A run of the backfill going on (by hand, perhaps) is canceled; a new one starts.
      this.stop(this.latest, "canceled");
      this.linked = this.newRun(true).key;
      this.verify = null;
      this.enteredBackfill = this.now;
    }
    if (to === "readNew") this.enteredReadNew = this.now;
    this.phase = to;
    this.transitions++;
    return "moves";
  }

  rollback(): "ImpossiblePhaseMove" | "moves" {
    if (this.phase === "schema" || this.phase === "complete") return "ImpossiblePhaseMove";
    if (this.phase === "backfill") this.stop(this.backfill, "canceled");
    // A verify pass under way started before this move: stopped, as it can open no gate.
    if (this.phase === "backfill" || this.phase === "readNew") this.stopVerify();
    if (this.phase === "readNew") this.enteredBackfill = this.now;
    this.phase = PHASES[PHASES.indexOf(this.phase) - 1]!;
    this.transitions++;
    return "moves";
  }

  /** `npx convex run testing:countOnce`, with or without reset (start.ts). */
  startByHand(reset: boolean) {
    const latest = this.latest;
    if (latest?.state === "running") return;
    if (latest === null || reset) {
      // A full new pass replacing the rollout's own backfill run becomes its backfill.
      const carries = latest !== null && latest.key === this.linked && this.phase === "backfill";
      const run = this.newRun(carries);
      if (carries) this.linked = run.key;
    } else if (latest.state !== "done") this.resume(latest);
  }

  /** The pause, cancel and resume verbs, on the latest run. */
  verb(verb: "pause" | "cancel" | "resume") {
    const latest = this.latest;
    if (latest === null) return;
    if (verb === "pause" && latest.state === "running") this.stop(latest, "paused");
    if (verb === "cancel" && (latest.state === "running" || latest.state === "paused")) {
      this.stop(latest, "canceled");
    }
    if (verb === "resume" && (latest.state === "paused" || latest.state === "canceled")) {
      this.resume(latest);
    }
  }

  private newRun(byRollout: boolean): RunM {
    const run: RunM = {
      key: this.runs.length,
      state: "running",
      byRollout,
      cursorPos: -1,
      processed: 0,
    };
    this.runs.push(run);
    this.queue.push({ kind: "backfill", run: run.key });
    return run;
  }

  private resume(run: RunM) {
    run.state = "running";
    run.endedAt = undefined;
    this.queue.push({ kind: "backfill", run: run.key });
  }

  private stop(run: RunM | null, state: "paused" | "canceled") {
    if (run === null) return;
    if (run.state !== "running" && !(state === "canceled" && run.state === "paused")) return;
    run.state = state;
    if (state === "canceled") run.endedAt = this.now;
    this.queue = this.queue.filter((j) => !(j.kind === "backfill" && j.run === run.key));
  }

  startVerify() {
    this.stopVerify();
    this.verify = {
      attempt: ++this.attempts,
      state: "running",
      checked: 0,
      mismatches: 0,
      cursorPos: -1,
      startedAt: this.now,
    };
    this.queue.push({ kind: "verify", attempt: this.verify.attempt });
  }

  /** The verify command: a new pass, unless one is running. */
  verifyCommand() {
    if (this.verify?.state !== "running") this.startVerify();
  }

  private stopVerify() {
    if (this.verify?.state !== "running") return;
    this.verify.state = "canceled";
    this.queue = this.queue.filter((j) => j.kind !== "verify");
  }

  /** Runs the batches scheduled so far, in order; `backfillSize` is the backfill's batch size. */
  step(backfillSize: number) {
    const jobs = this.queue;
    this.queue = [];
    for (const job of jobs) {
      if (job.kind === "backfill") this.backfillBatch(job.run, backfillSize);
      else this.verifyBatch(job.attempt);
    }
  }

  private backfillBatch(key: number, size: number) {
    const run = this.runs[key]!;
    if (run.state !== "running") return;
    const ahead = this.posts.map((p, pos) => ({ p, pos })).filter(({ pos }) => pos > run.cursorPos);
    const page = ahead.slice(0, size);
    for (const { p } of page) p.counted = true;
    run.processed += page.length;
    if (page.length > 0) run.cursorPos = page.at(-1)!.pos;
    if (ahead.length > size) {
      this.queue.push({ kind: "backfill", run: key });
      return;
    }
    run.state = "done";
    run.endedAt = this.now;
    // The verify pass starts on its own when the rollout's own backfill finishes.
    if (run.byRollout && this.phase === "backfill" && this.linked === key) this.startVerify();
  }

  private verifyBatch(attempt: number) {
    const pass = this.verify;
    if (pass?.attempt !== attempt || pass.state !== "running") return;
    const ahead = this.posts
      .map((p, pos) => ({ p, pos }))
      .filter(({ pos }) => pos > pass.cursorPos);
    const page = ahead.slice(0, VERIFY_BATCH);
    pass.checked += page.length;
    pass.mismatches += page.filter(({ p }) => !p.counted).length;
    if (page.length > 0) pass.cursorPos = page.at(-1)!.pos;
    if (ahead.length > VERIFY_BATCH) this.queue.push({ kind: "verify", attempt });
    else pass.state = "done";
  }
}

// ---------------------------------------------------------------------------

/** The latest run of the backfill migration, whoever started it. */
async function latestRun(t: T): Promise<MigrationStatus | undefined> {
  const { migrations } = (await t.query(fn("query", "status"), { names: [BACKFILL] })) as Status;
  // Asked by name, status answers "unknown" for one that never ran.
  return migrations.find((m) => m.state !== "unknown");
}

async function rolloutStatus(t: T): Promise<RolloutStatus> {
  const all = (await t.query(fn("query", "status"), {})) as Status;
  return all.rollouts.find((r) => r.name === ROLLOUT)!;
}

/** What the checks compare: the component's view of the rollout... */
function observed(status: RolloutStatus, latest: MigrationStatus | undefined) {
  return {
    latest: latest && { state: latest.state, processed: latest.processed },
    phase: status.phase,
    next: status.next && { to: status.next.to, open: status.next.open },
    backfill: status.backfill.run && {
      state: status.backfill.run.state,
      processed: status.backfill.run.processed,
    },
    verify: status.verify && {
      state: status.verify.state,
      checked: status.verify.checked,
      mismatches: status.verify.mismatches,
    },
    transitions: status.transitions.length,
  };
}

/** ...and the model's. */
function predicted(model: Model): ReturnType<typeof observed> {
  const next = model.next();
  return {
    latest: model.latest
      ? { state: model.latest.state, processed: model.latest.processed }
      : undefined,
    phase: model.phase,
    next: next && { to: next, open: model.gateOpen(next) },
    backfill: model.backfill && {
      state: model.backfill.state,
      processed: model.backfill.processed,
    },
    verify: model.verify && {
      state: model.verify.state,
      checked: model.verify.checked,
      mismatches: model.verify.mismatches,
    },
    transitions: Math.min(model.transitions, 5),
  };
}

/** What the component shows: the rollout's status and the latest run of its backfill. */
type Seen = { rollout: RolloutStatus; latest: MigrationStatus | undefined };

async function look(t: T): Promise<Seen> {
  return { rollout: await rolloutStatus(t), latest: await latestRun(t) };
}

/**
 * The component's view of the rollout agrees with the model's. `seen` is what the command
 * read last, with nothing run and no clock moved since: the same answers, so they are not
 * read twice (status is most of this test's time).
 */
async function check(t: T, model: Model, where: string, seen?: Seen): Promise<Seen> {
  const now = seen ?? (await look(t));
  expect((await t.query(fn("query", "phaseOf"), { name: ROLLOUT })) as Phase, where).toBe(
    model.phase,
  );
  expect(observed(now.rollout, now.latest), where).toEqual(predicted(model));
  return now;
}

/** A refused move changes nothing: the rollout's status is as `before`. Answers what it read. */
async function unchanged(t: T, before: RolloutStatus, where: string): Promise<Seen> {
  const now = await look(t);
  expect(now.rollout, where).toEqual(before);
  return now;
}

type Outcome = ReturnType<Model["advance"]> | "done";
/** A command's outcome, and what it read last if nothing ran after (a step, a refused move). */
type Applied = { outcome: Outcome; seen?: Seen };

async function apply(
  t: T,
  model: Model,
  authorId: Id<"users">,
  op: Op,
  where: string,
): Promise<Applied> {
  // Each command at its own time, so "a verify pass since the backfill finished" means something.
  vi.setSystemTime(Date.now() + 1_000);
  model.now++;
  switch (op.op) {
    case "advance": {
      const to = op.to === "next" ? (model.next() ?? "complete") : op.to;
      const before = await rolloutStatus(t);
      const outcome = model.advance(to);
      const call = t.mutation(fn("mutation", "advance"), { rollout: ROLLOUT, to, by: "fc" });
      if (outcome === "ImpossiblePhaseMove" || outcome === "PhaseGateClosed") {
        const data = await expectRolloutError(call, outcome);
        expect(data, where).toMatchObject({ rollout: ROLLOUT, from: model.phase });
        if (outcome === "PhaseGateClosed") expect(typeof data.command, where).toBe("string");
        return { outcome, seen: await unchanged(t, before, where) };
      }
      const after = (await call) as RolloutStatus;
      expect(after.phase, where).toBe(to);
      if (outcome === "moves") expect(after.transitions[0], where).toMatchObject({ to, by: "fc" });
      else expect(after.transitions, where).toEqual(before.transitions);
      return { outcome };
    }
    case "rollback": {
      const before = await rolloutStatus(t);
      const from = model.phase;
      const outcome = model.rollback();
      const call = t.mutation(fn("mutation", "rollback"), { rollout: ROLLOUT, reason: "fc" });
      if (outcome === "ImpossiblePhaseMove") {
        const data = await expectRolloutError(call, outcome);
        expect(data, where).toMatchObject({ rollout: ROLLOUT, from });
        return { outcome, seen: await unchanged(t, before, where) };
      }
      const after = (await call) as RolloutStatus;
      expect(after.transitions[0], where).toMatchObject({ from, to: model.phase, reason: "fc" });
      return { outcome };
    }
    case "verify":
      model.verifyCommand();
      await t.mutation(fn("mutation", "verify"), { rollout: ROLLOUT });
      return { outcome: "done" };
    case "step": {
      let seen: Seen | undefined;
      for (let i = 0; i < op.times; i++) seen = await step(t, model, seen);
      return { outcome: "done", seen };
    }
    case "drain": {
      let seen: Seen | undefined;
      for (let i = 0; model.queue.length > 0; i++) {
        expect(i, `${where}: the batches did not end`).toBeLessThan(100);
        seen = await step(t, model, seen);
      }
      return { outcome: "done", seen };
    }
    case "publish": {
      await t.mutation(fn("mutation", "publish"), {
        authorId,
        title: "app",
        body: "a b c",
        skipNew: op.skipNew,
      });
      model.posts.push({ counted: model.writesNew() && !op.skipNew });
      return { outcome: "done" };
    }
    case "insertOld":
      // Written by code older than dualWrite (or straight into the table).
      await seedPosts(t, op.count);
      // seedPosts also inserts an author first; users are not in the rollout's table.
      for (let i = 0; i < op.count; i++) model.posts.push({ counted: false });
      return { outcome: "done" };
    case "backfillByHand":
      model.startByHand(op.reset);
      await t.mutation(ref("countOnce"), op.reset ? { reset: true } : {});
      return { outcome: "done" };
    case "backfillVerb": {
      const call = t.mutation(fn("mutation", op.verb), { name: BACKFILL });
      if (model.latest === null) {
        await expectRolloutError(call, "UnknownMigration");
        return { outcome: "done" };
      }
      model.verb(op.verb);
      expect(((await call) as MigrationStatus).state, where).toBe(model.latest.state);
      return { outcome: "done" };
    }
  }
}

/**
 * Liveness: from wherever a sequence left the rollout, doing what status says
 * next (advance when the gate is open, else run the gate's command, then let
 * the batches run) reaches complete. When verify found documents in the old
 * shape, the gate's detail says to run the backfill again first; so do we.
 */
async function followStatus(t: T, model: Model, authorId: Id<"users">, checked: Seen) {
  const trail: string[] = [];
  let seen = checked;
  for (let i = 0; model.phase !== "complete"; i++) {
    const gate = seen.rollout.next!;
    trail.push(`${model.phase}: ${gate.open ? "open" : gate.detail} → ${gate.command}`);
    expect(i, `following status did not reach complete:\n${trail.join("\n")}`).toBeLessThan(12);
    const ops: Op[] = [];
    if (gate.open) ops.push({ op: "advance", to: gate.to });
    else {
      if (/not in the new shape/.test(gate.detail)) ops.push({ op: "backfillByHand", reset: true });
      const [, name, json] = /^npx convex run (\S+)(?: '(.*)')?$/.exec(
        gate.command.replace(/ --watch$/, ""),
      )!;
      const args = (json === undefined ? {} : JSON.parse(json)) as Record<string, unknown>;
      if (name === "testing:status") ops.push({ op: "drain" });
      else if (name === BACKFILL) ops.push({ op: "backfillByHand", reset: args.reset === true });
      else if (name === "testing:verify") ops.push({ op: "verify" });
      else if (name === "testing:resume") ops.push({ op: "backfillVerb", verb: "resume" });
      else if (name === "testing:advance") ops.push({ op: "advance", to: String(args.to) });
      else if (name === "testing:rollback") ops.push({ op: "rollback" });
      else throw new Error(`status names a command this test does not know: ${gate.command}`);
    }
    ops.push({ op: "drain" });
    for (const op of ops) {
      const where = `following status, ${JSON.stringify(op)}`;
      const applied = await apply(t, model, authorId, op, where);
      seen = await check(t, model, where, applied.seen);
    }
  }
}

/**
 * Runs the batches scheduled so far. Two batches scheduled at once (the
 * backfill's and a verify pass's) may run in either order, in convex-test as
 * on Convex: the model tries both and keeps the one the component shows.
 * `previous` is what the step just before read, with nothing between; answers what it reads.
 */
async function step(t: T, model: Model, previous?: Seen): Promise<Seen> {
  // Only the latest run of the backfill migration can be running.
  const size = (previous ? previous.latest : await latestRun(t))?.batchSize ?? 0;
  const orders =
    model.queue.length === 2
      ? [
          [0, 1],
          [1, 0],
        ]
      : [model.queue.map((_, i) => i)];
  const candidates = orders.map((order) => {
    const copy = model.clone();
    copy.queue = order.map((i) => copy.queue[i]!);
    copy.step(size);
    return copy;
  });
  await runScheduledOnce(t);
  const seen = await look(t);
  const actual = observed(seen.rollout, seen.latest);
  const match = candidates.find((c) => JSON.stringify(predicted(c)) === JSON.stringify(actual));
  Object.assign(model, match ?? candidates[0]!);
  return seen;
}

test.for(PLANS)(
  `${MODELS.stateMachine.test} (seed $seed)`,
  { timeout: Math.max(240_000, totalRuns(PLANS) * 3_000) },
  async (plan, { skip }) => {
    if (plan.skip !== undefined) skip(plan.skip);
    console.log(
      `stateMachine: ${plan.numRuns} schedules, seed ${plan.seed} (replay: ${plan.replay})`,
    );
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 250 }),
        fc.array(opArb, { minLength: 1, maxLength: 40, size: "max" }),
        async (size, ops) => {
          const t = setup();
          const model = new Model();
          await seedPosts(t, size);
          for (let i = 0; i < size; i++) model.posts.push({ counted: false });
          const authorId = await t.run(async (ctx) => (await ctx.db.query("users").first())!._id);
          let last: Seen | undefined;
          for (const [i, op] of ops.entries()) {
            const where = `step ${i + 1}: ${JSON.stringify(op)}`;
            const { outcome, seen: stepped } = await apply(t, model, authorId, op, where);
            last = await check(t, model, where, stepped);
            const key = outcome === "done" ? op.op : `${op.op} ${outcome}`;
            seen[key] = (seen[key] ?? 0) + 1;
          }
          seen[`ended in ${model.phase}`] = (seen[`ended in ${model.phase}`] ?? 0) + 1;
          // Every sequence has a command (minLength 1), so its last check saw the status.
          await followStatus(t, model, authorId, last!);
        },
      ),
      {
        seed: plan.seed,
        numRuns: plan.numRuns,
        ...(plan.path !== undefined ? { path: plan.path } : {}),
      },
    );
    console.log(`stateMachine: ${JSON.stringify(seen)} over all sequences (with shrinking)`);
  },
);

describe("found by the model, and fixed", () => {
  // Shrunk by fast-check from the liveness part of the property above: the readNew
  // gate looked only at the run the rollout started, so a full pass started by hand
  // with reset (its own run paused) left the gate closed on a run nothing would
  // resume, naming a command that started nothing. Now such a pass becomes the
  // rollout's backfill, and a paused backfill's gate names `resume`.
  test("a reset by hand during the backfill becomes the rollout's backfill", async () => {
    const t = setup();
    const advance = (to: string) =>
      t.mutation(fn("mutation", "advance"), { rollout: ROLLOUT, to }) as Promise<RolloutStatus>;
    await advance("dualWrite");
    await advance("backfill");
    await t.mutation(fn("mutation", "pause"), { name: BACKFILL });
    expect((await rolloutStatus(t)).next).toMatchObject({
      open: false,
      command: `npx convex run testing:resume '{"name":"${BACKFILL}"}'`,
    });
    await t.mutation(ref("countOnce"), { reset: true }); // by hand, over the whole table
    await drain(t);
    expect((await rolloutStatus(t)).next).toMatchObject({ to: "readNew", open: true });
  });
});
