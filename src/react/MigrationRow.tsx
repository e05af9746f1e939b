/** One migration run: state, a progress bar, counts, rate, ETA and failures. */
import type { MigrationStatus } from "../shared/validators.js";
import { count, duration, shortName } from "./format.js";
import { badgeStyle, fillStyle, styles } from "./styles.js";

export function MigrationRow({ migration: m }: { migration: MigrationStatus }) {
  // Without an estimate the bar shows only done or not: the raw counts say the rest.
  const percent = m.percent ?? (m.state === "done" ? 100 : 0);
  return (
    <div style={styles.card} data-testid="migration-row">
      <div style={styles.title}>
        <span style={styles.name}>
          {shortName(m.name)}
          {m.mode === "retryFailed" ? " (retrying failures)" : ""}
        </span>
        <span style={badgeStyle(m.state)}>{m.state}</span>
      </div>
      <div style={styles.barTrack} role="progressbar" aria-valuenow={percent}>
        <div style={fillStyle(percent, m.state)} />
      </div>
      <p style={styles.muted}>
        {count(m.processed)}
        {m.estimatedTotal !== null ? ` of ~${count(m.estimatedTotal)}` : ""} processed
        {m.percent !== null ? ` (${m.percent}%)` : ""}, {count(m.changed)} changed,{" "}
        {count(m.failed)} failed · {count(m.batches)} {m.batches === 1 ? "batch" : "batches"} of{" "}
        {count(m.batchSize)}
        {m.adaptive ? " (adaptive)" : ""}
        {m.rate !== null ? ` · ${count(m.rate)} docs/s` : ""}
        {m.etaMs !== null ? ` · about ${duration(m.etaMs)} left` : ""}
        {m.by ? ` · started by ${m.by}` : ""}
      </p>
      {m.error ? <p style={{ ...styles.muted, color: "#c53030" }}>{m.error}</p> : null}
      {m.failures.length > 0 ? (
        <ul style={styles.list}>
          {m.failures.map((f) => (
            <li key={f.documentId}>
              <code style={styles.code}>{f.documentId}</code> {f.error}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
