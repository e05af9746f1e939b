/**
 * The one error style of the package: a `ConvexError` whose data names the
 * kind of error and carries a message that says what to do next.
 */
import { ConvexError, type Value } from "convex/values";
import { MAX_PARALLELISM } from "./limits.js";
import type { Phase } from "./validators.js";

export const ERROR_KINDS = [
  "UnknownMigration",
  "NotAMigration",
  "InvalidBatchSize",
  "InvalidCursor",
  "InvalidArgument",
  "MigrateOneFailed",
  "UnknownRollout",
  "ImpossiblePhaseMove",
  "PhaseGateClosed",
  "Unauthorized",
] as const;
export type RolloutErrorKind = (typeof ERROR_KINDS)[number];

/** The details a kind of error always carries, beyond `kind` and `message`. */
export type RolloutErrorDetails = {
  /** `command` is the `Next:` line: what opens the gate. */
  PhaseGateClosed: { rollout: string; from: Phase; to: Phase; command: string };
};

/** What details any other kind may carry: a few named values (an id, a name, a limit). */
type OtherDetails = Record<string, Value | undefined>;

/**
 * The data of this package's errors: a union over `kind`, so checking `kind`
 * narrows the details (`PhaseGateClosed` always has its `command`).
 */
export type RolloutErrorData<K extends RolloutErrorKind = RolloutErrorKind> =
  K extends RolloutErrorKind
    ? {
        kind: K;
        message: string;
        [detail: string]: Value | undefined;
      } & (K extends keyof RolloutErrorDetails ? RolloutErrorDetails[K] : unknown)
    : never;

/** Build the error; `throw rolloutError(...)` keeps control flow visible at the call site. */
export function rolloutError<K extends RolloutErrorKind>(
  kind: K,
  message: string,
  ...[details]: K extends keyof RolloutErrorDetails
    ? [details: RolloutErrorDetails[K]]
    : [details?: OtherDetails]
): ConvexError<RolloutErrorData<K>> {
  const data = { ...details, kind, message } as OtherDetails & RolloutErrorData<K>;
  // Convex values cannot hold `undefined`: drop absent details.
  for (const key of Object.keys(data)) {
    if (data[key] === undefined) delete data[key];
  }
  return new ConvexError(data);
}

/**
 * True for errors thrown by this package, of any kind or of the given kind;
 * narrows `error.data` to that kind's data.
 */
export function isRolloutError<K extends RolloutErrorKind = RolloutErrorKind>(
  error: unknown,
  kind?: K,
): error is ConvexError<RolloutErrorData<K>> {
  if (!(error instanceof ConvexError)) return false;
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null || !("kind" in data)) return false;
  const errorKind = data.kind;
  if (!(ERROR_KINDS as readonly unknown[]).includes(errorKind)) return false;
  return kind === undefined || errorKind === kind;
}

/** A readable one-line description of any thrown value, for status and logs. */
export function describeError(error: unknown): string {
  if (error instanceof ConvexError) {
    const data: unknown = error.data;
    if (typeof data === "string") return data;
    if (typeof data === "object" && data !== null && "message" in data) {
      return String(data.message);
    }
    return JSON.stringify(data);
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Checks a whole-number argument the caller gave, if any: the one check behind
 * every count, size and delay the package takes. `hint` follows the message.
 */
export function checkWholeNumber(
  name: string,
  value: number | undefined,
  {
    min,
    max = Number.POSITIVE_INFINITY,
    hint = "",
    kind = "InvalidArgument",
  }: {
    min: number;
    max?: number;
    hint?: string;
    kind?: RolloutErrorKind;
  },
): void {
  if (value === undefined) return;
  if (Number.isInteger(value) && value >= min && value <= max) return;
  const range = max === Number.POSITIVE_INFINITY ? `${min} up` : `${min} to ${max}`;
  throw rolloutError(
    kind,
    `${name} must be a whole number from ${range}; got ${String(value)}.${hint ? ` ${hint}` : ""}`,
    { [name]: Number.isFinite(value) ? value : String(value) },
  );
}

/**
 * Checks a batch size the caller gave. Convex writes at most 16,000 documents
 * in one transaction, so a larger batch could never commit.
 */
export function checkBatchSize(batchSize: number | undefined, max: number): void {
  checkWholeNumber("batchSize", batchSize, {
    min: 1,
    max,
    kind: "InvalidBatchSize",
    hint:
      `(${max} is Convex's per-transaction write limit.) Pass e.g. '{batchSize: 100}', ` +
      `or leave it out to let batches size themselves.`,
  });
}

/** Checks a `parallelism` the caller gave: slices of a run at once, 1 to `max`. */
export function checkParallelism(parallelism: number | undefined, max = MAX_PARALLELISM): void {
  checkWholeNumber("parallelism", parallelism, {
    min: 1,
    max,
    hint: `Slices of the table that run at once: pass e.g. '{parallelism: 8}', or 1 for one chain.`,
  });
}
