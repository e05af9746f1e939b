/**
 * Calls from the component into the app's migration mutations.
 *
 * App code runs in the app: the component only holds a function handle to the
 * mutation that `define()` returned, and sends it one `step` at a time. A
 * `ctx.runMutation` here runs inside the component's transaction, so a batch and
 * the cursor saved after it commit together or not at all.
 */
import type { FunctionHandle, TransactionLimits } from "convex/server";
import { ConvexError } from "convex/values";
import { describeError, isRolloutError, rolloutError } from "../shared/errors.js";
import { DRY_RUN_REPORT_KEY, PROTOCOL_VERSION, SKIPPED_KEY } from "../shared/protocol.js";
import type { PlanBatch } from "../shared/plan.js";
import type {
  BatchResult,
  Description,
  DocumentError,
  MigrationAddress,
  Step,
} from "../shared/validators.js";
import type { MutationCtx } from "./_generated/server.js";

/**
 * How Convex (and convex-test) say that a function handle leads nowhere. An export that is no
 * Convex function (a `reshape()` rollout exported where its backfill should be) is not
 * registered on a deployment, so it is missing there too; convex-test says it differently.
 */
const MISSING_FUNCTION =
  /no such export|couldn't find|could not find|not found|does not exist|expected a convex function/i;

type StepHandle<Result> = FunctionHandle<"mutation", { step: Step }, Result>;

/**
 * Asks the migration what it is. That proves the handle reaches a function made
 * by `define()`, and checks that the cursor parses for its table. Writes nothing.
 */
export async function describeMigration(
  ctx: MutationCtx,
  migration: MigrationAddress,
  cursor: string | null,
  { bounds = false }: { bounds?: boolean } = {},
): Promise<Description> {
  let answer: Partial<Description> | null;
  try {
    answer = await ctx.runMutation(migration.fnHandle as StepHandle<Description | null>, {
      // Bounds only when a parallel run may start: two more reads in the app.
      step: { kind: "describe", cursor, ...(bounds ? { bounds } : {}) },
    });
  } catch (error) {
    if (isRolloutError(error)) throw error;
    const reason = describeError(error).replace(/\.?$/, ".");
    if (MISSING_FUNCTION.test(reason)) {
      throw rolloutError(
        "UnknownMigration",
        `There is no migration named "${migration.name}": ${reason} Names are ` +
          `"file:export", e.g. "migrations:setDefault"; check the spelling and that it is deployed.`,
        { name: migration.name },
      );
    }
    throw rolloutError(
      "NotAMigration",
      `Could not call ${migration.name} as a migration: ${reason} Only functions made ` +
        `with migrations.define() can be run as migrations.`,
      { name: migration.name },
    );
  }
  if (typeof answer?.table !== "string" || answer.protocol !== PROTOCOL_VERSION) {
    throw rolloutError(
      "NotAMigration",
      answer?.protocol === undefined
        ? `${migration.name} is a mutation but not a migration: only functions made ` +
            `with migrations.define() can be run.`
        : `${migration.name} speaks protocol ${answer.protocol}, this component ` +
            `${PROTOCOL_VERSION}: install the same convex-rollouts version for both.`,
      { name: migration.name },
    );
  }
  return answer as Description;
}

/** A batch, retry or verify step, as the component sends it (the `skip` list is added here). */
export type WorkStep = Extract<Step, { kind: "batch" | "retry" | "verify" }>;

/** How many times a batch is re-run without the documents that threw before the run stops. */
const SKIP_ATTEMPTS = 3;

/**
 * Runs one batch for real, under `transactionLimits` (what the component's
 * transaction can spare). Throws whatever the batch threw; its writes are
 * rolled back. With `onError: "skip"` (and for retries), a batch in which
 * documents threw reports them and is rolled back; it is then run again
 * without them, so their partial writes are undone while the rest commits.
 */
export async function runStepInApp(
  ctx: MutationCtx,
  fnHandle: string,
  step: WorkStep,
  transactionLimits: TransactionLimits | undefined,
): Promise<{ result: BatchResult; failures: DocumentError[] }> {
  let failures: DocumentError[] = [];
  for (let attempt = 0; attempt < SKIP_ATTEMPTS; attempt++) {
    try {
      const request = step.kind === "verify" ? step : { ...step, skip: failures.map((f) => f.id) };
      const result = await ctx.runMutation(
        fnHandle as StepHandle<BatchResult>,
        { step: request },
        transactionLimits && { transactionLimits },
      );
      return { result, failures };
    } catch (error) {
      const skipped = reported<DocumentError[]>(error, SKIPPED_KEY);
      if (skipped === null) throw error;
      failures = [...failures, ...skipped];
    }
  }
  throw new Error(
    `Documents kept failing differently in ${SKIP_ATTEMPTS} attempts at the same batch ` +
      `(${failures.map((f) => f.id).join(", ")}); the run stops here.`,
  );
}

/** The value a batch reported under `key` in the ConvexError it threw, or null. */
function reported<Value>(error: unknown, key: string): Value | null {
  const data: unknown = error instanceof ConvexError ? error.data : undefined;
  if (typeof data === "object" && data !== null && key in data) {
    return (data as Record<string, Value>)[key]!;
  }
  return null;
}

export type DryRunBatch = PlanBatch;

/**
 * Runs one batch as a dry run. The app's side throws its report, so that all
 * the batch wrote is rolled back with its sub-transaction; we catch the report
 * here and return it as a normal result.
 */
export async function dryRunBatchInApp(
  ctx: MutationCtx,
  fnHandle: string,
  cursor: string | null,
  batchSize: number,
): Promise<DryRunBatch> {
  try {
    await ctx.runMutation(fnHandle as StepHandle<unknown>, {
      step: { kind: "batch", cursor, batchSize, dryRun: true },
    });
  } catch (error) {
    const report = reported<DryRunBatch>(error, DRY_RUN_REPORT_KEY);
    if (report === null) throw error;
    return report;
  }
  throw new Error("The dry-run batch returned instead of rolling back; nothing was reported.");
}
