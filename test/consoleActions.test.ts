/**
 * The console offers only what a state allows (src/react/allowed.ts), for
 * every run state and every phase; the browser tests show the buttons.
 */
import { describe, expect, test } from "vitest";
import type { MigrationStatus, Phase, RolloutStatus, RunState } from "../src/client/index.js";
import { MAX_PARALLELISM } from "../src/component/sliceDecisions.js";
import { checkParallelism } from "../src/shared/errors.js";
import { rolloutActions, runActions } from "../src/react/allowed.js";
import { checkParallelismInput } from "../src/react/inputs.js";

function run(overrides: Partial<MigrationStatus> = {}): MigrationStatus {
  return {
    name: "migrations:fillNameParts",
    runId: "r1",
    state: "running",
    mode: "all",
    isDone: false,
    processed: 100,
    changed: 100,
    failed: 0,
    failures: [],
    onError: "stop",
    batches: 1,
    batchSize: 100,
    adaptive: true,
    delayMs: 0,
    rate: null,
    estimatedTotal: null,
    percent: null,
    etaMs: null,
    cursor: null,
    startedAt: 0,
    attemptStartedAt: 0,
    next: [],
    commands: {
      watch: "",
      start: "",
      cancel: "",
      pause: "",
      resume: "",
      startOver: "",
      retryFailed: "",
    },
    ...overrides,
  };
}

const failure = { documentId: "d1", error: "bad", at: 0 };

describe("a run offers", () => {
  test.each<[RunState, Partial<MigrationStatus>, string[]]>([
    ["running", {}, ["pause", "throttle", "cancel"]],
    ["running", { error: "Retry 2 of 5 after: boom" }, ["pause", "throttle", "cancel"]],
    [
      "running",
      { error: "Recovering: its scheduled batch failed. The monitor retries it within a minute" },
      ["resume", "pause", "throttle", "cancel"],
    ],
    ["paused", {}, ["resume", "throttle", "cancel"]],
    ["failed", { error: "migrateOne threw" }, ["resume", "throttle"]],
    ["canceled", {}, ["resume", "throttle"]],
    ["done", { isDone: true }, []],
    ["done", { isDone: true, failures: [failure] }, ["retryFailed"]],
    ["done", { isDone: true, mode: "retryFailed", failures: [failure] }, ["retryFailed"]],
  ])("%s %j: %j", (state, overrides, expected) => {
    expect(runActions(run({ state, ...overrides }))).toEqual(expected);
  });

  test.each<[RunState, Partial<MigrationStatus>, string[]]>([
    ["running", {}, ["pause", "throttle", "parallelism", "cancel"]],
    [
      "running",
      { error: "Recovering: no driver" },
      ["resume", "pause", "throttle", "parallelism", "cancel"],
    ],
    ["paused", {}, ["resume", "throttle", "parallelism", "cancel"]],
    ["failed", { error: "migrateOne threw" }, ["resume", "throttle"]],
    ["canceled", {}, ["resume", "throttle"]],
    ["done", { isDone: true }, []],
  ])("a parallel run, %s %j: %j", (state, overrides, expected) => {
    expect(runActions(run({ state, parallelism: 4, ...overrides }))).toEqual(expected);
  });

  test("nothing for a verify pass, which its rollout steers", () => {
    for (const state of ["running", "paused", "done", "failed", "canceled"] as const) {
      expect(runActions(run({ state, mode: "verify" }))).toEqual([]);
    }
  });
});

function rollout(phase: Phase, overrides: Partial<RolloutStatus> = {}): RolloutStatus {
  const order: Phase[] = ["schema", "dualWrite", "backfill", "readNew", "complete"];
  const to = order[order.indexOf(phase) + 1];
  return {
    name: "users.splitName",
    phase,
    next: to ? { to, open: true, detail: "ok", command: "npx convex run …" } : null,
    backfill: { name: "migrations:fillNameParts", run: null },
    hasVerify: true,
    verify: null,
    transitions: [],
    updatedAt: 0,
    ...overrides,
  };
}

