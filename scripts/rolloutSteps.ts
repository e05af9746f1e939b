/**
 * What the demo's rollout walks share: moving a rollout from the CLI (as
 * `npx convex run migrations:advance` would), with its gate in one line, and
 * reading its status.
 */
import { internal } from "../example/convex/_generated/api.js";
import type { Phase, RolloutStatus, RolloutStatusWithContract } from "../src/client/index.js";
import type { ExampleT } from "./exampleApp.js";
import { ProgressView } from "./progress.js";
import { drainScheduled } from "./scheduler.js";
import type { UserTraffic } from "./traffic.js";

export const say = (line: string) => console.log(`  ${line}`);

/** Advances the rollout, printing the phase it reached and its next gate. */
export function advancer(t: ExampleT, rollout: string) {
  return async (to: Phase, reason?: string) => {
    const status = await t.mutation(internal.migrations.advance, {
      rollout,
      to,
      by: "demo",
      reason,
    });
    say(`advance → ${status.phase}${gateLine(status)}`);
    return status;
  };
}

export async function rolloutStatusOf(
  t: ExampleT,
  rollout: string,
): Promise<RolloutStatusWithContract> {
  const { rollouts } = await t.query(internal.migrations.status, {});
  const found = rollouts.find((r) => r.name === rollout);
  if (!found) throw new Error(`status does not show ${rollout}`);
  return found;
}

export function gateLine(status: RolloutStatus): string {
  const gate = status.next;
  if (gate === null) return "; final";
  return `; next ${gate.to}: ${gate.open ? "open" : "closed"} (${gate.detail})`;
}

/**
 * Runs the rollout's backfill (just started by entering `backfill`) to its
 * end while the app keeps writing between batches, with its progress shown.
 */
export async function backfillWhileWriting(
  t: ExampleT,
  rollout: string,
  { name, estimate }: { name: string; estimate: number },
  traffic: UserTraffic,
  view: { tty: boolean; every: number },
): Promise<RolloutStatusWithContract> {
  const progress = new ProgressView([{ name, estimate }], view);
  await drainScheduled(t, {
    tickMs: 50,
    onTick: async () => {
      await traffic.write(5); // the app keeps writing between batches
      const status = await rolloutStatusOf(t, rollout);
      if (status.backfill.run) progress.update([status.backfill.run]);
    },
  });
  return await rolloutStatusOf(t, rollout);
}
