/** One migration run: state, a progress bar, counts, rate, ETA, its error and its controls. */
import { useId } from "react";
import type { MigrationStatus } from "../shared/validators.js";
import { RunControls } from "./actions.js";
import { ago, count, duration, iso, plural, shortName } from "./format.js";
import type { OperatorActions } from "./operator.js";
import { badgeStyle, colors, fillStyle, styles } from "./styles.js";

const MODES: Record<MigrationStatus["mode"], string> = {
  all: "",
  retryFailed: "retrying failures",
  verify: "verify pass",
};

export function MigrationRow({
  migration: m,
  actions,
}: {
  migration: MigrationStatus;
  /** The controls' calls; without them (a viewer, a read-only page) the row only shows. */
  actions?: OperatorActions;
}) {
  const titleId = useId();
  const percent = m.percent ?? (m.state === "done" ? 100 : null);
  const retrying = m.state === "running" && m.error !== undefined;
  const going = m.state === "running" || m.state === "paused";
  const batches = plural(m.batches, "batch", "batches");
  const facts = [
    m.rate !== null && m.state === "running" ? `${count(m.rate)} docs/s` : null,
    m.etaMs !== null && m.state === "running" ? `about ${duration(m.etaMs)} left` : null,
    m.adaptive
      ? `${batches}, sized to fit${going ? ` (next ${count(m.batchSize)})` : ""}`
      : `${batches} of ${count(m.batchSize)}`,
    m.delayMs > 0 ? `${duration(m.delayMs)} between batches` : null,
    m.parallelism !== undefined ? `${m.parallelism} slices at once` : null,
  ].filter((fact) => fact !== null);
  const when = m.endedAt ?? m.startedAt;
  return (
    <article
      style={styles.card}
      data-testid="migration-row"
      data-name={m.name}
      data-state={m.state}
      data-delay={m.delayMs}
      data-parallelism={m.parallelism}
      aria-labelledby={titleId}
    >
      <div style={styles.title}>
        <h3 id={titleId} style={{ ...styles.name, margin: 0 }}>
          {shortName(m.name)}
          {MODES[m.mode] ? (
            <span style={{ ...styles.muted, fontWeight: 400 }}> · {MODES[m.mode]}</span>
          ) : null}
        </h3>
        <span style={badgeStyle(m.state)}>{m.state}</span>
      </div>
      <div
        style={styles.barTrack}
        role="progressbar"
        aria-label={`${shortName(m.name)} progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
        aria-valuetext={
          percent === null ? `${count(m.processed)} documents processed` : `${percent}%`
        }
      >
        {percent === null ? (
          // No estimate of the total: a striped bar says "in progress" without a share.
          <div
            style={{
              height: "100%",
              background: `repeating-linear-gradient(45deg, #c9d6f7 0 8px, #e3eafb 8px 16px)`,
            }}
          />
        ) : (
          <div style={fillStyle(percent, m.state)} />
        )}
      </div>
      <p style={styles.line}>
        <strong>{count(m.processed)}</strong>
        {m.estimatedTotal !== null ? ` of ~${count(m.estimatedTotal)}` : ""} processed
        {percent !== null ? ` (${percent}%)` : ""} · {count(m.changed)} changed ·{" "}
        <span style={m.failed > 0 ? { color: colors.red, fontWeight: 600 } : undefined}>
          {count(m.failed)} failed
        </span>
      </p>
      <p style={styles.muted}>
        {facts.join(" · ")} · started{m.by ? ` by ${m.by}` : ""}
        {m.endedAt === undefined ? " " : " · ended "}
        <time dateTime={iso(when)} title={iso(when)}>
          {ago(when)}
        </time>
      </p>
      {m.note ? <p style={styles.muted}>{m.note}</p> : null}
      {m.slices && m.slices.length > 0 ? <Slices migration={m} /> : null}
      {m.error ? (
        <p style={retrying ? styles.note : styles.alert} data-testid="run-error">
          {m.error}
        </p>
      ) : null}
      {actions ? <RunControls key={m.runId} run={m} actions={actions} /> : null}
    </article>
  );
}

/** A parallel run's live slices: one line each, in the order they were cut. */
function Slices({ migration: m }: { migration: MigrationStatus }) {
  return (
    <ul style={{ ...styles.muted, margin: "4px 0", paddingLeft: 18 }} data-testid="slices">
      {m.slices!.map((slice) => (
        <li key={slice.index} data-testid="slice" data-state={slice.state}>
          slice {slice.index}: {slice.state} · {count(slice.processed)} processed in{" "}
          {plural(slice.batches, "batch", "batches")} · next {count(slice.batchSize)}
          {slice.error ? ` · ${slice.error}` : ""}
        </li>
      ))}
    </ul>
  );
}
