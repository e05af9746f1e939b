/** Staged rollouts: the phase state machine, its gates, verify, rollback and the phase read. */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { PHASES, type Phase, type RolloutStatus, type Status } from "../src/client/index.js";
import { counted, fn, migrations, ref } from "./fixtures/faults.js";
import {
  drain,
  expectRolloutError,
  runPrinted,
  runScheduledOnce,
  seedPosts,
  setup,
  snapshot,
  type T,
} from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const ROLLOUT = "posts.counted";

async function advance(t: T, to: string, extra: { by?: string; reason?: string } = {}) {
  return (await t.mutation(fn("mutation", "advance"), {
    rollout: ROLLOUT,
    to,
    ...extra,
  })) as RolloutStatus;
}
async function rollback(t: T, extra: { by?: string; reason?: string } = {}) {
  return (await t.mutation(fn("mutation", "rollback"), {
    rollout: ROLLOUT,
    ...extra,
  })) as RolloutStatus;
}
async function status(t: T, name = ROLLOUT): Promise<RolloutStatus> {
  const all = (await t.query(fn("query", "status"), {})) as Status;
  const found = all.rollouts.find((r) => r.name === name);
  if (!found) throw new Error(`no status for ${name}`);
  return found;
}
async function phaseOf(t: T, name = ROLLOUT): Promise<Phase> {
  return (await t.query(fn("query", "phaseOf"), { name })) as Phase;
}
async function countedPosts(t: T) {
  return await t.run(async (ctx) => {
    const posts = await ctx.db.query("posts").collect();
    return { total: posts.length, counted: posts.filter((p) => p.wordCount !== undefined).length };
  });
}

/** A table of posts in the old shape, and the rollout moved forward to `phase`. */
async function reach(phase: Phase): Promise<T> {
  const t = setup();
  await seedPosts(t, 30);
  for (const next of PHASES.slice(1, PHASES.indexOf(phase) + 1)) {
    await advance(t, next);
    await drain(t); // the backfill, and the verify pass that follows it
  }
  expect(await phaseOf(t)).toBe(phase);
  return t;
}

describe("the state machine", () => {
  for (const from of PHASES) {
    for (const to of PHASES) {
      const index = PHASES.indexOf(from);
      const kind =
        to === from ? "stays" : PHASES.indexOf(to) === index + 1 ? "moves" : "is refused";
      test(`advance from ${from} to ${to} ${kind}`, async () => {
        const t = await reach(from);
        const before = await snapshot(t);
        const transitions = (await status(t)).transitions.length;
        if (kind === "is refused") {
          const data = await expectRolloutError(advance(t, to), "ImpossiblePhaseMove");
          expect(data).toMatchObject({ rollout: ROLLOUT, from, to });
          expect(await snapshot(t)).toEqual(before);
          return;
        }
        const after = await advance(t, to);
        expect(after.phase).toBe(to);
        expect(await phaseOf(t)).toBe(to);
        if (kind === "stays") {
          expect(await snapshot(t)).toEqual(before);
        } else {
          expect(after.transitions[0]).toMatchObject({ from, to });
          expect(after.transitions.length).toBe(Math.min(transitions + 1, 5));
        }
      });
    }
  }

  for (const from of PHASES) {
    const to = {
      schema: null,
      dualWrite: "schema",
      backfill: "dualWrite",
      readNew: "backfill",
      complete: null,
    }[from];
    test(`rollback from ${from} ${to ? `goes to ${to}` : "is refused"}`, async () => {
      const t = await reach(from);
      if (to === null) {
        const before = await snapshot(t);
        const data = await expectRolloutError(rollback(t), "ImpossiblePhaseMove");
        expect(data.message).toMatch(
          from === "complete" ? /cannot be rolled back/ : /nothing to roll back/,
        );
        expect(await snapshot(t)).toEqual(before);
        return;
      }
      const after = await rollback(t, { by: "oncall", reason: "p99 up" });
      expect(after.phase).toBe(to);
      expect(after.transitions[0]).toMatchObject({ from, to, by: "oncall", reason: "p99 up" });
    });
  }

  test("an unknown phase is refused and names the phases", async () => {
    const t = await reach("dualWrite");
    const data = await expectRolloutError(advance(t, "later"), "ImpossiblePhaseMove");
    expect(data.message).toContain("schema → dualWrite → backfill → readNew → complete");
  });
});

