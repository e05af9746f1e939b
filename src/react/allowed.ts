/**
 * Which actions a run's or a rollout's state allows: the console offers
 * these and no others. Pure functions of status, so they are tested without a
 * browser (test/consoleActions.test.ts).
 */
import type { MigrationStatus, Phase, RolloutStatus } from "../shared/validators.js";

export type RunAction = "pause" | "resume" | "throttle" | "parallelism" | "cancel" | "retryFailed";

/** A run whose driver is gone says so; `resume` drives it again at once. */
export function isRecovering(run: MigrationStatus): boolean {
  return run.state === "running" && (run.error ?? "").startsWith("Recovering:");
}

/**
 * - running: pause, throttle, cancel (and resume, which retries now, when it is recovering);
 * - paused: resume, throttle, cancel;
 * - failed or canceled: resume at the cursor, throttle first if wanted;
 * - done: retry the failure ledger, when it has documents.
 * A parallel run that is running or paused also sets how many slices it keeps
 * live; a run of one chain cannot (its cursor covers the whole range, and the
 * engine refuses). A verify pass is steered from its rollout.
 */
export function runActions(run: MigrationStatus): RunAction[] {
  if (run.mode === "verify") return [];
  const slices: RunAction[] = run.parallelism === undefined ? [] : ["parallelism"];
  switch (run.state) {
    case "running":
      return isRecovering(run)
        ? ["resume", "pause", "throttle", ...slices, "cancel"]
        : ["pause", "throttle", ...slices, "cancel"];
    case "paused":
      return ["resume", "throttle", ...slices, "cancel"];
    case "failed":
    case "canceled":
      return ["resume", "throttle"];
    case "done":
      return run.failures.length > 0 ? ["retryFailed"] : [];
    case "unknown":
      return [];
  }
}

export type RolloutActions = {
  /** The next phase: `open` says whether the gate lets it in now, `why` what it needs or does. */
  advance: { to: Phase; open: boolean; why: string; final: boolean } | null;
  /** The phase a rollback goes to; null in `schema` (nothing before it) and `complete` (final). */
  rollback: { to: Phase } | null;
  /** Whether a verify pass can be started now, and meaningfully. */
  verify: boolean;
};

const BEFORE: Partial<Record<Phase, Phase>> = {
  dualWrite: "schema",
  backfill: "dualWrite",
  readNew: "backfill",
};

/**
 * Advance to the next phase (offered always, enabled only when its gate is
 * open); roll back one phase, except from `schema` or `complete`; start a
 * verify pass when the rollout has a check, none is running, and the backfill
 * is done (a pass that started before the backfill ended does not count for
 * the gate).
 */
export function rolloutActions(rollout: RolloutStatus): RolloutActions {
  const { next, phase } = rollout;
  const backfillDone = rollout.backfill.run?.isDone === true;
  const verifyRunning = rollout.verify?.state === "running";
  const afterBackfill = phase === "readNew" || phase === "complete";
  return {
    advance:
      next === null
        ? null
        : { to: next.to, open: next.open, why: next.detail, final: next.to === "complete" },
    rollback: BEFORE[phase] === undefined ? null : { to: BEFORE[phase] },
    verify:
      rollout.hasVerify &&
      !verifyRunning &&
      (afterBackfill || (phase === "backfill" && backfillDone)),
  };
}
