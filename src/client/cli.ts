/**
 * The internal functions an app exports for the CLI: `npx convex run
 * migrations:<verb>`. Internal, so only the deployment's admins (the CLI, the
 * dashboard) can call them; no browser can.
 */
import {
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
  type RegisteredAction,
  type GenericDataModel,
  type RegisteredMutation,
  type RegisteredQuery,
} from "convex/server";
import { v, type ObjectType, type PropertyValidators } from "convex/values";
import type { Same } from "../shared/pin.js";
import {
  vPhaseArg,
  type DryRunReport,
  type MigrationStatus,
  type Phase,
  type RolloutStatus,
} from "../shared/validators.js";
import type { StatusWithContracts } from "./contract.js";
import type { Rollouts } from "./index.js";
import type { HistoryArgs } from "./types.js";
import { rememberVerbsModule } from "./whereDeclared.js";

const vWho = { by: v.optional(v.string()), reason: v.optional(v.string()) };

export type CliVerbs = {
  /**
   * `npx convex run migrations:status --watch`; by name:
   * `'{names: ["migrations:setDefault", "users.fullName"]}'` or `'{rollouts: ["users.fullName"]}'`.
   */
  status: RegisteredQuery<
    "internal",
    { names?: string[]; rollouts?: string[]; limit?: number },
    Promise<StatusWithContracts>
  >;
  /** `npx convex run migrations:cancel '{name: "migrations:setDefault"}'` */
  cancel: RegisteredMutation<"internal", { name: string }, Promise<MigrationStatus>>;
  /** `npx convex run migrations:cancelAll` */
  cancelAll: RegisteredMutation<"internal", Record<string, never>, Promise<MigrationStatus[]>>;
  /** `npx convex run migrations:pause '{name: "migrations:setDefault"}'` */
  pause: RegisteredMutation<"internal", { name: string }, Promise<MigrationStatus>>;
  /** `npx convex run migrations:resume '{name: "migrations:setDefault"}'` */
  resume: RegisteredMutation<"internal", { name: string }, Promise<MigrationStatus>>;
  /**
   * `npx convex run migrations:throttle '{name: "migrations:setDefault", delayMs: 500}'`, or
   * `'{name: "migrations:setDefault", parallelism: 8}'` for a parallel run's slices.
   */
  throttle: RegisteredMutation<
    "internal",
    { name: string; delayMs?: number; parallelism?: number },
    Promise<MigrationStatus>
  >;
  /** `npx convex run migrations:history` (the newest 20), `'{cursor: "...", numItems: 50}'` */
  history: RegisteredQuery<
    "internal",
    HistoryArgs,
    Promise<{ page: MigrationStatus[]; continueCursor: string; isDone: boolean }>
  >;
  /** `npx convex run migrations:plan '{fn: "migrations:setDefault"}'`: a dry run of every batch. */
  plan: RegisteredAction<
    "internal",
    {
      fn: string;
      cursor?: string | null;
      batchSize?: number;
      reset?: boolean;
      maxBatches?: number;
    },
    Promise<DryRunReport>
  >;
  /** `npx convex run migrations:advance '{rollout: "users.fullName", to: "dualWrite"}'` */
  advance: RegisteredMutation<
    "internal",
    { rollout: string; to: Phase; by?: string; reason?: string },
    Promise<RolloutStatus>
  >;
  /** `npx convex run migrations:rollback '{rollout: "users.fullName", reason: "p99 up"}'` */
  rollback: RegisteredMutation<
    "internal",
    { rollout: string; by?: string; reason?: string },
    Promise<RolloutStatus>
  >;
  /** `npx convex run migrations:verify '{rollout: "users.fullName"}'` */
  verify: RegisteredMutation<"internal", { rollout: string }, Promise<RolloutStatus>>;
};

