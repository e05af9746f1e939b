/**
 * The operators' console: who is looking, then rollouts (phases, gate,
 * advance and rollback, verify, moves), runs (progress, rate, ETA, controls)
 * and the failing documents. A refused caller sees that, and nothing else.
 */
import type { OperatorStatus, Status } from "../shared/validators.js";
import { Ledger } from "./Ledger.js";
import { MigrationRow } from "./MigrationRow.js";
import { RolloutCard } from "./RolloutCard.js";
import { plural } from "./format.js";
import {
  isUnauthorized,
  messageOf,
  useOperatorConsole,
  type ConsoleData,
  type OperatorActions,
  type OperatorApi,
} from "./operator.js";
import { CONSOLE_CSS, ROOT_CLASS, colors, styles } from "./styles.js";

/** The live console: `<OperatorConsole api={api.dashboard} />` under your Convex provider. */
export function OperatorConsole({ api, title }: { api: OperatorApi; title?: string }) {
  return <OperatorConsoleView {...useOperatorConsole(api)} title={title} />;
}

/** The console for data from anywhere (`useOperatorConsole`, or a client you poll). */
export function OperatorConsoleView({
  status,
  error,
  actions,
  title = "Rollouts",
}: ConsoleData & { title?: string }) {
  return (
    <div className={ROOT_CLASS} style={styles.root} data-testid="operator-console">
      <style>{CONSOLE_CSS}</style>
      {error !== undefined ? (
        <Refusal error={error} title={title} />
      ) : status === undefined ? (
        <p style={styles.muted} role="status">
          Loading rollouts…
        </p>
      ) : (
        <Console
          status={status}
          title={title}
          // A viewer is offered nothing to press.
          actions={status.operator.role === "operator" ? actions : undefined}
        />
      )}
    </div>
  );
}

function Refusal({ error, title }: { error: unknown; title: string }) {
  const refused = isUnauthorized(error);
  // The heading says "Not authorized"; the message need not say it twice.
  const message = messageOf(error).replace(/^Not authorized:\s*/, "");
  return (
    <section
      style={{ ...styles.card, maxWidth: 560, margin: "48px auto", padding: "28px 28px 24px" }}
      data-testid="console-refused"
    >
      <div
        aria-hidden="true"
        style={{
          width: 40,
          height: 40,
          borderRadius: 20,
          display: "grid",
          placeItems: "center",
          background: refused ? "#fff1d6" : "#fde8e7",
          color: refused ? colors.amber : colors.red,
          fontWeight: 700,
          fontSize: 20,
          marginBottom: 12,
        }}
      >
        !
      </div>
      <h1 style={styles.h1}>{refused ? "Not authorized" : `${title} could not load`}</h1>
      <p style={{ ...styles.line, fontSize: 14, margin: "10px 0" }} role="alert">
        {message.charAt(0).toUpperCase() + message.slice(1)}
      </p>
      {refused ? (
        <p style={styles.muted}>
          This page is for the operators of this app. Nothing about its data or its rollouts is
          shown to you.
        </p>
      ) : null}
    </section>
  );
}

function Console({
  status,
  title,
  actions,
}: {
  status: OperatorStatus;
  title: string;
  actions: OperatorActions | undefined;
}) {
  const { operator } = status;
  const running = status.migrations.filter((m) => m.state === "running").length;
  const failing = status.migrations.reduce((sum, m) => sum + m.failures.length, 0);
  return (
    <>
      <header style={styles.header}>
        <h1 style={styles.h1}>{title}</h1>
        <div style={styles.who} data-testid="operator">
          <span
            className="cr-live-dot"
            aria-hidden="true"
            style={{ width: 8, height: 8, borderRadius: 4, background: "#2f8f5b" }}
          />
          <span>Live</span>
          <span aria-hidden="true">·</span>
          <span>
            <strong style={{ color: colors.text }}>{operator.name}</strong>, {operator.role}
          </span>
        </div>
        <p style={styles.summary}>
          {plural(status.rollouts.length + (status.rolloutsOmitted ?? 0), "rollout")} ·{" "}
          {plural(status.migrations.length, "migration")} · {running} running ·{" "}
          {failing > 0 ? `${plural(failing, "failing document")} shown` : "no failing documents"}
        </p>
      </header>
      {operator.role === "viewer" ? (
        <p style={styles.note} data-testid="viewer-note">
          Read only: viewers see status but cannot act.
          {status.redacted ? " Error text from migrateOne is hidden; ids and kinds remain." : ""}
        </p>
      ) : null}
      <Sections status={status} actions={actions} />
    </>
  );
}

/** Rollouts, runs and the ledger; with `actions`, each with its controls. */
export function Sections({ status, actions }: { status: Status; actions?: OperatorActions }) {
  const { rollouts, migrations } = status;
  return (
    <>
      <section aria-label="Rollouts">
        <h2 style={styles.heading}>Rollouts</h2>
        {rollouts.length === 0 ? (
          <p style={styles.muted}>No rollouts declared.</p>
        ) : (
          rollouts.map((r) => <RolloutCard key={r.name} rollout={r} actions={actions} />)
        )}
        {status.rolloutsOmitted ? (
          <p style={styles.muted}>
            {plural(status.rolloutsOmitted, "more rollout")} not shown (status shows the 20 most
            recently moved).
          </p>
        ) : null}
      </section>
      <section aria-label="Migrations">
        <h2 style={styles.heading}>Migrations</h2>
        {migrations.length === 0 ? (
          <p style={styles.muted}>No migration has run yet.</p>
        ) : (
          migrations.map((m) => <MigrationRow key={m.runId} migration={m} actions={actions} />)
        )}
      </section>
      <section aria-label="Failing documents">
        <h2 style={styles.heading}>Failing documents</h2>
        <Ledger migrations={migrations} />
      </section>
    </>
  );
}
