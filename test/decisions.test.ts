/**
 * The engine's decisions as pure functions, table by table: what a start does
 * given the live state, what a failed batch means for its run, how big the
 * next batch is, whether a running run is driven, what limits the app's batch
 * runs under, and the one spelling of a migration's name.
 */
import { describe, expect, test } from "vitest";
import {
  ACTION_LEASE_MS,
  MAX_BATCH_RETRIES,
  RETRY_BACKOFF_MS,
  afterBatchFailure,
  decideStart,
  driverOf,
  nextSizeAfterSuccess,
  type StartFacts,
} from "../src/component/decisions.js";
import { BOOKKEEPING_RESERVE, nestedBatchLimits, type Usage } from "../src/shared/limits.js";
import { canonicalName } from "../src/shared/names.js";

const never: StartFacts = {
  live: null,
  passed: false,
  reset: false,
  cursorGiven: false,
  retry: false,
  laterRunning: null,
};
const live = (state: "running" | "paused" | "done" | "failed" | "canceled", more = {}) => ({
  state,
  isDone: state === "done",
  driven: true,
  ...more,
});

describe("decideStart", () => {
  test.each<[string, Partial<StartFacts>, ReturnType<typeof decideStart>]>([
    ["never ran", {}, { kind: "new", fullPass: true }],
    ["never ran, from a cursor", { cursorGiven: true }, { kind: "new", fullPass: false }],
    ["never ran, a retry", { retry: true }, { kind: "refuseRetry", reason: "neverRan" }],
    ["running and driven", { live: live("running") }, { kind: "keep" }],
    [
      "running, nothing drives it",
      { live: live("running", { driven: false }) },
      { kind: "revive" },
    ],
    [
      "running, with reset: never a second run",
      { live: live("running"), reset: true },
      { kind: "keep" },
    ],
    ["paused", { live: live("paused") }, { kind: "resume" }],
    ["failed", { live: live("failed") }, { kind: "resume" }],
    ["canceled", { live: live("canceled") }, { kind: "resume" }],
    [
      "canceled, with reset",
      { live: live("canceled"), reset: true },
      { kind: "new", fullPass: true },
    ],
    ["done", { live: live("done"), passed: true }, { kind: "next" }],
    [
      "done, with reset",
      { live: live("done"), passed: true, reset: true },
      { kind: "new", fullPass: true },
    ],
    [
      "done, a retry of its ledger",
      { live: live("done"), passed: true, retry: true },
      { kind: "new", fullPass: false },
    ],
    [
      "a retry while the pass runs",
      { live: live("running"), retry: true },
      { kind: "refuseRetry", reason: "unfinished" },
    ],
    [
      "a retry while the pass is paused",
      { live: live("paused"), retry: true },
      { kind: "refuseRetry", reason: "unfinished" },
    ],
    [
      "a retry while the pass has failed",
      { live: live("failed"), retry: true },
      { kind: "refuseRetry", reason: "unfinished" },
    ],
    [
      "a retry run done with no pass before it (left by an older version), retried",
      { live: live("done", { retryFailed: true }), retry: true },
      { kind: "refuseRetry", reason: "neverPassed" },
    ],
    [
      "a retry run done with no pass before it: a start makes the pass, not `next`",
      { live: live("done", { retryFailed: true }) },
      { kind: "new", fullPass: true },
    ],
    [
      "a retry run done after a pass: a start moves on",
      { live: live("done", { retryFailed: true }), passed: true },
      { kind: "next" },
    ],
    [
      "a retry run paused, resumed",
      { live: live("paused", { retryFailed: true }) },
      { kind: "resume" },
    ],
    [
      "a retry run done, retried again",
      { live: live("done", { retryFailed: true }), passed: true, retry: true },
      { kind: "new", fullPass: false },
    ],
    ["a later member runs", { laterRunning: "m:b" }, { kind: "busy", running: "m:b" }],
    [
      "a later member runs, this one done",
      { live: live("done"), passed: true, laterRunning: "m:b" },
      { kind: "busy", running: "m:b" },
    ],
    [
      "this one runs, and a later one too: keep this one",
      { live: live("running"), laterRunning: "m:b" },
      { kind: "keep" },
    ],
  ])("%s", (_, facts, decision) => {
    expect(decideStart({ ...never, ...facts })).toEqual(decision);
  });
});

