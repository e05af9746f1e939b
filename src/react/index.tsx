/**
 * A live view of rollouts and migration runs for React apps:
 *
 * ```tsx
 * import { RolloutStatusView, useRolloutStatus } from "convex-rollouts/react";
 * function Operations() {
 *   const status = useRolloutStatus(api.dashboard.rolloutStatus);
 *   return <RolloutStatusView status={status} />;
 * }
 * ```
 *
 * The status comes from an app query that returns `migrations.status(ctx)`.
 * The package's own functions are internal, so the app decides who may see
 * it (the example checks the caller's identity).
 */
import { useQuery } from "convex/react";
import type { FunctionReference } from "convex/server";
import type { Status } from "../shared/validators.js";
import { MigrationRow } from "./MigrationRow.js";
import { RolloutCard } from "./RolloutCard.js";
import { styles } from "./styles.js";

export type StatusQuery = FunctionReference<"query", "public", Record<string, never>, Status>;

/** The live status from the app's query; undefined while it loads. */
export function useRolloutStatus(query: StatusQuery): Status | undefined {
  return useQuery(query, {});
}

/** Rollouts (phase, gate, backfill and verify), then migration runs (progress, rate, ETA, failures). */
export function RolloutStatusView({ status }: { status: Status | undefined }) {
  if (status === undefined) {
    return <p style={styles.muted}>Loading rollouts…</p>;
  }
  const { rollouts, migrations } = status;
  return (
    <div style={styles.root} data-testid="rollout-status">
      <h2 style={styles.heading}>Rollouts</h2>
      {rollouts.length === 0 ? (
        <p style={styles.muted}>No rollouts declared.</p>
      ) : (
        rollouts.map((rollout) => <RolloutCard key={rollout.name} rollout={rollout} />)
      )}
      <h2 style={styles.heading}>Migrations</h2>
      {migrations.length === 0 ? (
        <p style={styles.muted}>No migration has run yet.</p>
      ) : (
        migrations.map((migration) => <MigrationRow key={migration.runId} migration={migration} />)
      )}
    </div>
  );
}

export { MigrationRow, RolloutCard };
export type { Status };
