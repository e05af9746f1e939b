/**
 * The rollout state machine as pure functions (src/component/phases.ts): the
 * edges, what every refused move says, and each gate for each fact that can
 * close it. rollouts.test.ts and stateMachine.test.ts drive the same rules
 * through the component; these tables pin the rules themselves.
 */
import { describe, expect, test } from "vitest";
import {
  checkAdvance,
  checkRollback,
  gateOf,
  isPhase,
  nextPhase,
  phaseIndex,
  previousPhase,
  type GateFacts,
} from "../../src/component/phases.js";
import { PHASES, type Phase, type VerifyStatus } from "../../src/shared/validators.js";
import { refused } from "./refused.js";

const R = "users.fullName";

describe("the phases in order", () => {
  test.each<[Phase, number, Phase | null, Phase | null]>([
    ["schema", 0, "dualWrite", null],
    ["dualWrite", 1, "backfill", "schema"],
    ["backfill", 2, "readNew", "dualWrite"],
    ["readNew", 3, "complete", "backfill"],
    // complete is final: no phase after it, and no way back from it.
    ["complete", 4, null, null],
  ])("%s: index %i, next %s, back %s", (phase, index, next, back) => {
    expect(phaseIndex(phase)).toBe(index);
    expect(nextPhase(phase)).toBe(next);
    expect(previousPhase(phase)).toBe(back);
  });

  test.each([
    ...PHASES.map((p) => [p, true] as const),
    ["", false],
    ["Schema", false],
    ["read_new", false],
    ["done", false],
    ["constructor", false],
  ] as const)("isPhase(%j) is %s", (value, expected) => {
    expect(isPhase(value)).toBe(expected);
  });
});

describe("checkAdvance", () => {
  // Every (from, to) pair: one step forward moves, the same phase is a no-op, anything else is refused.
  const pairs = PHASES.flatMap((from) => PHASES.map((to) => [from, to] as const));
  test.each(pairs)("%s → %s", (from, to) => {
    const steps = phaseIndex(to) - phaseIndex(from);
    if (steps === 1) return expect(checkAdvance(R, from, to, "migrations")).toBe(true);
    if (steps === 0) return expect(checkAdvance(R, from, to, "migrations")).toBe(false);
    const data = refused(() => checkAdvance(R, from, to, "migrations"), "ImpossiblePhaseMove");
    expect(data).toMatchObject({ rollout: R, from, to });
    if (steps < 0) {
      // Backwards: the message names rollback, one phase at a time.
      expect(data.message).toContain(`npx convex run migrations:rollback '{"rollout":"${R}"}'`);
    } else {
      // A skip forward: the message names the one next phase and the command to enter it.
      const next = nextPhase(from)!;
      expect(data.message).toContain(`next is ${next}`);
      expect(data.message).toContain(
        `npx convex run migrations:advance '{"rollout":"${R}","to":"${next}"}'`,
      );
    }
  });

  test.each(["", "readnew", "done", "dualwrite ", "rollback"])(
    "refuses %j, which is not a phase, listing the phases",
    (to) => {
      const data = refused(
        () => checkAdvance(R, "dualWrite", to, "migrations"),
        "ImpossiblePhaseMove",
      );
      expect(data).toMatchObject({ rollout: R, from: "dualWrite", to });
      expect(data.message).toContain("schema → dualWrite → backfill → readNew → complete");
    },
  );

  test("the commands name the module the app exports its verbs from", () => {
    const data = refused(
      () => checkAdvance(R, "schema", "backfill", "ops/rollouts"),
      "ImpossiblePhaseMove",
    );
    expect(data.message).toContain("npx convex run ops/rollouts:advance");
  });
});

describe("checkRollback", () => {
  test.each<[Phase, Phase]>([
    ["dualWrite", "schema"],
    ["backfill", "dualWrite"],
    ["readNew", "backfill"],
  ])("%s rolls back to %s", (from, to) => {
    expect(checkRollback(R, from)).toBe(to);
  });

  test.each<[Phase, string]>([
    ["schema", "nothing to roll back"],
    ["complete", "cannot be rolled back"],
  ])("%s is refused: %s", (from, says) => {
    const data = refused(() => checkRollback(R, from), "ImpossiblePhaseMove");
    expect(data).toMatchObject({ rollout: R, from });
    expect(data.message).toContain(says);
  });
});

// ---------------------------------------------------------------------------
// Gates

const doneRun = { state: "done", isDone: true, processed: 10_000, endedAt: 2_000 } as const;
const verifyPass = (more: Partial<VerifyStatus> = {}): VerifyStatus => ({
  state: "done",
  checked: 10_000,
  mismatches: 0,
  firstMismatchIds: [],
  cursor: "users|end",
  batches: 3,
  startedAt: 3_000,
  endedAt: 4_000,
  ...more,
});
/** The facts of a rollout whose gate to readNew is open: backfill done, a clean verify since. */
const open: GateFacts = {
  rollout: R,
  backfillName: "migrations:fillFullName",
  backfill: doneRun,
  stillFailing: 0,
  hasVerify: true,
  verify: verifyPass(),
  verbs: "migrations",
};
const advanceTo = (to: Phase) =>
  `npx convex run migrations:advance '{"rollout":"${R}","to":"${to}"}'`;