describe("afterBatchFailure", () => {
  test("a document that throws with onError stop fails the run at once, whatever the retries", () => {
    expect(afterBatchFailure({ batchSize: 100 }, { kind: "fatal", error: "bad doc" })).toEqual({
      kind: "fail",
      error: "bad doc",
    });
  });

  test("a limit retries the same cursor at once, a quarter the size, with a ceiling of half", () => {
    expect(afterBatchFailure({ batchSize: 400 }, { kind: "limit", error: "too much" })).toEqual({
      kind: "retry",
      batchSize: 100,
      ceiling: 200,
      retries: 0,
      delayMs: 0,
      note: "Retrying a smaller batch after: too much",
    });
    // An earlier, lower ceiling stays.
    const again = afterBatchFailure({ batchSize: 100, ceiling: 30 }, { kind: "limit", error: "" });
    expect(again).toMatchObject({ batchSize: 25, ceiling: 30 });
  });

  test("a limit on a batch of one fails the run: no smaller batch exists", () => {
    const decision = afterBatchFailure({ batchSize: 1 }, { kind: "limit", error: "too much" });
    expect(decision.kind).toBe("fail");
    expect(decision.kind === "fail" && decision.error).toMatch(/batch of one document/);
  });

  test("a batch that fails as a whole is retried smaller after a growing backoff, then the run fails", () => {
    const delays: number[] = [];
    let run = { batchSize: 256, retries: 0 };
    for (;;) {
      const decision = afterBatchFailure(run, { kind: "batch", error: "timed out" });
      if (decision.kind === "fail") {
        expect(decision.error).toBe(
          `Stopped after ${MAX_BATCH_RETRIES + 1} failed attempts at the same batch: timed out`,
        );
        break;
      }
      delays.push(decision.delayMs);
      expect(decision.batchSize).toBe(Math.max(1, Math.floor(run.batchSize / 4)));
      run = { batchSize: decision.batchSize, retries: decision.retries };
    }
    expect(delays).toEqual([1, 4, 16, 64, 256].map((n) => n * RETRY_BACKOFF_MS));
    expect(delays).toHaveLength(MAX_BATCH_RETRIES);
  });

  test("a lost driver is driven again at once, same size, a bounded number of times", () => {
    expect(afterBatchFailure({ batchSize: 50 }, { kind: "driver", error: "gone" })).toMatchObject({
      kind: "retry",
      batchSize: 50,
      delayMs: 0,
      retries: 1,
    });
    expect(
      afterBatchFailure(
        { batchSize: 50, retries: MAX_BATCH_RETRIES },
        { kind: "driver", error: "" },
      ).kind,
    ).toBe("fail");
  });
});

describe("nextSizeAfterSuccess", () => {
  const idle: Usage = {
    bytesRead: 0,
    documentsRead: 0,
    databaseQueries: 0,
    bytesWritten: 0,
    documentsWritten: 0,
  };
  test("an adaptive run grows at most 4x and never past its ceiling", () => {
    expect(nextSizeAfterSuccess({ batchSize: 100, adaptive: true }, idle, 100)).toBe(400);
    expect(nextSizeAfterSuccess({ batchSize: 100, adaptive: true, ceiling: 150 }, idle, 100)).toBe(
      150,
    );
  });
  test("a fixed size stays; shrunk by a failure, it grows back to it gradually, under the ceiling", () => {
    const fixed = { adaptive: false, fixedBatchSize: 500 };
    expect(nextSizeAfterSuccess({ ...fixed, batchSize: 500 }, idle, 500)).toBe(500);
    expect(nextSizeAfterSuccess({ ...fixed, batchSize: 25 }, idle, 25)).toBe(100);
    expect(nextSizeAfterSuccess({ ...fixed, batchSize: 200 }, idle, 200)).toBe(500);
    expect(nextSizeAfterSuccess({ ...fixed, batchSize: 25, ceiling: 60 }, idle, 25)).toBe(60);
  });
});

