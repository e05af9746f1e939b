/**
 * The rollout state machine, as pure functions: which moves exist and what
 * gates them. The component's mutations apply these; tests drive them
 * against a reference model.
 *
 *   schema ──▶ dualWrite ──▶ backfill ──▶ readNew ──▶ complete
 *          ◀──           ◀──          ◀──
 *          (rollback: one step back, never from complete)
 */
import { rolloutError } from "../shared/errors.js";
import {
  PHASES,
  type Gate,
  type MigrationStatus,
  type Phase,
  type VerifyStatus,
} from "../shared/validators.js";

export function phaseIndex(phase: Phase): number {
  return PHASES.indexOf(phase);
}

export function nextPhase(phase: Phase): Phase | null {
  return PHASES[phaseIndex(phase) + 1] ?? null;
}

export function previousPhase(phase: Phase): Phase | null {
  return phase === "complete" ? null : (PHASES[phaseIndex(phase) - 1] ?? null);
}

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}

/** What the gate of a phase looks at. */
export type GateFacts = {
  rollout: string;
  backfillName: string;
  /** The backfill run this rollout started, if any (none if the backfill was renamed since). */
  backfill: Pick<MigrationStatus, "state" | "isDone" | "processed" | "endedAt"> | null;
  /** The backfill this rollout's run was of, when the app has renamed it since. */
  renamedFrom?: string;
  /** Documents of the backfill still in its failure ledger (counted up to a cap). */
  stillFailing: number;
  /** Another rollout in backfill whose pass of the same migration is under way. */
  busyWith?: string;
  hasVerify: boolean;
  verify: VerifyStatus | null;
  /**
   * In `backfill`: when the rollout last entered it (by an advance, or a rollback from
   * `readNew`), and when its verify pass was created, both as `_creationTime`s (commit order, so
   * a pass started in the same millisecond as a move is still told apart). The readNew gate
   * needs a pass created after that entry: writes made before it, in `readNew` by code since
   * rolled back, are what a new pass must look at.
   */
  enteredBackfill?: number;
  /**
   * In `readNew`: when the rollout entered it. A verify pass created after that is one the
   * complete gate waits for, and whose mismatches keep it closed: `complete` cannot be rolled
   * back, so what a pass in `readNew` found (a write that missed the new shape after the pass
   * before) is converted first.
   */
  enteredReadNew?: number;
  verifyCreated?: number;
  /**
   * A run of the backfill migration (a retry of its ledger, a pass by hand) finished after the
   * verify pass started: the documents it found may be converted since.
   */
  backfillRanSinceVerify?: boolean;
  verbs: string;
};

/** A command line: `npx convex run <fn>`, with its arguments as JSON when it takes any. */
function runLine(fn: string, args?: Record<string, unknown>): string {
  return args === undefined
    ? `npx convex run ${fn}`
    : `npx convex run ${fn} '${JSON.stringify(args)}'`;
}

/** The gate of `to`, the phase after the current one. */
export function gateOf(to: Phase, facts: GateFacts): Gate {
  const advance = runLine(`${facts.verbs}:advance`, { rollout: facts.rollout, to });
  const watch = `${runLine(`${facts.verbs}:status`)} --watch`;
  switch (to) {
    case "schema":
      return { to, open: false, detail: "schema is the first phase", command: watch };
    case "dualWrite":
      return {
        to,
        open: true,
        detail:
          "dual writes begin: writesNew() answers true from then on; deploy code that also " +
          "writes the new shape when it does (a reshape() rollout's triggers do it for you)",
        command: advance,
      };
    case "backfill":
      if (facts.busyWith !== undefined) {
        return {
          to,
          open: false,
          detail:
            `${facts.backfillName} is running as the backfill of ${facts.busyWith}; a new pass ` +
            `would cancel it. Advance once that pass is done (both rollouts then share its ` +
            `migration, each with a pass started after its own dual writes)`,
          command: watch,
        };
      }
      return {
        to,
        open: true,
        detail: `starts ${facts.backfillName} from the beginning over the whole table`,
        command: advance,
      };
    case "readNew":
      return readNewGate(facts, advance, watch);
    case "complete":
      return completeGate(facts, advance, watch);
  }
}

