/**
 * The engine's decisions, as pure functions of what it knows: what a start
 * does given the live state of a migration, what a batch's outcome means for
 * its run, and whether a running run still has something driving it. The
 * mutations in start.ts, batch.ts and monitor.ts read the facts, ask these,
 * and apply the answer; decisions.test.ts checks them table by table.
 */
import { MAX_GROWTH, nextBatchSize, shrunkBatchSize, type Usage } from "../shared/limits.js";
import type { RunState } from "../shared/validators.js";

/** A batch that failed for a reason other than its size is retried this many times, then the run fails. */
export const MAX_BATCH_RETRIES = 5;
/** The first retry waits this long; each next one four times longer (1 s, 4 s, 16 s, 64 s, 256 s). */
export const RETRY_BACKOFF_MS = 1_000;
/** How often the monitor looks at running runs, while there are any. */
export const MONITOR_INTERVAL_MS = 60_000;
/**
 * How long an action driving a run (`runToCompletion`) holds it after its last
 * batch. Past that, the monitor drives the run itself.
 */
export const ACTION_LEASE_MS = 120_000;

// ---------------------------------------------------------------------------
// Starting

export type StartFacts = {
  /** The migration's latest run, if any, and whether something drives it. */
  live: {
    state: RunState;
    isDone: boolean;
    retryFailed?: boolean;
    driven: boolean;
  } | null;
  /**
   * A run of the migration has gone over its whole range: a full pass finished (the
   * `migrations` row's `clearedPass`), or the latest run is a finished pass over the range (one
   * started at a cursor counts: whoever gave the cursor said where the range begins). A finished
   * retry of the ledger alone is not one: it went over the ledger, not the range.
   */
  passed: boolean;
  reset: boolean;
  cursorGiven: boolean;
  retry: boolean;
  /** A later migration of the requested chain that is running now, if any. */
  laterRunning: string | null;
};

export type StartDecision =
  /**
   * A retry of the ledger before a pass over the range has filled it: the migration never ran
   * (`neverRan`), its pass has not finished (`unfinished`), or only retries ever finished
   * (`neverPassed`, a state left by versions that let a retry run first).
   */
  | { kind: "refuseRetry"; reason: "neverRan" | "unfinished" | "neverPassed" }
  /** A later member of the chain is running: starting this one would run two at once. */
  | { kind: "busy"; running: string }
  /** Running with a live driver: keep it (take the chain and the current handle). */
  | { kind: "keep" }
  /** Running, but nothing drives it any more: drive it again, at its cursor. */
  | { kind: "revive" }
  /** Done over the whole range, and not asked to start over: on to the next migration of the chain. */
  | { kind: "next" }
  /** Paused, failed or canceled: the same run continues at its cursor. */
  | { kind: "resume" }
  /** A new run. A full pass starts at the beginning of the range and is not a retry. */
  | { kind: "new"; fullPass: boolean };

export function decideStart(facts: StartFacts): StartDecision {
  const { live, retry } = facts;
  // A retry runs the ledger a pass over the range fills; before one, an empty retry would
  // finish `done` and every later start would take the migration for migrated.
  if (retry) {
    if (live === null) return { kind: "refuseRetry", reason: "neverRan" };
    if (!live.isDone && !live.retryFailed) return { kind: "refuseRetry", reason: "unfinished" };
    if (!facts.passed) return { kind: "refuseRetry", reason: "neverPassed" };
  }
  if (live?.state === "running") return live.driven ? { kind: "keep" } : { kind: "revive" };
  if (facts.laterRunning !== null) return { kind: "busy", running: facts.laterRunning };
  // A retry of the ledger is a run of its own: it never resumes the main pass,
  // and a finished retry is followed by a new one.
  const resumable = live !== null && !(retry && (!live.retryFailed || live.isDone));
  const fresh = !resumable || facts.reset || facts.cursorGiven;
  // Done means done over the range: a finished retry with no pass before it is not.
  if (!fresh && live.isDone && !facts.passed) return { kind: "new", fullPass: true };
  if (!fresh && live.isDone) return { kind: "next" };
  if (!fresh) return { kind: "resume" };
  return { kind: "new", fullPass: !retry && !facts.cursorGiven };
}

// ---------------------------------------------------------------------------
// After a batch

/** Why a batch did not commit. */
export type BatchFailure =
  /**
   * Retrying would fail the same way, so a person must act: migrateOne threw
   * on a document and the run stops on errors, or the package refused the
   * batch (a cursor that no longer parses, a verify check no longer declared).
   */
  | { kind: "fatal"; error: string }
  /** The batch reached one of Convex's per-transaction limits: its size is the cause. */
  | { kind: "limit"; error: string }
  /**
   * The batch failed as a whole for another reason: a timeout, a function
   * removed by a deploy, a transient error. Its size may be the cause.
   */
  | { kind: "batch"; error: string }
  /** Nothing failed, but nothing drives the run any more (a job canceled or lost, an action gone). */
  | { kind: "driver"; error: string };

