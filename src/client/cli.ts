/**
 * The internal functions an app exports for the CLI: `npx convex run
 * migrations:<verb>`. Internal, so only the deployment's admins (the CLI, the
 * dashboard) can call them; no browser can.
 */
import {
  internalMutationGeneric,
  internalQueryGeneric,
  type GenericDataModel,
  type RegisteredMutation,
  type RegisteredQuery,
} from "convex/server";
import { v } from "convex/values";
import type { MigrationStatus, RolloutStatus, Status } from "../shared/validators.js";
import type { Rollouts } from "./index.js";

const vWho = { by: v.optional(v.string()), reason: v.optional(v.string()) };

export type CliVerbs = {
  /** `npx convex run migrations:status --watch` */
  status: RegisteredQuery<"internal", { names?: string[]; limit?: number }, Promise<Status>>;
  /** `npx convex run migrations:cancel '{name: "migrations:setDefault"}'` */
  cancel: RegisteredMutation<"internal", { name: string }, Promise<MigrationStatus>>;
  /** `npx convex run migrations:cancelAll` */
  cancelAll: RegisteredMutation<"internal", Record<string, never>, Promise<MigrationStatus[]>>;
  /** `npx convex run migrations:advance '{rollout: "users.fullName", to: "dualWrite"}'` */
  advance: RegisteredMutation<
    "internal",
    { rollout: string; to: string; by?: string; reason?: string },
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

export function cliVerbs<DataModel extends GenericDataModel>(
  rollouts: Rollouts<DataModel>,
): CliVerbs {
  return {
    status: internalQueryGeneric({
      args: { names: v.optional(v.array(v.string())), limit: v.optional(v.number()) },
      handler: async (ctx, args) => await rollouts.status(ctx, args),
    }),
    cancel: internalMutationGeneric({
      args: { name: v.string() },
      handler: async (ctx, { name }) => await rollouts.cancel(ctx, name),
    }),
    cancelAll: internalMutationGeneric({
      args: {},
      handler: async (ctx) => await rollouts.cancelAll(ctx),
    }),
    advance: internalMutationGeneric({
      args: { rollout: v.string(), to: v.string(), ...vWho },
      handler: async (ctx, { rollout, to, ...who }) =>
        await rollouts.advance(ctx, rollout, to, who),
    }),
    rollback: internalMutationGeneric({
      args: { rollout: v.string(), ...vWho },
      handler: async (ctx, { rollout, ...who }) => await rollouts.rollback(ctx, rollout, who),
    }),
    verify: internalMutationGeneric({
      args: { rollout: v.string() },
      handler: async (ctx, { rollout }) => await rollouts.verify(ctx, rollout),
    }),
  };
}
