/**
 * What an operator typed into a control, checked before anything is sent: the
 * same bounds the engine checks (src/shared/errors.ts), so a value the console
 * lets through is one the server accepts, and a refusal says why beside the
 * input instead of after a round trip. Pure, so tested without a browser
 * (test/consoleActions.test.ts).
 */
import { MAX_PARALLELISM } from "../shared/limits.js";

export { MAX_PARALLELISM };

/** A typed value the console may send, or why it may not. */
export type Checked = { ok: true; value: number } | { ok: false; message: string };

/** How many slices a parallel run keeps live: a whole number from 1 to `MAX_PARALLELISM`. */
export function checkParallelismInput(text: string): Checked {
  const typed = text.trim();
  const range = `a whole number from 1 to ${MAX_PARALLELISM}`;
  if (typed === "")
    return { ok: false, message: `Enter how many slices to run at once: ${range}.` };
  const value = Number(typed);
  if (Number.isInteger(value) && value >= 1 && value <= MAX_PARALLELISM) return { ok: true, value };
  const over = Number.isFinite(value) && value > MAX_PARALLELISM;
  const hint = over ? ` ${MAX_PARALLELISM} is the most the engine keeps live.` : "";
  return { ok: false, message: `Slices at once must be ${range}; got ${typed}.${hint}` };
}