const WATCH = "npx convex run migrations:status --watch";
const VERIFY = `npx convex run migrations:verify '{"rollout":"${R}"}'`;
const START = "npx convex run migrations:fillFullName";
const RESUME = `npx convex run migrations:resume '{"name":"migrations:fillFullName"}'`;
const RETRY = `npx convex run migrations:fillFullName '{"retryFailed": true}'`;
/** After a verify pass found mismatches: the backfill from the start (a verify pass follows it). */
const RESET = `npx convex run migrations:fillFullName '{"reset": true}'`;

describe("gateOf", () => {
  test.each<[string, Phase, Partial<GateFacts>, boolean, string, string]>([
    ["schema is never entered forward", "schema", {}, false, WATCH, "first phase"],
    ["dualWrite: always open", "dualWrite", {}, true, advanceTo("dualWrite"), "writesNew"],
    [
      "backfill: open, and says it starts the backfill over the whole table",
      "backfill",
      {},
      true,
      advanceTo("backfill"),
      "starts migrations:fillFullName from the beginning",
    ],
    [
      "backfill: closed while another rollout's pass of the same migration runs",
      "backfill",
      { busyWith: "users.other" },
      false,
      WATCH,
      "running as the backfill of users.other",
    ],
    [
      "complete: open without a verify pass since readNew, final, and says to verify first",
      "complete",
      { enteredReadNew: 5_000.5, verifyCreated: 2_500 },
      true,
      advanceTo("complete"),
      `final: cannot be rolled back; stop writing the old shape after it; a verify pass first (${VERIFY})`,
    ],
    [
      "complete: open, and only final, for a rollout without verify",
      "complete",
      { hasVerify: false, verify: null, enteredReadNew: 5_000.5 },
      true,
      advanceTo("complete"),
      "final: cannot be rolled back; stop writing the old shape after it",
    ],
    [
      "complete: open after a clean verify pass since readNew",
      "complete",
      { enteredReadNew: 5_000.5, verifyCreated: 5_000.75 },
      true,
      advanceTo("complete"),
      "verify found no mismatch in 10,000 documents since readNew; final",
    ],
    [
      "complete: closed while a verify pass since readNew runs",
      "complete",
      {
        enteredReadNew: 5_000.5,
        verifyCreated: 5_000.75,
        verify: verifyPass({ state: "running", checked: 500, endedAt: undefined }),
      },
      false,
      WATCH,
      "the verify pass is running after 500 documents",
    ],
    [
      "complete: closed when a verify pass since readNew found documents not in the new shape",
      "complete",
      {
        enteredReadNew: 5_000.5,
        verifyCreated: 5_000.75,
        verify: verifyPass({ mismatches: 1, firstMismatchIds: ["u9"] }),
      },
      false,
      `npx convex run migrations:rollback '{"rollout":"${R}","reason":"verify found documents not in the new shape"}'`,
      "verify found 1 document not in the new shape (first: u9); fix the backfill or the " +
        "writes, then roll back to backfill, where the backfill converts them from the old shape",
    ],
    [
      "complete: those mismatches, after the backfill ran again: verify again",
      "complete",
      {
        enteredReadNew: 5_000.5,
        verifyCreated: 5_000.75,
        verify: verifyPass({ mismatches: 1, firstMismatchIds: ["u9"] }),
        backfillRanSinceVerify: true,
      },
      false,
      VERIFY,
      "has run since it started: verify again",
    ],
    [
      "complete: closed while the ledger holds documents of the backfill",
      "complete",
      { enteredReadNew: 5_000.5, stillFailing: 2 },
      false,
      RETRY,
      "2 documents of the backfill failed",
    ],
    [
      "readNew: open",
      "readNew",
      {},
      true,
      advanceTo("readNew"),
      "verify found no mismatch in 10,000",
    ],
    [
      "readNew without a verify function: the backfill is enough",
      "readNew",
      { hasVerify: false, verify: null },
      true,
      advanceTo("readNew"),
      "done over the whole table",
    ],
    [
      "readNew: the backfill never started",
      "readNew",
      { backfill: null },
      false,
      START,
      "has not started",
    ],
    [
      "readNew: the backfill is running",
      "readNew",
      { backfill: { state: "running", isDone: false, processed: 4_200 } },
      false,
      WATCH,
      "is running after 4,200 documents",
    ],
    [
      "readNew: the backfill is paused",
      "readNew",
      { backfill: { state: "paused", isDone: false, processed: 10 } },
      false,
      RESUME,
      "is paused after 10 documents",
    ],
    [
      "readNew: the backfill failed",
      "readNew",
      { backfill: { state: "failed", isDone: false, processed: 10 } },
      false,
      START,
      "is failed after 10 documents",
    ],
    [
      "readNew: the backfill was canceled",
      "readNew",
      { backfill: { state: "canceled", isDone: false, processed: 0 } },
      false,
      START,
      "is canceled before its first document",
    ],
    [
      "readNew: one document still in the failure ledger",
      "readNew",
      { stillFailing: 1 },
      false,
      RETRY,
      "1 document of the backfill failed and is still",
    ],
    [
      "readNew: documents still in the failure ledger, even with a clean verify",
      "readNew",
      { stillFailing: 100 },
      false,
      RETRY,
      "100 documents of the backfill failed and are still",
    ],
    [
      "readNew: the backfill was renamed since the rollout entered backfill",
      "readNew",
      { renamedFrom: "migrations:oldFill" },
      false,
      advanceTo("backfill"),
      "renamed from migrations:oldFill to migrations:fillFullName",
    ],
    [
      "readNew: no verify pass yet",
      "readNew",
      { verify: null },
      false,
      VERIFY,
      "no verify pass has started since the backfill finished",
    ],
    [
      "readNew: the verify pass started before the backfill ended",
      "readNew",
      { verify: verifyPass({ startedAt: 1_999 }) },
      false,
      VERIFY,
      "no verify pass has started since the backfill finished",
    ],
    [
      "readNew: the verify pass was created before the rollout last entered backfill (a rollback)",
      "readNew",
      { enteredBackfill: 5_000.5, verifyCreated: 4_000.25 },
      false,
      VERIFY,
      "the verify pass started before the rollout last entered backfill",
    ],
    [
      "readNew: the verify pass was created after the rollout last entered backfill",
      "readNew",
      { enteredBackfill: 5_000.5, verifyCreated: 5_000.75 },
      true,
      advanceTo("readNew"),
      "verify found no mismatch",
    ],
    [
      "readNew: the verify pass is running",
      "readNew",
      { verify: verifyPass({ state: "running", checked: 500, endedAt: undefined }) },
      false,
      WATCH,
      "the verify pass is running after 500 documents",
    ],
    [
      "readNew: the verify pass failed",
      "readNew",
      { verify: verifyPass({ state: "failed", checked: 500 }) },
      false,
      VERIFY,
      "the verify pass is failed after 500 documents",
    ],
    [
      "readNew: the verify pass found mismatches",
      "readNew",
      { verify: verifyPass({ mismatches: 2, firstMismatchIds: ["u1", "u2"] }) },
      false,
      RESET,
      "verify found 2 documents not in the new shape (first: u1, u2)",
    ],
    [
      "readNew: mismatches, but the backfill ran since the pass started: verify again",
      "readNew",
      {
        verify: verifyPass({ mismatches: 2, firstMismatchIds: ["u1", "u2"] }),
        backfillRanSinceVerify: true,
      },
      false,
      VERIFY,
      "but migrations:fillFullName has run since it started: verify again",
    ],
    [
      "readNew: one mismatch is one document",
      "readNew",
      { verify: verifyPass({ mismatches: 1, firstMismatchIds: ["u1"] }) },
      false,
      RESET,
      "verify found 1 document not in the new shape (first: u1)",
    ],
  ])("%s", (_name, to, facts, isOpen, command, detail) => {
    const { detail: says, ...gate } = gateOf(to, { ...open, ...facts });
    expect(gate).toEqual({ to, open: isOpen, command });
    expect(says).toContain(detail);
  });

  // The order the facts are looked at: each row adds a fact that would close the gate
  // to the facts of the rows below it, and must be the one the gate names.
  test.each<[string, Partial<GateFacts>, string]>([
    [
      "a renamed backfill comes first",
      { renamedFrom: "migrations:oldFill", backfill: null, stillFailing: 3, verify: null },
      "renamed",
    ],
    ["then the backfill run", { backfill: null, stillFailing: 3, verify: null }, "has not started"],
    ["then the ledger", { stillFailing: 3, verify: null }, "failure ledger"],
    ["then the verify pass", { verify: null }, "no verify pass"],
  ])("readNew: %s", (_name, facts, detail) => {
    expect(gateOf("readNew", { ...open, ...facts }).detail).toContain(detail);
  });

  test("the ledger keeps the gate closed for a backfill without verify too", () => {
    const gate = gateOf("readNew", { ...open, hasVerify: false, verify: null, stillFailing: 2 });
    expect(gate.open).toBe(false);
    expect(gate.command).toBe(RETRY);
  });

  test("busyWith closes only the gate to backfill", () => {
    for (const to of PHASES.filter((p) => p !== "backfill")) {
      expect(gateOf(to, { ...open, busyWith: "users.other" })).toEqual(gateOf(to, open));
    }
  });

  test("every command names the verbs module, and JSON-quotes the rollout name", () => {
    const odd = `users."quoted"`;
    const gate = gateOf("dualWrite", { ...open, rollout: odd, verbs: "admin/verbs" });
    expect(gate.command).toBe(
      `npx convex run admin/verbs:advance '${JSON.stringify({ rollout: odd, to: "dualWrite" })}'`,
    );
  });
});