describe("a rollout offers", () => {
  test("advance to the next phase, enabled only with the gate open; none once complete", () => {
    expect(rolloutActions(rollout("schema")).advance).toMatchObject({
      to: "dualWrite",
      open: true,
      final: false,
    });
    const closed = rollout("backfill", {
      next: { to: "readNew", open: false, detail: "the backfill is running", command: "" },
    });
    expect(rolloutActions(closed).advance).toEqual({
      to: "readNew",
      open: false,
      why: "the backfill is running",
      final: false,
    });
    expect(rolloutActions(rollout("readNew")).advance).toMatchObject({
      to: "complete",
      final: true,
    });
    expect(rolloutActions(rollout("complete")).advance).toBeNull();
  });

  test("rollback one phase back, never from schema or complete", () => {
    expect(rolloutActions(rollout("schema")).rollback).toBeNull();
    expect(rolloutActions(rollout("dualWrite")).rollback).toEqual({ to: "schema" });
    expect(rolloutActions(rollout("backfill")).rollback).toEqual({ to: "dualWrite" });
    expect(rolloutActions(rollout("readNew")).rollback).toEqual({ to: "backfill" });
    expect(rolloutActions(rollout("complete")).rollback).toBeNull();
  });

  test("a verify pass once the backfill is done, with a check, and none running", () => {
    const done = { name: "migrations:fillNameParts", run: run({ state: "done", isDone: true }) };
    const running = { name: "migrations:fillNameParts", run: run() };
    const pass = (state: RunState) => ({
      state,
      checked: 1,
      mismatches: 0,
      firstMismatchIds: [],
      cursor: null,
      batches: 1,
      startedAt: 0,
    });
    expect(rolloutActions(rollout("dualWrite")).verify).toBe(false);
    expect(rolloutActions(rollout("backfill", { backfill: running })).verify).toBe(false);
    expect(rolloutActions(rollout("backfill", { backfill: done })).verify).toBe(true);
    expect(
      rolloutActions(rollout("backfill", { backfill: done, verify: pass("running") })).verify,
    ).toBe(false);
    expect(rolloutActions(rollout("readNew", { verify: pass("done") })).verify).toBe(true);
    expect(rolloutActions(rollout("readNew", { hasVerify: false })).verify).toBe(false);
  });
});

describe("the slices an operator types", () => {
  test("a whole number from 1 to the engine's maximum is sent as a number", () => {
    expect(checkParallelismInput("4")).toEqual({ ok: true, value: 4 });
    expect(checkParallelismInput(" 1 ")).toEqual({ ok: true, value: 1 });
    expect(checkParallelismInput(String(MAX_PARALLELISM))).toEqual({
      ok: true,
      value: MAX_PARALLELISM,
    });
  });

  test.each([
    ["", "Enter how many slices to run at once: a whole number from 1 to 32."],
    ["   ", "Enter how many slices to run at once: a whole number from 1 to 32."],
    ["abc", "Slices at once must be a whole number from 1 to 32; got abc."],
    ["2.5", "Slices at once must be a whole number from 1 to 32; got 2.5."],
    ["0", "Slices at once must be a whole number from 1 to 32; got 0."],
    ["-3", "Slices at once must be a whole number from 1 to 32; got -3."],
    [
      "33",
      "Slices at once must be a whole number from 1 to 32; got 33. 32 is the most the engine keeps live.",
    ],
  ])("%j is refused: %s", (typed, message) => {
    expect(checkParallelismInput(typed)).toEqual({ ok: false, message });
  });

  test("lets through exactly what the engine accepts", () => {
    const typed = [
      "-1",
      "0",
      "0.5",
      "1",
      "1.0",
      "2",
      "7.25",
      "31",
      "32",
      "33",
      "100",
      "1e1",
      "NaN",
    ];
    for (let k = -2; k <= MAX_PARALLELISM + 2; k++) typed.push(String(k));
    for (const text of typed) {
      const engine = (() => {
        try {
          checkParallelism(Number(text), MAX_PARALLELISM);
          return true;
        } catch {
          return false;
        }
      })();
      expect(checkParallelismInput(text).ok, text).toBe(engine);
    }
  });
});