describe("a rollout nobody has moved", () => {
  test("is in schema, and reading its phase writes nothing", async () => {
    const t = setup();
    const before = await snapshot(t);
    expect(await phaseOf(t)).toBe("schema");
    expect(await snapshot(t)).toEqual(before);
    const shown = await status(t);
    expect(shown).toMatchObject({
      phase: "schema",
      next: { to: "dualWrite", open: true },
      transitions: [],
      backfill: { name: "testing:countOnce", run: null },
      verify: null,
    });
    expect(await snapshot(t)).toEqual(before);
  });
});

describe("gates", () => {
  test("entering backfill starts the backfill run from the start of the table", async () => {
    const t = await reach("dualWrite");
    const entered = await advance(t, "backfill");
    expect(entered.backfill.run).toMatchObject({ state: "running", cursor: null, processed: 0 });
    await drain(t);
    expect(await countedPosts(t)).toEqual({ total: 30, counted: 30 });
  });

  test("readNew stays closed while the backfill runs, and says how to watch it", async () => {
    const t = await reach("dualWrite");
    await seedPosts(t, 250);
    await advance(t, "backfill");
    await runScheduledOnce(t);
    const data = await expectRolloutError(advance(t, "readNew"), "PhaseGateClosed");
    expect(data.message).toMatch(/backfill testing:countOnce is running after 100 documents/);
    expect(data.command).toBe("npx convex run testing:status --watch");
    expect((await status(t)).next).toMatchObject({ to: "readNew", open: false });
  });

  test("readNew stays closed until the verify pass after the backfill is done", async () => {
    const t = await reach("dualWrite");
    await advance(t, "backfill");
    await runScheduledOnce(t); // the backfill's only batch; it starts the verify pass
    expect((await status(t)).backfill.run?.state).toBe("done");
    expect((await status(t)).verify?.state).toBe("running");
    const data = await expectRolloutError(advance(t, "readNew"), "PhaseGateClosed");
    expect(data.message).toMatch(/verify pass is running/);
    await drain(t);
    expect((await status(t)).verify).toMatchObject({ state: "done", checked: 30, mismatches: 0 });
    expect((await advance(t, "readNew")).phase).toBe("readNew");
  });

  test("a verify pass that finds documents in the old shape keeps readNew closed, with their ids", async () => {
    const t = await reach("backfill");
    // A write path that forgot to write the new field.
    const authorId = await t.run(async (ctx) => (await ctx.db.query("users").first())!._id);
    const bad = (await t.mutation(fn("mutation", "publish"), {
      authorId,
      title: "t",
      body: "a b",
      skipNew: true,
    })) as string;
    await t.mutation(fn("mutation", "verify"), { rollout: ROLLOUT });
    await drain(t);
    expect((await status(t)).verify).toMatchObject({
      state: "done",
      checked: 31,
      mismatches: 1,
      firstMismatchIds: [bad],
    });
    const data = await expectRolloutError(advance(t, "readNew"), "PhaseGateClosed");
    expect(data.message).toContain(bad);
    expect(data.message).toContain("verify found 1 document not in the new shape");
    // Verifying again would find it again: the command is the backfill from the start.
    expect(data.command).toBe(`npx convex run testing:countOnce '{"reset": true}'`);

    // Run as printed: the backfill converts it, its verify pass follows, and the gate opens.
    await runPrinted(t, data.command);
    await drain(t);
    expect((await status(t)).verify).toMatchObject({ state: "done", mismatches: 0 });
    expect((await advance(t, "readNew")).phase).toBe("readNew");
  });

  test("without a verify function, readNew opens when the backfill is done", async () => {
    const t = setup();
    await seedPosts(t, 20);
    const move = (to: string) =>
      t.mutation(fn("mutation", "advance"), {
        rollout: "posts.unverified",
        to,
      }) as Promise<RolloutStatus>;
    await move("dualWrite");
    await move("backfill");
    await expectRolloutError(move("readNew"), "PhaseGateClosed");
    await drain(t);
    const shown = await status(t, "posts.unverified");
    expect(shown).toMatchObject({
      hasVerify: false,
      verify: null,
      next: { to: "readNew", open: true },
    });
    expect((await move("readNew")).phase).toBe("readNew");
    await expectRolloutError(
      t.mutation(fn("mutation", "verify"), { rollout: "posts.unverified" }),
      "InvalidArgument",
    );
  });

  test("a backfill started by hand before the rollout is restarted from the beginning", async () => {
    const t = await reach("dualWrite");
    await seedPosts(t, 200);
    await t.mutation(ref("countOnce"), {});
    await runScheduledOnce(t);
    const entered = await advance(t, "backfill");
    expect(entered.backfill.run).toMatchObject({ state: "running", cursor: null, processed: 0 });
    await drain(t);
    expect(await countedPosts(t)).toEqual({ total: 230, counted: 230 });
  });
});