/**
 * The complete gate: open, unless the ledger holds documents of the backfill, or a verify pass
 * started in `readNew` is under way, stopped, or found documents not in the new shape. None is
 * required (a pass before `readNew` proved the table); one started is waited for.
 */
function completeGate(facts: GateFacts, advance: string, watch: string): Gate {
  const to = "complete";
  const final = "final: cannot be rolled back; stop writing the old shape after it";
  if (facts.stillFailing > 0) return ledgerGate(to, facts);
  const { verify, enteredReadNew } = facts;
  const passInReadNew =
    facts.hasVerify &&
    verify !== null &&
    enteredReadNew !== undefined &&
    (facts.verifyCreated ?? 0) > enteredReadNew;
  if (!passInReadNew) {
    const check = facts.hasVerify
      ? `; a verify pass first (${verifyCommandOf(facts)}) finds any write that missed the new ` +
        `shape since the last one`
      : "";
    return { to, open: true, detail: final + check, command: advance };
  }
  const rollback = runLine(`${facts.verbs}:rollback`, {
    rollout: facts.rollout,
    reason: "verify found documents not in the new shape",
  });
  return verdictGate(to, facts, verify, advance, watch, {
    passed: `verify found no mismatch in ${documents(verify.checked)} since readNew; ${final}`,
    // From readNew on the new shape is the truth, and the backfill leaves a document that has it
    // as it is, old shape and all (nothing new code cleared comes back): it cannot convert a
    // document a write around the triggers changed on the old side. In backfill the old shape
    // is the truth again, and its backfill converts it; its gate says how.
    convert: {
      detail:
        "roll back to backfill, where the backfill converts them from the old shape (its gate " +
        "says how), then enter readNew again",
      command: rollback,
    },
  });
}

function verifyCommandOf(facts: GateFacts): string {
  return runLine(`${facts.verbs}:verify`, { rollout: facts.rollout });
}

/** Documents of the backfill still in its failure ledger: retried before the gate opens. */
function ledgerGate(to: Phase, facts: GateFacts): Gate {
  const many = documents(facts.stillFailing);
  return {
    to,
    open: false,
    detail:
      `${many} of the backfill failed and ${facts.stillFailing === 1 ? "is" : "are"} still ` +
      `in its failure ledger, unconverted; fix them (or delete them), then retry them with retryFailed`,
    command: `npx convex run ${facts.backfillName} '{"retryFailed": true}'`,
  };
}

/**
 * What a verify pass the gate counts says: wait while it runs, start another if it stopped,
 * verify again if the backfill ran since it started, convert what it found, or open.
 */
function verdictGate(
  to: Phase,
  facts: GateFacts,
  verify: VerifyStatus,
  advance: string,
  watch: string,
  say: { passed: string; convert: { detail: string; command: string } },
): Gate {
  const verifyCommand = verifyCommandOf(facts);
  if (verify.state !== "done") {
    return {
      to,
      open: false,
      detail: `the verify pass is ${verify.state} ${soFar(verify.checked)}`,
      command: verify.state === "running" ? watch : verifyCommand,
    };
  }
  if (verify.mismatches > 0 && facts.backfillRanSinceVerify) {
    return {
      to,
      open: false,
      detail:
        `verify found ${documents(verify.mismatches)} not in the new shape ` +
        `(first: ${verify.firstMismatchIds.join(", ")}), but ${facts.backfillName} has run ` +
        `since it started: verify again`,
      command: verifyCommand,
    };
  }
  if (verify.mismatches > 0) {
    // Verifying again finds the same documents: say what converts them.
    return {
      to,
      open: false,
      detail:
        `verify found ${documents(verify.mismatches)} not in the new shape ` +
        `(first: ${verify.firstMismatchIds.join(", ")}); fix the backfill or the writes, then ` +
        say.convert.detail,
      command: say.convert.command,
    };
  }
  return { to, open: true, detail: say.passed, command: advance };
}

