/**
 * Rollouts and migration runs for React apps, live.
 *
 * The operators' console, with controls, over the public functions
 * `migrations.operatorApi({ authorize })` makes (each refuses whoever your
 * `authorize` does not let in):
 *
 * ```tsx
 * import { OperatorConsole } from "convex-rollouts/react";
 * <OperatorConsole api={api.dashboard} />   // under your Convex (auth) provider
 * ```
 *
 * `RolloutStatusView` is the same page read-only, for a status you fetch.
 */
import { useQuery } from "convex/react";
import type { FunctionReference } from "convex/server";
import type { OperatorStatus, Status } from "../shared/validators.js";
import { Ledger } from "./Ledger.js";
import { MigrationRow } from "./MigrationRow.js";
import { OperatorConsole, OperatorConsoleView, Sections } from "./OperatorConsole.js";
import { RolloutCard } from "./RolloutCard.js";
import { CONSOLE_CSS, ROOT_CLASS, styles } from "./styles.js";

export type StatusQuery = FunctionReference<"query", "public", Record<string, never>, Status>;

/** The live status from an app query (the `status` of `operatorApi()`); undefined while it loads. */
export function useRolloutStatus(query: StatusQuery): Status | undefined {
  return useQuery(query, {});
}

/** Rollouts (phase, gate, backfill and verify), runs (progress, rate, ETA) and failing documents. */
export function RolloutStatusView({ status }: { status: Status | undefined }) {
  return (
    <div className={ROOT_CLASS} style={styles.root} data-testid="rollout-status">
      <style>{CONSOLE_CSS}</style>
      {status === undefined ? (
        <p style={styles.muted}>Loading rollouts…</p>
      ) : (
        <Sections status={status} />
      )}
    </div>
  );
}

export { Ledger, MigrationRow, OperatorConsole, OperatorConsoleView, RolloutCard };
export { rolloutActions, runActions, type RolloutActions, type RunAction } from "./allowed.js";
export {
  isUnauthorized,
  messageOf,
  operatorActions,
  useOperatorConsole,
  type ConsoleData,
  type MutationRunner,
  type OperatorActions,
  type OperatorApi,
} from "./operator.js";
export type { OperatorStatus, Status };
