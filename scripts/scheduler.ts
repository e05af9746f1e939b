/**
 * Running convex-test's scheduled functions in plain Node, on real timers.
 *
 * How convex-test runs them (node_modules/convex-test/dist/index.js, the
 * "1.0/schedule" syscall): scheduling inserts a pending `_scheduled_functions`
 * row and sets a `setTimeout` for its scheduled time; when the timer fires, the
 * function runs as its own top-level transaction. Under vitest, tests install
 * fake timers and pass `vi.runAllTimers` to `finishAllScheduledFunctions`. In
 * plain Node the timers are real, so a `runAfter(0)` fires by itself on the next
 * turn of the event loop (Node clamps 0 ms to 1 ms): nothing has to be advanced,
 * only waited for.
 *
 * `t.finishAllScheduledFunctions(() => {}, maxIterations)` does that waiting: it
 * awaits the functions in flight, yields real event-loop turns while a timer is
 * still pending, and returns once nothing runs and no timer is pending. Each
 * iteration covers one function and the timers it set, so a migration needs
 * about one iteration per batch (hence a large `maxIterations`).
 * `finishInProgressScheduledFunctions` alone is not enough: it waits only for
 * functions whose timer has already fired, so right after `runAll` it returns
 * before the first batch, and after a batch before the timer of the next.
 *
 * Caveat: a function scheduled for later (`runAfter(ms > 0)`) fires only when
 * its real time comes; `finishAllScheduledFunctions` stops waiting for it after
 * ~20 idle turns and returns with it still pending. Batches are `runAfter(0)`;
 * what the component schedules later is the monitor's next check (a minute
 * ahead, finding nothing once the runs are done) and a failed batch's retry
 * (seconds ahead, which the demo does not provoke). The scripts exit when
 * they are done rather than wait for those timers (`runMain`).
 *
 * Queries made meanwhile (progress polling) take convex-test's transaction
 * lock like any function, so each one sees the state between two batches.
 */
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";

type AnyTestConvex = Pick<
  TestConvex<SchemaDefinition<GenericSchema, boolean>>,
  "finishAllScheduledFunctions"
>;

export type DrainOptions = {
  /** Called every `tickMs` while functions are still running, and once at the end. */
  onTick?: () => void | Promise<void>;
  tickMs?: number;
  /** Passed to `finishAllScheduledFunctions`: a bound on scheduled generations. */
  maxIterations?: number;
};

/** Runs scheduled functions (and those they schedule) until none is left. */
export async function drainScheduled(
  t: AnyTestConvex,
  { onTick, tickMs = 100, maxIterations = 1_000_000 }: DrainOptions = {},
): Promise<void> {
  let settled = false;
  const drained = t
    .finishAllScheduledFunctions(() => {}, maxIterations)
    .finally(() => {
      settled = true;
    });
  if (onTick === undefined) return await drained;
  while (!settled) {
    await Promise.race([drained, sleep(tickMs)]);
    if (!settled) await onTick();
  }
  await drained;
  await onTick();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
