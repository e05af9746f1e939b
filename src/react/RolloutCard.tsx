/** One rollout: its phases, the gate of the next one with advance, its backfill and verify, its moves. */
import { useId } from "react";
import { PHASES, type RolloutStatus, type VerifyStatus } from "../shared/validators.js";
import { AdvanceControl, RollbackControl, VerifyControl } from "./actions.js";
import { rolloutActions } from "./allowed.js";
import { ago, count, iso, plural, shortName } from "./format.js";
import type { OperatorActions } from "./operator.js";
import { badgeStyle, gateStyle, stepStyle, styles } from "./styles.js";

export function RolloutCard({
  rollout: r,
  actions,
}: {
  rollout: RolloutStatus;
  /** The controls' calls; without them (a viewer, a read-only page) the card only shows. */
  actions?: OperatorActions;
}) {
  const titleId = useId();
  const reasonId = useId();
  const current = PHASES.indexOf(r.phase);
  const allowed = rolloutActions(r);
  const run = r.backfill.run;
  return (
    <article style={styles.card} data-testid="rollout-card" aria-labelledby={titleId}>
      <div style={styles.title}>
        <h3 id={titleId} style={{ ...styles.name, margin: 0 }}>
          {r.name}
        </h3>
        <span style={styles.muted}>
          phase: <strong style={{ color: "inherit" }}>{r.phase}</strong>
        </span>
      </div>
      <ol style={styles.steps} className="cr-steps" aria-label="Phases">
        {PHASES.map((phase, i) => {
          const state = i < current ? "done" : i === current ? "current" : "todo";
          return (
            <li
              key={phase}
              style={stepStyle(state)}
              aria-current={state === "current" ? "step" : undefined}
            >
              {state === "done" ? "✓ " : ""}
              {phase}
            </li>
          );
        })}
      </ol>
      {r.next ? (
        <section
          style={gateStyle(r.next.open)}
          aria-label={`Gate to ${r.next.to}`}
          data-testid="gate"
        >
          <div style={styles.title}>
            <strong style={{ fontSize: 14 }}>Next: {r.next.to}</strong>
            <span style={badgeStyle(r.next.open ? "open" : "closed")}>
              gate {r.next.open ? "open" : "closed"}
            </span>
          </div>
          <p id={reasonId} style={styles.line}>
            {r.next.open
              ? r.next.detail.charAt(0).toUpperCase() + r.next.detail.slice(1)
              : `Waiting: ${r.next.detail}`}
            .
          </p>
          {actions && allowed.advance ? (
            <AdvanceControl
              rollout={r}
              allowed={allowed.advance}
              actions={actions}
              reasonId={reasonId}
            />
          ) : null}
          <details style={{ marginTop: 6 }}>
            <summary style={{ ...styles.muted, cursor: "pointer" }}>From the command line</summary>
            <code style={{ ...styles.code, display: "block", marginTop: 4, padding: 6 }}>
              {r.next.command}
            </code>
          </details>
        </section>
      ) : (
        <p style={gateStyle(true)}>
          Complete: nothing left to do; the old shape may stop being written.
        </p>
      )}
      <p style={styles.line}>
        <span style={styles.muted}>Backfill</span>{" "}
        <code style={styles.code}>{shortName(r.backfill.name)}</code>{" "}
        {run
          ? `${run.state}, ${count(run.processed)}${run.estimatedTotal !== null ? ` of ~${count(run.estimatedTotal)}` : ""} documents${run.percent !== null && run.state !== "done" ? ` (${run.percent}%)` : ""}`
          : "not started"}
      </p>
      <p style={styles.line} data-testid="verify">
        <span style={styles.muted}>Verify</span> {verifyText(r.hasVerify, r.verify)}
      </p>
      {r.transitions.length > 0 ? (
        <>
          <h4 style={styles.subhead}>Recent moves</h4>
          <ul style={styles.list} data-testid="transitions">
            {r.transitions.map((t) => (
              <li key={`${t.at}-${t.from}-${t.to}`} style={{ padding: "3px 0" }}>
                <strong>
                  {t.from} → {t.to}
                </strong>
                {t.by ? ` by ${t.by}` : ""}
                {t.reason ? <span>: “{t.reason}”</span> : null}{" "}
                <time style={styles.muted} dateTime={iso(t.at)} title={iso(t.at)}>
                  · {ago(t.at)}
                </time>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {actions && (allowed.rollback || allowed.verify) ? (
        <div style={styles.actions}>
          {allowed.rollback ? (
            <RollbackControl rollout={r} to={allowed.rollback.to} actions={actions} />
          ) : null}
          {allowed.verify ? <VerifyControl rollout={r} actions={actions} /> : null}
        </div>
      ) : null}
    </article>
  );
}

function verifyText(hasVerify: boolean, verify: VerifyStatus | null): string {
  if (!hasVerify) return "no verify check declared";
  if (verify === null) return "no pass yet";
  const mismatches =
    verify.mismatches === 0
      ? "no mismatch"
      : `${plural(verify.mismatches, "mismatch", "mismatches")} (first: ${verify.firstMismatchIds.join(", ")})`;
  return `pass ${verify.state}: ${plural(verify.checked, "document")} checked, ${mismatches}${verify.error ? ` · ${verify.error}` : ""}`;
}