describe("driverOf", () => {
  const now = 1_000_000;
  test.each([
    ["a pending batch", { jobId: "j" }, { kind: "pending" }, true],
    ["a batch in progress", { jobId: "j" }, { kind: "inProgress" }, true],
    ["a batch that failed as a whole", { jobId: "j" }, { kind: "failed" }, false],
    ["a batch canceled from outside", { jobId: "j" }, { kind: "canceled" }, false],
    ["a batch that ended without a successor", { jobId: "j" }, { kind: "success" }, false],
    ["a batch whose record is gone", { jobId: "j" }, { kind: "missing" }, false],
    ["an action within its lease", { leaseUntil: now + 1 }, null, true],
    ["an action past its lease", { leaseUntil: now - 1 }, null, false],
    ["nothing at all", {}, null, false],
  ] as const)("%s", (_, run, job, driven) => {
    expect(driverOf(run, job, now).driven).toBe(driven);
  });

  test("a failed batch is a batch failure (retried smaller); a lost job is a driver failure", () => {
    const failed = driverOf({ jobId: "j" }, { kind: "failed", error: "boom" }, now);
    expect(failed).toEqual({
      driven: false,
      failure: { kind: "batch", error: "a scheduled batch failed as a whole: boom" },
    });
    const canceled = driverOf({ jobId: "j" }, { kind: "canceled" }, now);
    expect(!canceled.driven && canceled.failure.kind).toBe("driver");
  });

  test("the lease is long enough for a batch and short enough to notice a dead action", () => {
    expect(ACTION_LEASE_MS).toBeGreaterThanOrEqual(60_000);
    expect(ACTION_LEASE_MS).toBeLessThanOrEqual(10 * 60_000);
  });
});

describe("nestedBatchLimits", () => {
  test("under Convex's limits, the batch gets all but the bookkeeping reserve", () => {
    const remaining: Usage = {
      bytesRead: 16 * 1024 * 1024,
      documentsRead: 32_000,
      databaseQueries: 4_096,
      bytesWritten: 16 * 1024 * 1024,
      documentsWritten: 16_000,
    };
    const limits = nestedBatchLimits(remaining);
    for (const key of Object.keys(remaining) as (keyof Usage)[]) {
      expect(limits[key]).toBe(remaining[key] - BOOKKEEPING_RESERVE[key]);
    }
  });
  test("under scaled-down limits, the reserve is at most a fifth; never below one", () => {
    const limits = nestedBatchLimits({
      bytesRead: 1_000,
      documentsRead: 60,
      databaseQueries: 0,
      bytesWritten: 100,
      documentsWritten: -5,
    });
    expect(limits).toEqual({
      bytesRead: 800,
      documentsRead: 48,
      databaseQueries: 1,
      bytesWritten: 80,
      documentsWritten: 1,
    });
  });
});

describe("canonicalName", () => {
  test.each([
    ["migrations:setDefault", "migrations:setDefault"],
    ["migrations.js:setDefault", "migrations:setDefault"],
    ["migrations.ts:setDefault", "migrations:setDefault"],
    ["./migrations:setDefault", "migrations:setDefault"],
    [" migrations:setDefault ", "migrations:setDefault"],
    ["dir/migrations.js:setDefault", "dir/migrations:setDefault"],
    ["migrations.js:", "migrations:default"],
    ["setDefault", "setDefault"],
  ])("%s → %s", (name, canonical) => {
    expect(canonicalName(name)).toBe(canonical);
  });
});