/** What each verb takes: the validators its function checks the CLI's arguments with. */
const verbArgs = {
  status: {
    names: v.optional(v.array(v.string())),
    rollouts: v.optional(v.array(v.string())),
    limit: v.optional(v.number()),
  },
  cancel: { name: v.string() },
  cancelAll: {},
  pause: { name: v.string() },
  resume: { name: v.string() },
  throttle: {
    name: v.string(),
    delayMs: v.optional(v.number()),
    parallelism: v.optional(v.number()),
  },
  history: {
    name: v.optional(v.string()),
    cursor: v.optional(v.union(v.string(), v.null())),
    numItems: v.optional(v.number()),
  },
  plan: {
    fn: v.string(),
    cursor: v.optional(v.union(v.string(), v.null())),
    batchSize: v.optional(v.number()),
    reset: v.optional(v.boolean()),
    maxBatches: v.optional(v.number()),
  },
  advance: { rollout: v.string(), to: vPhaseArg, ...vWho },
  rollback: { rollout: v.string(), ...vWho },
  verify: { rollout: v.string() },
};

/** The arguments a registered function's type says it takes. */
type ArgsOf<F> =
  F extends RegisteredMutation<"internal", infer Args, infer _Returns>
    ? Args
    : F extends RegisteredQuery<"internal", infer Args, infer _Returns>
      ? Args
      : F extends RegisteredAction<"internal", infer Args, infer _Returns>
        ? Args
        : never;

/** What a validator accepts; no arguments at all written as Convex's `EmptyObject`. */
type ArgsFrom<Validators extends PropertyValidators> = keyof Validators extends never
  ? Record<string, never>
  : ObjectType<Validators>;

// `CliVerbs` is written out for its doc comments, and Convex does not check a
// registered function's declared argument types against its validators (they
// type the app's `internal.migrations.*`): pin every verb's to its validator.
const _verbArgsPinned = true satisfies Same<
  { [Verb in keyof CliVerbs]: ArgsOf<CliVerbs[Verb]> },
  { [Verb in keyof typeof verbArgs]: ArgsFrom<(typeof verbArgs)[Verb]> }
>;

export function cliVerbs<DataModel extends GenericDataModel>(
  rollouts: Rollouts<DataModel>,
): CliVerbs {
  return {
    status: internalQueryGeneric({
      args: verbArgs.status,
      handler: async (ctx, args) => {
        await rememberVerbsModule(ctx);
        return await rollouts.status(ctx, args);
      },
    }),
    cancel: internalMutationGeneric({
      args: verbArgs.cancel,
      handler: async (ctx, { name }) => await rollouts.cancel(ctx, name),
    }),
    cancelAll: internalMutationGeneric({
      args: verbArgs.cancelAll,
      handler: async (ctx) => await rollouts.cancelAll(ctx),
    }),
    pause: internalMutationGeneric({
      args: verbArgs.pause,
      handler: async (ctx, { name }) => await rollouts.pause(ctx, name),
    }),
    resume: internalMutationGeneric({
      args: verbArgs.resume,
      handler: async (ctx, { name }) => await rollouts.resume(ctx, name),
    }),
    throttle: internalMutationGeneric({
      args: verbArgs.throttle,
      handler: async (ctx, { name, ...knobs }) => await rollouts.throttle(ctx, name, knobs),
    }),
    history: internalQueryGeneric({
      args: verbArgs.history,
      handler: async (ctx, args) => await rollouts.history(ctx, args),
    }),
    plan: internalActionGeneric({
      args: verbArgs.plan,
      handler: async (ctx, { fn, ...options }) => await rollouts.plan(ctx, fn, options),
    }),
    advance: internalMutationGeneric({
      args: verbArgs.advance,
      handler: async (ctx, { rollout, to, ...who }) => {
        await rememberVerbsModule(ctx);
        return await rollouts.advance(ctx, rollout, to, who);
      },
    }),
    rollback: internalMutationGeneric({
      args: verbArgs.rollback,
      handler: async (ctx, { rollout, ...who }) => {
        await rememberVerbsModule(ctx);
        return await rollouts.rollback(ctx, rollout, who);
      },
    }),
    verify: internalMutationGeneric({
      args: verbArgs.verify,
      handler: async (ctx, { rollout }) => {
        await rememberVerbsModule(ctx);
        return await rollouts.verify(ctx, rollout);
      },
    }),
  };
}
