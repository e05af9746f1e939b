/**
 * Status with `migrateOne`'s words taken out, for callers who may see that a
 * document failed but not what it holds. An error thrown by app code often
 * quotes the document (`"ana@Example.com " is not an email address`), and a
 * table cursor encodes the index key of the last document read; both are
 * replaced. What stays: document ids, counts, states, names, the kind of
 * failure and the package's own words around it ("Retry 2 of 5 after: ...").
 */
import { isLimitError } from "../shared/limits.js";
import { RETRY_CURSOR_PREFIX } from "../shared/protocol.js";
import type {
  Failure,
  MigrationStatus,
  RolloutStatus,
  Status,
  VerifyStatus,
} from "../shared/validators.js";

/** What replaces a hidden error text or cursor. */
export const HIDDEN = "(hidden)";

/**
 * The package's own lead-ins to an error it passes on: kept, since they say
 * what the run is doing; what follows them may be app text.
 */
const LEADS = [
  /^Retry \d+ of \d+ after: /,
  /^Retrying a smaller batch after: /,
  /^Stopped after \d+ failed attempts at the same batch: /,
  /^A batch of one document reached a Convex limit: /,
  /^Recovering: /,
  /^Done, but the next migration \S+ could not start: /,
  /^Done, but the verify pass of \S+ could not start: /,
];

/** An error as a redacted status says it: the lead-in, the kind, the document's id. */
export function redactError(error: string, documentId?: string): string {
  const lead = LEADS.map((pattern) => pattern.exec(error)?.[0]).find((m) => m !== undefined);
  const kind =
    documentId !== undefined
      ? `MigrateOneFailed on document ${documentId}`
      : /^migrateOne threw on document /.test(error)
        ? "MigrateOneFailed"
        : isLimitError(error)
          ? "a Convex limit"
          : "an error";
  return `${lead ?? ""}${kind} ${HIDDEN}`;
}

function redactFailure(failure: Failure): Failure {
  return { ...failure, error: `MigrateOneFailed ${HIDDEN}` };
}

export function redactRun(run: MigrationStatus): MigrationStatus {
  const { error, ...rest } = run;
  return {
    ...rest,
    ...(error === undefined ? {} : { error: redactError(error, run.failedDocumentId) }),
    cursor: hideCursor(run.cursor),
    failures: run.failures.map(redactFailure),
    ...(run.slices === undefined
      ? {}
      : {
          slices: run.slices.map(({ error: sliceError, ...slice }) => ({
            ...slice,
            ...(sliceError === undefined ? {} : { error: redactError(sliceError) }),
            cursor: hideCursor(slice.cursor),
          })),
        }),
  };
}

function redactVerify(verify: VerifyStatus): VerifyStatus {
  const { error, ...rest } = verify;
  return {
    ...rest,
    ...(error === undefined ? {} : { error: redactError(error) }),
    cursor: hideCursor(verify.cursor),
  };
}

export function redactRollout<R extends RolloutStatus>(rollout: R): R {
  const run = rollout.backfill.run;
  return {
    ...rollout,
    backfill: { ...rollout.backfill, run: run === null ? null : redactRun(run) },
    verify: rollout.verify === null ? null : redactVerify(rollout.verify),
  };
}

/** The same status, with what `redactRun` hides hidden; a contract step is kept as it is. */
export function redactStatus<S extends Status>(status: S): S {
  return {
    ...status,
    migrations: status.migrations.map(redactRun),
    rollouts: status.rollouts.map(redactRollout),
    history: status.history.map(redactRun),
  };
}

/** A retry run's cursor names a document id (kept); a table cursor holds an index key (hidden). */
function hideCursor(cursor: string | null): string | null {
  if (cursor === null || cursor.startsWith(RETRY_CURSOR_PREFIX)) return cursor;
  return HIDDEN;
}
