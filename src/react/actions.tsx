/**
 * The console's controls. Each shows that it is pending while its call is in
 * flight (and disables its neighbours), shows the error if the call fails, and
 * is only rendered when the state allows it (see allowed.ts).
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import type { MigrationStatus, RolloutStatus } from "../shared/validators.js";
import { ActionButton, ErrorLine, useAct } from "./act.js";
import { runActions, isRecovering, type RolloutActions } from "./allowed.js";
import type { OperatorActions } from "./operator.js";
import { ParallelismControl } from "./ParallelismControl.js";
import { styles } from "./styles.js";

/**
 * Pause, resume, throttle (and a parallel run's slices), cancel and
 * retry-failed for one run, as its state allows.
 */
export function RunControls({ run, actions }: { run: MigrationStatus; actions: OperatorActions }) {
  const state = useAct();
  const allowed = runActions(run);
  const [delay, setDelay] = useState(String(run.delayMs));
  const delayId = useId();
  if (allowed.length === 0) return null;
  const name = run.name;
  const has = (action: (typeof allowed)[number]) => allowed.includes(action);
  const delayMs = Number(delay);
  const validDelay = delay.trim() !== "" && Number.isInteger(delayMs) && delayMs >= 0;
  const setThrottle = (event: FormEvent) => {
    event.preventDefault();
    if (validDelay) void state.act("throttle", () => actions.throttle({ name, delayMs }));
  };
  return (
    <div>
      <div style={styles.actions}>
        {has("resume") ? (
          <ActionButton
            action="resume"
            label={isRecovering(run) ? "Retry now" : "Resume"}
            busy="Resuming…"
            kind="primary"
            state={state}
            onClick={() => void state.act("resume", () => actions.resume({ name }))}
          />
        ) : null}
        {has("pause") ? (
          <ActionButton
            action="pause"
            label="Pause"
            busy="Pausing…"
            state={state}
            onClick={() => void state.act("pause", () => actions.pause({ name }))}
          />
        ) : null}
        {has("retryFailed") ? (
          <ActionButton
            action="retryFailed"
            label={`Retry ${run.failures.length === 1 ? "the failed document" : "failed documents"}`}
            busy="Starting retry…"
            state={state}
            onClick={() => void state.act("retryFailed", () => actions.retryFailed({ name }))}
          />
        ) : null}
        {has("cancel") ? (
          <ActionButton
            action="cancel"
            label="Cancel"
            busy="Canceling…"
            kind="danger"
            state={state}
            onClick={() => void state.act("cancel", () => actions.cancel({ name }))}
          />
        ) : null}
        {has("throttle") ? (
          <form onSubmit={setThrottle} style={{ display: "flex", gap: 6, alignItems: "center" }}>
            <label htmlFor={delayId} style={styles.muted}>
              Delay between batches (ms)
            </label>
            <input
              id={delayId}
              type="number"
              inputMode="numeric"
              min={0}
              value={delay}
              onChange={(e) => setDelay(e.target.value)}
              style={{ width: 96 }}
            />
            <ActionButton
              action="throttle"
              label="Set delay"
              busy="Setting…"
              type="submit"
              state={state}
              disabled={!validDelay || delayMs === run.delayMs}
            />
          </form>
        ) : null}
        {has("parallelism") ? (
          <ParallelismControl run={run} state={state} actions={actions} />
        ) : null}
      </div>
      <ErrorLine error={state.error} />
    </div>
  );
}

/** Advance (in the gate's box: enabled only when the gate is open), with a confirm before `complete`. */
export function AdvanceControl({
  rollout,
  allowed,
  actions,
  reasonId,
}: {
  rollout: RolloutStatus;
  allowed: NonNullable<RolloutActions["advance"]>;
  actions: OperatorActions;
  reasonId: string;
}) {
  const state = useAct();
  const [confirming, setConfirming] = useState(false);
  const go = () =>
    void state
      .act("advance", () => actions.advance({ rollout: rollout.name, to: allowed.to }))
      .then(() => setConfirming(false));
  return (
    <div>
      <div style={styles.actions}>
        {confirming ? (
          <>
            <span style={{ fontSize: 13 }}>
              Complete {rollout.name}? It cannot be rolled back afterwards.
            </span>
            <ActionButton
              action="advance"
              label="Complete it"
              busy="Completing…"
              kind="primary"
              state={state}
              onClick={go}
            />
            <ActionButton
              action="keep"
              label="Not yet"
              busy="Not yet"
              state={state}
              onClick={() => setConfirming(false)}
            />
          </>
        ) : (
          <ActionButton
            action="advance"
            label={`Advance to ${allowed.to}${allowed.final ? "…" : ""}`}
            busy="Advancing…"
            kind="primary"
            state={state}
            disabled={!allowed.open}
            describedBy={reasonId}
            onClick={allowed.final ? () => setConfirming(true) : go}
          />
        )}
      </div>
      <ErrorLine error={state.error} />
    </div>
  );
}

/** Roll back one phase: asks for the reason, which the transition keeps, then confirms. */
export function RollbackControl({
  rollout,
  to,
  actions,
}: {
  rollout: RolloutStatus;
  to: string;
  actions: OperatorActions;
}) {
  const state = useAct();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const inputId = useId();
  const opener = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  // Closing the form gives the focus back to the button that opened it.
  useEffect(() => {
    if (!open && wasOpen.current) opener.current?.focus();
    wasOpen.current = open;
  }, [open]);
  const close = () => {
    setOpen(false);
    setReason("");
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim() === "") return;
    void state
      .act("rollback", () => actions.rollback({ rollout: rollout.name, reason: reason.trim() }))
      .then((ok) => ok && close());
  };
  const escape = (event: KeyboardEvent) => {
    if (event.key === "Escape" && state.pending === null) close();
  };
  if (!open) {
    return (
      <ActionButton
        action="rollback-open"
        label={`Roll back to ${to}…`}
        busy=""
        kind="danger"
        state={state}
        buttonRef={opener}
        onClick={() => setOpen(true)}
      />
    );
  }
  return (
    <form onSubmit={submit} onKeyDown={escape} style={{ ...styles.form, width: "100%" }}>
      <label htmlFor={inputId} style={{ fontSize: 13, fontWeight: 600 }}>
        Why roll {rollout.name} back to {to}?
      </label>
      <input
        id={inputId}
        autoFocus
        required
        maxLength={500}
        value={reason}
        placeholder="e.g. p99 latency up after readNew"
        onChange={(e) => setReason(e.target.value)}
        style={{ flex: "1 1 220px" }}
      />
      <ActionButton
        action="rollback"
        label={`Roll back to ${to}`}
        busy="Rolling back…"
        kind="danger primary"
        type="submit"
        state={state}
        disabled={reason.trim() === ""}
      />
      <ActionButton action="keep" label="Keep it" busy="" state={state} onClick={close} />
      <div style={{ width: "100%" }}>
        <ErrorLine error={state.error} />
      </div>
    </form>
  );
}

/** Starts a verify pass. */
export function VerifyControl({
  rollout,
  actions,
}: {
  rollout: RolloutStatus;
  actions: OperatorActions;
}) {
  const state = useAct();
  return (
    <>
      <ActionButton
        action="verify"
        label={rollout.verify ? "Verify again" : "Start verify pass"}
        busy="Starting…"
        state={state}
        onClick={() => void state.act("verify", () => actions.verify({ rollout: rollout.name }))}
      />
      {state.error ? (
        <div style={{ width: "100%" }}>
          <ErrorLine error={state.error} />
        </div>
      ) : null}
    </>
  );
}
