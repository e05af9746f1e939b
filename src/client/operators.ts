/**
 * The public functions an app may export so its own operators can watch and
 * steer rollouts from a page (see `convex-rollouts/react`). Unlike the CLI
 * verbs, a browser can call these, so each one first asks the app's
 * `authorize(ctx)` who the caller is, and refuses before reading anything.
 * There is no default: an app that does not say who its operators are cannot
 * make these functions.
 */
import {
  mutationGeneric,
  queryGeneric,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  type MutationBuilder,
  type QueryBuilder,
  type RegisteredMutation,
  type RegisteredQuery,
} from "convex/server";
import { v, type Infer } from "convex/values";
import { rolloutError } from "../shared/errors.js";
import type { Same } from "../shared/pin.js";
import {
  vMigrationStatus,
  vOperatorStatus,
  vPhaseArg,
  vRolloutStatus,
  type vStatusWithContracts,
  type MigrationStatus,
  type Operator,
  type OperatorStatus,
  type Phase,
  type RolloutStatus,
} from "../shared/validators.js";
import type { StatusWithContracts } from "./contract.js";
import type { Rollouts } from "./index.js";
import { redactRollout, redactRun, redactStatus } from "./redact.js";

// `status` answers what `Rollouts.status` returns (with each complete rollout's contract step)
// under the `returns` validator `vOperatorStatus`, built on `vStatusWithContracts`: the
// hand-written type of contract.ts is pinned to it, so the two cannot drift (issue 18 #12).
const _statusPinned = true satisfies Same<
  Flat<StatusWithContracts>,
  Flat<Infer<typeof vStatusWithContracts>>
>;
/** A type written as intersections, as one object type, all the way down (for `Same`). */
type Flat<T> = T extends object ? { [K in keyof T]: Flat<T[K]> } : T;

/** The longest rollback or advance reason kept. */
export const MAX_REASON_LENGTH = 500;

export type OperatorApiOptions<DataModel extends GenericDataModel> = {
  /**
   * Who the caller is: `{ role: "operator", name }` may read and act,
   * `{ role: "viewer", name }` may only read; `null` is refused. Required, and
   * called first by every function, before anything is read. `name` is kept
   * as `by` in what an operator does. Base it on something your auth provider
   * vouches for (`ctx.auth.getUserIdentity()`): an allow-list of
   * `tokenIdentifier`s, a role on the user's document. Being signed in is not
   * enough: every user of your app is signed in.
   *
   * Mutations pass their own context; treat it as read-only.
   */
  authorize: (ctx: GenericQueryCtx<DataModel>) => Promise<Operator | null> | Operator | null;
  /**
   * Whose status has `migrateOne`'s error text (which often quotes the
   * document) and table cursors hidden, leaving ids, counts and kinds:
   * `"viewer"` (default) for viewers, `"everyone"`, `"nobody"`, or a function
   * of the caller.
   */
  redactErrors?: "viewer" | "everyone" | "nobody" | ((operator: Operator) => boolean);
};

type ByName = { name: string };

/** The functions `operatorApi()` makes: public, and each refusing whom `authorize` refuses. */
export type OperatorFunctions = {
  /** Everything status shows, for operators and viewers. */
  status: RegisteredQuery<"public", Record<string, never>, Promise<OperatorStatus>>;
  /** Pauses a running migration after the batch in flight. Operators only, as are the rest. */
  pause: RegisteredMutation<"public", ByName, Promise<MigrationStatus>>;
  /** Continues a paused, failed or canceled migration at its cursor. */
  resume: RegisteredMutation<"public", ByName, Promise<MigrationStatus>>;
  /** Sets the pause between a migration's batches (ms), or a parallel run's slices, from the next batch on. */
  throttle: RegisteredMutation<
    "public",
    ByName & { delayMs?: number; parallelism?: number },
    Promise<MigrationStatus>
  >;
  /** Stops a migration after the batch in flight; starting it again resumes. */
  cancel: RegisteredMutation<"public", ByName, Promise<MigrationStatus>>;
  /** Runs only the documents in a finished migration's failure ledger. */
  retryFailed: RegisteredMutation<"public", ByName, Promise<MigrationStatus>>;
  /** Moves a rollout one phase forward if its gate is open; `by` is the caller. */
  advance: RegisteredMutation<
    "public",
    { rollout: string; to: Phase; reason?: string },
    Promise<RolloutStatus>
  >;
  /** Moves a rollout one phase back; the reason is required and kept in its transitions. */
  rollback: RegisteredMutation<
    "public",
    { rollout: string; reason: string },
    Promise<RolloutStatus>
  >;
  /** Starts a verify pass of a rollout (one already running is kept). */
  verify: RegisteredMutation<"public", { rollout: string }, Promise<RolloutStatus>>;
};

const REFUSED =
  "Not authorized: only this app's operators may see or change its rollouts. " +
  "If you should be one, ask an operator to add you.";
const READ_ONLY =
  "Not authorized: viewers may see this app's rollouts but not change them. " +
  "Ask an operator to do it, or to make you one.";

