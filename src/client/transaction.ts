/**
 * What a rollout keeps for the length of one transaction: the phases it read
 * (one phase read per transaction, however many documents it converts or
 * checks) and, for a declarative rollout, the patches it wrote, so that the triggers those patches fire
 * do not convert them again.
 */
import type { Phase } from "../shared/validators.js";
import type { Fields } from "./conversion.js";
import type { PhaseCtx } from "./types.js";

/** Per transaction: phases read so far, and the patches this package wrote (so their echo is ignored). */
export type TxState = {
  phases: Map<string, Promise<Phase>>;
  echoes: Map<string, Fields>;
  conversions: Map<string, number>;
};
/**
 * Keyed by the transaction's `runQuery`: Convex makes a new one for every
 * function call, and `customCtx` and the triggers' contexts copy it.
 */
const transactions = new WeakMap<object, TxState>();

export function stateOf(ctx: { runQuery: unknown }): TxState | null {
  const key = ctx.runQuery;
  if (typeof key !== "function") return null;
  let state = transactions.get(key);
  if (state === undefined) {
    state = { phases: new Map(), echoes: new Map(), conversions: new Map() };
    transactions.set(key, state);
  }
  return state;
}

/** Forgets the phases read in this transaction: called after it moves a rollout. */
export function forgetPhases(ctx: { runQuery: unknown }): void {
  stateOf(ctx)?.phases.clear();
}

/** What reads a rollout's phase from the component: `Rollout` does. */
export type PhaseReader = {
  name: string;
  phase(ctx: PhaseCtx): Promise<Phase>;
  /** One read of the component, uncached. */
  readPhase(ctx: PhaseCtx): Promise<Phase>;
};

/**
 * The phase, read once per transaction (the read stays in its read set, as
 * any phase read): hand-written rollouts' `phase`/`writesNew`/`readsNew` and
 * declarative ones' conversions all go through here, so an app that writes
 * many documents asks the component once.
 */
export async function cachedPhase(rollout: PhaseReader, ctx: PhaseCtx): Promise<Phase> {
  const state = stateOf(ctx);
  if (state === null) return await rollout.readPhase(ctx);
  let phase = state.phases.get(rollout.name);
  if (phase === undefined) {
    phase = rollout.readPhase(ctx);
    state.phases.set(rollout.name, phase);
    phase.catch(() => state.phases.delete(rollout.name));
  }
  return await phase;
}
