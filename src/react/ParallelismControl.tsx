/**
 * How many slices a parallel run keeps live, set while it runs or is paused
 * (the operators' `throttle {name, parallelism}`). What the operator typed is
 * checked first (inputs.ts) and refused beside the input; what the server
 * refuses shows in the row's error line, as for every control.
 */
import { useId, useState, type FormEvent } from "react";
import type { MigrationStatus } from "../shared/validators.js";
import { ActionButton, type Act } from "./act.js";
import { checkParallelismInput, MAX_PARALLELISM } from "./inputs.js";
import type { OperatorActions } from "./operator.js";
import { styles } from "./styles.js";

export function ParallelismControl({
  run,
  state,
  actions,
}: {
  run: MigrationStatus;
  /** The row's: one call at a time, and its error line shows the server's refusal. */
  state: Act;
  actions: OperatorActions;
}) {
  const [typed, setTyped] = useState(String(run.parallelism ?? ""));
  const inputId = useId();
  const messageId = useId();
  const checked = checkParallelismInput(typed);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!checked.ok) return; // refused here, with the reason beside the input
    const parallelism = checked.value;
    void state.act("parallelism", () => actions.throttle({ name: run.name, parallelism }));
  };
  return (
    <form
      onSubmit={submit}
      // The check below says what is wrong; the browser's own bubble would say less.
      noValidate
      style={{ display: "flex", flexWrap: "wrap", gap: 6, alignItems: "center" }}
    >
      <label htmlFor={inputId} style={styles.muted}>
        Slices at once
      </label>
      <input
        id={inputId}
        type="number"
        inputMode="numeric"
        min={1}
        max={MAX_PARALLELISM}
        step={1}
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        aria-invalid={checked.ok ? undefined : true}
        aria-describedby={checked.ok ? undefined : messageId}
        style={{ width: 64 }}
      />
      <ActionButton
        action="parallelism"
        label="Set slices"
        busy="Setting…"
        type="submit"
        state={state}
        disabled={!checked.ok || checked.value === run.parallelism}
      />
      {checked.ok ? null : (
        <p
          id={messageId}
          role="alert"
          data-testid="parallelism-invalid"
          style={{ ...styles.alert, width: "100%", margin: 0 }}
        >
          {checked.message}
        </p>
      )}
    </form>
  );
}