export function operatorFunctions<DataModel extends GenericDataModel>(
  rollouts: Rollouts<DataModel>,
  options: OperatorApiOptions<DataModel>,
): OperatorFunctions {
  // JavaScript callers get no type check: refuse to make open functions.
  if (typeof (options as Partial<typeof options> | undefined)?.authorize !== "function") {
    throw rolloutError(
      "InvalidArgument",
      "operatorApi() needs an authorize(ctx) function that says who the caller is " +
        '({ role: "operator" | "viewer", name }) or refuses them (null). There is no default: ' +
        "public functions without a check of your own would let anyone in.",
    );
  }
  const { authorize, redactErrors = "viewer" } = options;
  // The app's functions, over the app's data model (so `authorize` gets a typed context).
  const query = queryGeneric as QueryBuilder<DataModel, "public">;
  const mutation = mutationGeneric as MutationBuilder<DataModel, "public">;

  /** The caller, or a refusal that says nothing about the runs. */
  async function caller(ctx: GenericQueryCtx<DataModel>, acting: boolean): Promise<Operator> {
    const who: unknown = await authorize(ctx);
    // Anything but a well-formed answer is a refusal: fail closed.
    if (!isOperator(who)) throw rolloutError("Unauthorized", REFUSED);
    if (acting && who.role !== "operator") throw rolloutError("Unauthorized", READ_ONLY);
    return who;
  }

  function hides(who: Operator): boolean {
    if (typeof redactErrors === "function") return redactErrors(who);
    return redactErrors === "everyone" || (redactErrors === "viewer" && who.role === "viewer");
  }

  /** A mutation on a run of a migration that has run before, by an operator. */
  function onRun(
    act: (ctx: GenericMutationCtx<DataModel>, name: string) => Promise<MigrationStatus>,
  ) {
    return mutation({
      args: { name: v.string() },
      returns: vMigrationStatus,
      handler: async (ctx, { name }): Promise<MigrationStatus> => {
        const who = await caller(ctx, true);
        const status = await act(ctx, name);
        return hides(who) ? redactRun(status) : status;
      },
    });
  }

  return {
    status: query({
      args: {},
      returns: vOperatorStatus,
      handler: async (ctx): Promise<OperatorStatus> => {
        const who = await caller(ctx, false);
        const status = await rollouts.status(ctx);
        const redacted = hides(who);
        return { ...(redacted ? redactStatus(status) : status), operator: who, redacted };
      },
    }),
    pause: onRun(async (ctx, name) => await rollouts.pause(ctx, name)),
    resume: onRun(async (ctx, name) => await rollouts.resume(ctx, name)),
    cancel: onRun(async (ctx, name) => await rollouts.cancel(ctx, name)),
    retryFailed: mutation({
      args: { name: v.string() },
      returns: vMigrationStatus,
      handler: async (ctx, { name }): Promise<MigrationStatus> => {
        const who = await caller(ctx, true);
        // Only a migration that has run: a name from a browser must never lead
        // the component to call some other function of the app.
        const [current] = await rollouts.getStatus(ctx, { migrations: [name] });
        if (current === undefined || current.state === "unknown") {
          throw rolloutError(
            "UnknownMigration",
            `${name} has never run, so it has no failures to retry. Status lists the migrations that ran.`,
            { name },
          );
        }
        const result = await rollouts.runOne(ctx, current.name, {
          retryFailed: true,
          by: who.name,
        });
        const status = "status" in result ? result.status : current;
        return hides(who) ? redactRun(status) : status;
      },
    }),
    throttle: mutation({
      args: {
        name: v.string(),
        delayMs: v.optional(v.number()),
        parallelism: v.optional(v.number()),
      },
      returns: vMigrationStatus,
      handler: async (ctx, { name, ...knobs }): Promise<MigrationStatus> => {
        const who = await caller(ctx, true);
        const status = await rollouts.throttle(ctx, name, knobs);
        return hides(who) ? redactRun(status) : status;
      },
    }),
    advance: mutation({
      args: { rollout: v.string(), to: vPhaseArg, reason: v.optional(v.string()) },
      returns: vRolloutStatus,
      handler: async (ctx, { rollout, to, reason }): Promise<RolloutStatus> => {
        const who = await caller(ctx, true);
        const given = reason === undefined ? undefined : checkReason(reason, false);
        const status = await rollouts.advance(ctx, rollout, to, { by: who.name, reason: given });
        return hides(who) ? redactRollout(status) : status;
      },
    }),
    rollback: mutation({
      args: { rollout: v.string(), reason: v.string() },
      returns: vRolloutStatus,
      handler: async (ctx, { rollout, reason }): Promise<RolloutStatus> => {
        const who = await caller(ctx, true);
        const why = checkReason(reason, true);
        const status = await rollouts.rollback(ctx, rollout, { by: who.name, reason: why });
        return hides(who) ? redactRollout(status) : status;
      },
    }),
    verify: mutation({
      args: { rollout: v.string() },
      returns: vRolloutStatus,
      handler: async (ctx, { rollout }): Promise<RolloutStatus> => {
        const who = await caller(ctx, true);
        const status = await rollouts.verify(ctx, rollout);
        return hides(who) ? redactRollout(status) : status;
      },
    }),
  };
}

function isOperator(value: unknown): value is Operator {
  if (typeof value !== "object" || value === null) return false;
  const { role, name } = value as Record<string, unknown>;
  return (role === "operator" || role === "viewer") && typeof name === "string" && name !== "";
}

/** A reason, trimmed; a rollback must give one. */
function checkReason(reason: string, required: boolean): string | undefined {
  const trimmed = reason.trim();
  if (trimmed === "" && required) {
    throw rolloutError(
      "InvalidArgument",
      "Say why you roll back: the reason is kept in the rollout's transitions for whoever looks next.",
    );
  }
  if (trimmed.length > MAX_REASON_LENGTH) {
    throw rolloutError(
      "InvalidArgument",
      `A reason is at most ${MAX_REASON_LENGTH} characters; got ${trimmed.length}. Link to the details instead.`,
      { length: trimmed.length },
    );
  }
  return trimmed === "" ? undefined : trimmed;
}