export type SizedRun = {
  batchSize: number;
  ceiling?: number;
  retries?: number;
};

export type FailureDecision =
  | {
      kind: "retry";
      batchSize: number;
      ceiling?: number;
      retries: number;
      delayMs: number;
      /** Kept on the run while it retries, so status says what happened. */
      note: string;
    }
  | { kind: "fail"; error: string };

export function afterBatchFailure(run: SizedRun, failure: BatchFailure): FailureDecision {
  const retries = run.retries ?? 0;
  switch (failure.kind) {
    case "fatal":
      return { kind: "fail", error: failure.error };
    case "limit": {
      if (run.batchSize <= 1) {
        return {
          kind: "fail",
          error:
            `A batch of one document reached a Convex limit: ${failure.error} ` +
            `migrateOne does too much for a single transaction on this document; make it ` +
            `do less (or move the work to an action), then start the migration again.`,
        };
      }
      // Same cursor, smaller, at once: the failed attempt wrote nothing, and the
      // ceiling keeps the run from growing back into the same failure.
      return {
        kind: "retry",
        batchSize: shrunkBatchSize(run.batchSize),
        ceiling: Math.min(run.ceiling ?? Number.POSITIVE_INFINITY, halfOf(run.batchSize)),
        retries,
        delayMs: 0,
        note: `Retrying a smaller batch after: ${failure.error}`,
      };
    }
    case "batch":
    case "driver": {
      if (retries >= MAX_BATCH_RETRIES) {
        return {
          kind: "fail",
          error: `Stopped after ${retries + 1} failed attempts at the same batch: ${failure.error}`,
        };
      }
      const smaller = failure.kind === "batch" && run.batchSize > 1;
      return {
        kind: "retry",
        batchSize: smaller ? shrunkBatchSize(run.batchSize) : run.batchSize,
        ceiling: smaller
          ? Math.min(run.ceiling ?? Number.POSITIVE_INFINITY, halfOf(run.batchSize))
          : run.ceiling,
        retries: retries + 1,
        delayMs: failure.kind === "batch" ? RETRY_BACKOFF_MS * 4 ** retries : 0,
        note: `Retry ${retries + 1} of ${MAX_BATCH_RETRIES} after: ${failure.error}`,
      };
    }
  }
}

/** The size of the next batch after one that committed. */
export function nextSizeAfterSuccess(
  run: SizedRun & { adaptive: boolean; fixedBatchSize?: number },
  used: Usage,
  processed: number,
): number {
  const ceiling = run.ceiling ?? Number.POSITIVE_INFINITY;
  if (run.adaptive) return Math.min(ceiling, nextBatchSize(run.batchSize, used, processed));
  // A fixed size shrunk by a failure grows back to what was asked, gradually.
  const fixed = run.fixedBatchSize ?? run.batchSize;
  return Math.max(1, Math.min(fixed, ceiling, run.batchSize * MAX_GROWTH));
}

function halfOf(size: number): number {
  return Math.max(1, Math.floor(size / 2));
}

// ---------------------------------------------------------------------------
// Is it driven?

/** The scheduler's record of a run's pending batch, as the monitor reads it. */
export type JobRecord =
  | { kind: "pending" | "inProgress" | "success" | "canceled" }
  | { kind: "failed"; error?: string }
  /** No record: never scheduled here, or a finished job past the scheduler's retention. */
  | { kind: "missing" };

export type Driver = { driven: true } | { driven: false; failure: BatchFailure };

/**
 * Whether a running run has exactly what it needs to go on: a scheduled batch
 * that has not ended, or an action whose lease has not run out. It never
 * trusts the scheduler's history to say a run is alive: a record that is gone
 * counts as a batch that ended.
 */
export function driverOf(
  run: { jobId?: string; leaseUntil?: number },
  job: JobRecord | null,
  now: number,
): Driver {
  if (run.jobId === undefined || job === null) {
    if (run.leaseUntil !== undefined && run.leaseUntil > now) return { driven: true };
    return {
      driven: false,
      failure: {
        kind: "driver",
        error: "the action driving it stopped before the end (runToCompletion interrupted)",
      },
    };
  }
  switch (job.kind) {
    case "pending":
    case "inProgress":
      return { driven: true };
    case "failed":
      return {
        driven: false,
        failure: {
          kind: "batch",
          error: `a scheduled batch failed as a whole: ${job.error ?? "the scheduler recorded no reason"}`,
        },
      };
    case "missing":
      return {
        driven: false,
        failure: {
          kind: "batch",
          error: "its scheduled batch ended and its record is gone from the scheduler",
        },
      };
    case "canceled":
      return {
        driven: false,
        failure: { kind: "driver", error: "its scheduled batch was canceled from outside" },
      };
    case "success":
      return {
        driven: false,
        failure: { kind: "driver", error: "its scheduled batch ended without scheduling the next" },
      };
  }
}