describe("during the backfill", () => {
  test("documents the app writes, before and behind the cursor, all end in the new shape", async () => {
    const t = await reach("dualWrite");
    await seedPosts(t, 270);
    await advance(t, "backfill");
    const authorId = await t.run(async (ctx) => (await ctx.db.query("users").first())!._id);
    for (let round = 0; round < 3; round++) {
      await runScheduledOnce(t);
      for (let i = 0; i < 5; i++) {
        await t.mutation(fn("mutation", "publish"), {
          authorId,
          title: `new ${round}.${i}`,
          body: "x y z",
        });
      }
    }
    await drain(t);
    expect(await countedPosts(t)).toEqual({ total: 315, counted: 315 });
    // A pass after the last write sees every post in the new shape.
    await t.mutation(fn("mutation", "verify"), { rollout: ROLLOUT });
    await drain(t);
    expect((await status(t)).verify).toMatchObject({ state: "done", checked: 315, mismatches: 0 });
    expect((await advance(t, "readNew")).phase).toBe("readNew");
  });
});

describe("rollback", () => {
  test("from backfill cancels the running backfill and verify", async () => {
    const t = await reach("dualWrite");
    await seedPosts(t, 250);
    await advance(t, "backfill");
    await runScheduledOnce(t);
    const back = await rollback(t, { reason: "wrong field" });
    expect(back.phase).toBe("dualWrite");
    expect(back.backfill.run).toMatchObject({ state: "canceled", processed: 100 });
    await drain(t);
    expect((await countedPosts(t)).counted).toBe(100);
  });

  test("then forward again runs a fresh backfill over everything", async () => {
    const t = await reach("readNew");
    await rollback(t);
    await rollback(t);
    expect(await phaseOf(t)).toBe("dualWrite");
    const again = await advance(t, "backfill");
    expect(again.backfill.run).toMatchObject({ state: "running", processed: 0 });
    await drain(t);
    expect((await status(t)).backfill.run).toMatchObject({ state: "done", processed: 30 });
  });
});

describe("rollback from readNew, then readNew again (issue 18 #15)", () => {
  test("needs a verify pass that started after the rollout re-entered backfill", async () => {
    const t = await reach("readNew");
    // In readNew, code since rolled back writes a post in the old shape (here, around the
    // dual writes): exactly what the verify pass before the rollback never saw.
    const [stray] = await seedPosts(t, 1);
    const back = await rollback(t, { reason: "p99 up" });
    expect(back.phase).toBe("backfill");
    // The pass from before the rollback is done and clean, and still shown: not trusted.
    expect(back.verify).toMatchObject({ state: "done", mismatches: 0 });
    expect(back.next).toMatchObject({ to: "readNew", open: false });
    expect(back.next!.detail).toContain("started before the rollout last entered backfill");
    const refused = await expectRolloutError(advance(t, "readNew"), "PhaseGateClosed");
    expect(refused.message).toContain(`:verify '{"rollout":"${ROLLOUT}"}'`);

    // A new pass looks at what was written, and finds the stray post.
    await t.mutation(fn("mutation", "verify"), { rollout: ROLLOUT });
    await drain(t);
    const checked = await status(t);
    expect(checked.verify).toMatchObject({ state: "done", mismatches: 1 });
    expect(checked.verify!.firstMismatchIds).toEqual([stray]);
    await expectRolloutError(advance(t, "readNew"), "PhaseGateClosed");

    // Converted (here by hand), a new pass opens the gate.
    await t.run(async (ctx) => await ctx.db.patch("posts", stray!, { wordCount: 3 }));
    await t.mutation(fn("mutation", "verify"), { rollout: ROLLOUT });
    await drain(t);
    expect((await advance(t, "readNew")).phase).toBe("readNew");
  });

  test("a verify pass running at the rollback is stopped: it cannot open the gate", async () => {
    const t = await reach("readNew");
    await seedPosts(t, 50);
    const running = (await t.mutation(fn("mutation", "verify"), {
      rollout: ROLLOUT,
    })) as RolloutStatus;
    expect(running.verify?.state).toBe("running");
    const back = await rollback(t);
    expect(back.verify?.state).toBe("canceled");
  });
});