function readNewGate(facts: GateFacts, advance: string, watch: string): Gate {
  const to = "readNew";
  const { backfill, verify } = facts;
  if (facts.renamedFrom !== undefined) {
    const again = runLine(`${facts.verbs}:advance`, { rollout: facts.rollout, to: "backfill" });
    return {
      to,
      open: false,
      detail:
        `the backfill was renamed from ${facts.renamedFrom} to ${facts.backfillName} since ` +
        `this rollout entered backfill; advancing to backfill again starts ${facts.backfillName}`,
      command: again,
    };
  }
  if (backfill === null || !backfill.isDone) {
    const where =
      backfill === null ? "has not started" : `is ${backfill.state} ${soFar(backfill.processed)}`;
    const resume = runLine(`${facts.verbs}:resume`, { name: facts.backfillName });
    const command =
      backfill?.state === "running"
        ? watch
        : backfill?.state === "paused"
          ? resume
          : runLine(facts.backfillName);
    return { to, open: false, detail: `the backfill ${facts.backfillName} ${where}`, command };
  }
  if (facts.stillFailing > 0) return ledgerGate(to, facts);
  if (!facts.hasVerify) {
    return {
      to,
      open: true,
      detail: "the backfill is done over the whole table",
      command: advance,
    };
  }
  const verifyCommand = verifyCommandOf(facts);
  if (verify === null || (backfill.endedAt !== undefined && verify.startedAt < backfill.endedAt)) {
    return {
      to,
      open: false,
      detail: "no verify pass has started since the backfill finished",
      command: verifyCommand,
    };
  }
  if (facts.enteredBackfill !== undefined && (facts.verifyCreated ?? 0) < facts.enteredBackfill) {
    return {
      to,
      open: false,
      detail:
        "the verify pass started before the rollout last entered backfill (a rollback since); " +
        "writes made before it must be checked again: start a new verify pass",
      command: verifyCommand,
    };
  }
  return verdictGate(to, facts, verify, advance, watch, {
    passed: `backfill done and verify found no mismatch in ${documents(verify.checked)}`,
    // In backfill, the backfill's pass, once done, starts a new verify pass on its own.
    convert: {
      detail: "run the backfill again from the start: a verify pass follows it when it is done",
      command: `npx convex run ${facts.backfillName} '{"reset": true}'`,
    },
  });
}

/** How far a pass got: "after 1,500 documents", or "before its first document". */
function soFar(count: number): string {
  return count === 0 ? "before its first document" : `after ${documents(count)}`;
}

/** "1 document", "2 documents". */
function documents(count: number): string {
  // Grouped by hand, as the watch and the console print counts: "20,115", not "20115".
  const grouped = String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return count === 1 ? "1 document" : `${grouped} documents`;
}

/**
 * Checks a move forward from `from` to `to`: true if it changes the phase,
 * false if the rollout is already there. Anything but one step forward is an
 * `ImpossiblePhaseMove`.
 */
export function checkAdvance(rollout: string, from: Phase, to: string, verbs: string): boolean {
  if (!isPhase(to)) {
    throw rolloutError(
      "ImpossiblePhaseMove",
      `"${to}" is not a phase. Phases are ${PHASES.join(" → ")}.`,
      { rollout, from, to },
    );
  }
  if (to === from) return false;
  const next = nextPhase(from);
  if (to !== next) {
    const backwards = phaseIndex(to) < phaseIndex(from);
    throw rolloutError(
      "ImpossiblePhaseMove",
      backwards
        ? `${rollout} is in ${from}; to go back, roll back one phase at a time: ` +
            runLine(`${verbs}:rollback`, { rollout })
        : next === null
          ? `${rollout} is complete; there is no phase after it.`
          : `${rollout} is in ${from}; advance one phase at a time, next is ${next}: ` +
            runLine(`${verbs}:advance`, { rollout, to: next }),
      { rollout, from, to },
    );
  }
  return true;
}

/** The phase a rollback from `from` goes to, or an `ImpossiblePhaseMove`. */
export function checkRollback(rollout: string, from: Phase): Phase {
  const to = previousPhase(from);
  if (to === null) {
    throw rolloutError(
      "ImpossiblePhaseMove",
      from === "complete"
        ? `${rollout} is complete, and a complete rollout cannot be rolled back: ` +
            `old-shape writes may already have stopped. Start a new rollout to change the shape again.`
        : `${rollout} is in schema, the first phase: there is nothing to roll back.`,
      { rollout, from },
    );
  }
  return to;
}
