/**
 * The console's data: the app's operator functions (made by
 * `migrations.operatorApi()`), their live status and the actions that call them.
 */
import { useConvex, useQueries } from "convex/react";
import type { FunctionReference } from "convex/server";
import { useMemo } from "react";
import type { MigrationStatus, OperatorStatus, RolloutStatus } from "../shared/validators.js";

type Mutation<Args extends Record<string, unknown>, Result> = FunctionReference<
  "mutation",
  "public",
  Args,
  Result
>;
type ByName = { name: string };

/** References to the functions `operatorApi()` made, as the app exports them: `api.dashboard`. */
export type OperatorApi = {
  status: FunctionReference<"query", "public", Record<string, never>, OperatorStatus>;
  pause: Mutation<ByName, MigrationStatus>;
  resume: Mutation<ByName, MigrationStatus>;
  throttle: Mutation<ByName & { delayMs?: number; parallelism?: number }, MigrationStatus>;
  cancel: Mutation<ByName, MigrationStatus>;
  retryFailed: Mutation<ByName, MigrationStatus>;
  advance: Mutation<{ rollout: string; to: string; reason?: string }, RolloutStatus>;
  rollback: Mutation<{ rollout: string; reason: string }, RolloutStatus>;
  verify: Mutation<{ rollout: string }, RolloutStatus>;
};

/** What the console's buttons call; each answers once the change is committed. */
export type OperatorActions = {
  [K in Exclude<keyof OperatorApi, "status">]: (
    args: OperatorApi[K] extends FunctionReference<"mutation", "public", infer Args> ? Args : never,
  ) => Promise<unknown>;
};

/** Runs a public mutation: `convex.mutation` of a ConvexReactClient or a ConvexHttpClient. */
export type MutationRunner = (
  mutation: FunctionReference<"mutation", "public">,
  args: Record<string, unknown>,
) => Promise<unknown>;

/** The console's actions over any client that can run a mutation. */
export function operatorActions(api: OperatorApi, run: MutationRunner): OperatorActions {
  return {
    pause: (args) => run(api.pause, args),
    resume: (args) => run(api.resume, args),
    throttle: (args) => run(api.throttle, args),
    cancel: (args) => run(api.cancel, args),
    retryFailed: (args) => run(api.retryFailed, args),
    advance: (args) => run(api.advance, args),
    rollback: (args) => run(api.rollback, args),
    verify: (args) => run(api.verify, args),
  };
}

/** What the console shows: the status (undefined while it loads), or why there is none. */
export type ConsoleData = {
  status: OperatorStatus | undefined;
  /** The status query's error: `Unauthorized` for a refused caller. */
  error?: unknown;
  actions: OperatorActions;
};

/**
 * The live console under a `ConvexProvider` (or your auth provider's): status
 * by subscription, actions by mutation.
 */
export function useOperatorConsole(api: OperatorApi): ConsoleData {
  const convex = useConvex();
  const queries = useMemo(() => ({ status: { query: api.status, args: {} } }), [api.status]);
  // useQueries answers a query's error as a value instead of throwing it into the tree.
  const result: unknown = useQueries(queries).status;
  const actions = useMemo(
    () => operatorActions(api, (mutation, args) => convex.mutation(mutation, args)),
    [api, convex],
  );
  if (result instanceof Error) return { status: undefined, error: result, actions };
  return { status: result as OperatorStatus | undefined, actions };
}

/** True for the error an operator function answers a refused caller with. */
export function isUnauthorized(error: unknown): boolean {
  return kindOf(error) === "Unauthorized";
}

/** What an error says, for a person: a rollout error's message, else the error's. */
export function messageOf(error: unknown): string {
  const data = dataOf(error);
  if (typeof data === "string") return data;
  if (typeof data === "object" && data !== null && "message" in data) return String(data.message);
  if (error instanceof Error) return error.message.replace(/^\[CONVEX [^\]]*\]\s*/, "");
  return String(error);
}

function dataOf(error: unknown): unknown {
  return typeof error === "object" && error !== null && "data" in error ? error.data : undefined;
}

function kindOf(error: unknown): unknown {
  const data = dataOf(error);
  return typeof data === "object" && data !== null && "kind" in data ? data.kind : undefined;
}
