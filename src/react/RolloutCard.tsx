/** One rollout: its phases, the gate of the next one, the backfill and verify, the last moves. */
import { PHASES, type RolloutStatus } from "../shared/validators.js";
import { count, shortName } from "./format.js";
import { stepStyle, styles } from "./styles.js";

export function RolloutCard({ rollout: r }: { rollout: RolloutStatus }) {
  const current = PHASES.indexOf(r.phase);
  const run = r.backfill.run;
  return (
    <div style={styles.card} data-testid="rollout-card">
      <div style={styles.title}>
        <span style={styles.name}>{r.name}</span>
        <span style={styles.muted}>phase: {r.phase}</span>
      </div>
      <div style={styles.steps}>
        {PHASES.map((phase, i) => (
          <span
            key={phase}
            style={stepStyle(i < current ? "done" : i === current ? "current" : "todo")}
          >
            {phase}
          </span>
        ))}
      </div>
      {r.next ? (
        <p style={styles.muted}>
          next, {r.next.to}: {r.next.open ? "open" : "closed"} ({r.next.detail}){" "}
          <code style={styles.code}>{r.next.command}</code>
        </p>
      ) : (
        <p style={styles.muted}>complete: nothing left to do.</p>
      )}
      <p style={styles.muted}>
        backfill {shortName(r.backfill.name)}:{" "}
        {run ? `${run.state}, ${count(run.processed)} processed` : "not started"}
        {r.hasVerify
          ? r.verify
            ? ` · verify ${r.verify.state}: ${count(r.verify.checked)} checked, ${count(r.verify.mismatches)} mismatches`
            : " · verify not run"
          : " · no verify step"}
      </p>
      {r.transitions.length > 0 ? (
        <ul style={styles.list}>
          {r.transitions.map((t) => (
            <li key={`${t.at}-${t.from}-${t.to}`}>
              {t.from} → {t.to}
              {t.by ? ` by ${t.by}` : ""}
              {t.reason ? ` (${t.reason})` : ""} · {new Date(t.at).toISOString()}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