describe("complete, which cannot be rolled back, waits for what a verify pass in readNew found", () => {
  test("a write that missed the new shape after the last pass keeps complete closed until converted", async () => {
    const t = await reach("readNew");
    // Written after the pass that opened readNew, around the dual writes: no gate saw it.
    const [stray] = await seedPosts(t, 1);
    const before = await status(t);
    expect(before.next).toMatchObject({ to: "complete", open: true });
    expect(before.next!.detail).toContain(`a verify pass first (npx convex run testing:verify`);

    await t.mutation(fn("mutation", "verify"), { rollout: ROLLOUT });
    expect((await status(t)).next).toMatchObject({ to: "complete", open: false });
    await drain(t);
    const data = await expectRolloutError(advance(t, "complete"), "PhaseGateClosed");
    expect(data.message).toContain(
      `verify found 1 document not in the new shape (first: ${stray})`,
    );
    expect(data.message).toContain("then roll back to backfill");
    expect(data.command).toMatch(/^npx convex run testing:rollback '\{"rollout":"posts.counted"/);
    expect(await phaseOf(t)).toBe("readNew");

    // Each command as printed, until complete: back to backfill, where it is converted.
    const followed: string[] = [];
    for (let i = 0; (await phaseOf(t)) !== "complete"; i++) {
      expect(i, followed.join("\n")).toBeLessThan(8);
      const { next } = await status(t);
      followed.push(`${next!.open ? "open" : next!.detail} → ${next!.command}`);
      await runPrinted(t, next!.command.replace(/ --watch$/, ""));
      await drain(t);
    }
    expect(followed.map((line) => /:(\w+)(?: |$)/.exec(line.split(" → ")[1]!)![1])).toEqual([
      "rollback",
      "verify",
      "countOnce",
      "advance",
      "advance",
    ]);
    expect(await countedPosts(t)).toEqual({ total: 31, counted: 31 });
  });
});

describe("history and status", () => {
  test("every transition is kept with who and why; status shows the last five, newest first", async () => {
    const t = await reach("readNew");
    await rollback(t, { by: "ana", reason: "p99 up" });
    // Back in backfill, readNew needs a verify pass started since.
    await t.mutation(fn("mutation", "verify"), { rollout: ROLLOUT });
    await drain(t);
    await advance(t, "readNew", { by: "ana", reason: "fixed" });
    await advance(t, "complete", { by: "ben" });
    const shown = await status(t);
    expect(shown.transitions.map((tr) => `${tr.from}>${tr.to}`)).toEqual([
      "readNew>complete",
      "backfill>readNew",
      "readNew>backfill",
      "backfill>readNew",
      "dualWrite>backfill",
    ]);
    expect(shown.transitions[2]).toMatchObject({ by: "ana", reason: "p99 up" });
    expect(shown.next).toBeNull();
  });

  test("advancing to the phase it is in records nothing, so deploy scripts can repeat it", async () => {
    const t = await reach("backfill");
    const before = (await status(t)).transitions;
    for (let i = 0; i < 3; i++) await advance(t, "backfill");
    expect((await status(t)).transitions).toEqual(before);
  });
});

describe("the phase read is part of the caller's transaction", () => {
  test("a mutation that advances sees the new phase in the same transaction", async () => {
    const t = setup();
    expect(await t.mutation(fn("mutation", "advanceThenRead"), { to: "dualWrite" })).toEqual({
      phase: "dualWrite",
      writesNew: true,
      readsNew: false,
    });
  });

  test("a hand-written rollout asks the component once per transaction, again after a move", async () => {
    const t = setup();
    const reads = await t.run(async (ctx) => {
      let calls = 0;
      // Counts the component calls this transaction makes (the cache is keyed by its runQuery).
      const runQuery: typeof ctx.runQuery = async (query, ...args) => {
        calls++;
        return await ctx.runQuery(query, ...args);
      };
      const counting = { ...ctx, runQuery };
      const seen = [];
      for (let i = 0; i < 10; i++) {
        seen.push(
          await counted.phase(counting),
          await counted.writesNew(counting),
          await counted.readsNew(counting),
        );
      }
      const first = calls;
      await migrations.advance(counting, counted, "dualWrite");
      const after = [await counted.phase(counting), await counted.writesNew(counting)];
      return { first, total: calls, seen: [...new Set(seen)], after };
    });
    expect(reads).toEqual({
      first: 1,
      total: 2,
      seen: ["schema", false],
      after: ["dualWrite", true],
    });
  });

  test("a phase change in a mutation that fails is rolled back with it", async () => {
    const t = setup();
    const before = await snapshot(t);
    await expect(
      t.mutation(fn("mutation", "advanceThenRead"), { to: "dualWrite", fail: true }),
    ).rejects.toThrow(/"phase":"dualWrite"/);
    expect(await phaseOf(t)).toBe("schema");
    expect(await snapshot(t)).toEqual(before);
  });

  test("writes after a phase change take the new path; writes before it the old one", async () => {
    const t = setup();
    const authorId = await t.run(
      async (ctx) => await ctx.db.insert("users", { name: "A", email: "a@x" }),
    );
    const publish = async (title: string) =>
      (await t.mutation(fn("mutation", "publish"), { authorId, title, body: "a b c" })) as string;
    const old = await publish("before");
    await advance(t, "dualWrite");
    const fresh = await publish("after");
    const posts = await t.run(async (ctx) => await ctx.db.query("posts").collect());
    expect(posts.find((p) => p._id === old)?.wordCount).toBeUndefined();
    expect(posts.find((p) => p._id === fresh)?.wordCount).toBe(3);
  });
});

describe("bad input", () => {
  test("an unknown rollout is refused by every verb, naming those declared", async () => {
    const t = setup();
    for (const call of [
      t.mutation(fn("mutation", "advance"), { rollout: "nope", to: "dualWrite" }),
      t.mutation(fn("mutation", "rollback"), { rollout: "nope" }),
      t.mutation(fn("mutation", "verify"), { rollout: "nope" }),
    ]) {
      const data = await expectRolloutError(call, "UnknownRollout");
      expect(data.message).toContain("posts.counted");
    }
  });

  test("a name misspelled by case only is asked about: did you mean", async () => {
    const t = setup();
    const misspelled = t.mutation(fn("mutation", "advance"), {
      rollout: "Posts.Counted",
      to: "dualWrite",
    });
    const data = await expectRolloutError(misspelled, "UnknownRollout");
    expect(data.message).toContain('Did you mean "posts.counted"?');
    expect(data).toMatchObject({ didYouMean: "posts.counted" });
  });
});

describe("several rollouts", () => {
  test("on different tables move independently, in flight at once", async () => {
    const t = setup();
    await seedPosts(t, 120);
    const users = (to: Phase) =>
      t.mutation(internal.migrations.advance, { rollout: "users.splitName", to });
    await users("dualWrite");
    await advance(t, "dualWrite");
    await users("backfill");
    await advance(t, "backfill");
    await runScheduledOnce(t);
    const both = (await t.query(internal.migrations.status, {})).rollouts;
    expect(both.map((r) => [r.name, r.phase, r.backfill.run?.state])).toEqual(
      expect.arrayContaining([
        ["users.splitName", "backfill", "done"],
        ["posts.counted", "backfill", "running"],
      ]),
    );
    await drain(t);
    await users("readNew");
    expect(await phaseOf(t)).toBe("backfill");
    await rollback(t);
    expect((await users("complete")).phase).toBe("complete");
    expect(await phaseOf(t)).toBe("dualWrite");
    const named = await t.run(async (ctx) =>
      (await ctx.db.query("users").collect()).every((u) => u.firstName !== undefined),
    );
    expect(named).toBe(true);
  });
});
