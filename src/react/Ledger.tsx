/** The failure ledger: documents migrateOne threw on, still unconverted, per migration. */
import type { MigrationStatus } from "../shared/validators.js";
import { ago, iso, shortName } from "./format.js";
import { colors, styles } from "./styles.js";

export function Ledger({ migrations }: { migrations: MigrationStatus[] }) {
  const failing = migrations.filter((m) => m.failures.length > 0);
  if (failing.length === 0) {
    return <p style={styles.muted}>No document is failing.</p>;
  }
  return (
    <div style={{ ...styles.card, padding: "6px 16px" }} data-testid="ledger">
      {failing.map((m) => (
        <section key={m.name} aria-label={`Failing documents of ${shortName(m.name)}`}>
          <h3 style={{ ...styles.subhead, fontSize: 13, color: colors.text }}>
            {shortName(m.name)}{" "}
            <span style={{ fontWeight: 400, color: colors.muted }}>
              · the first {m.failures.length} still in its ledger
            </span>
          </h3>
          <ul style={styles.list}>
            {m.failures.map((f) => (
              <li
                key={f.documentId}
                style={{ padding: "6px 0", borderTop: `1px solid ${colors.soft}` }}
                data-testid="ledger-entry"
              >
                <code style={styles.code}>{f.documentId}</code>{" "}
                <time style={styles.muted} dateTime={iso(f.at)} title={iso(f.at)}>
                  · {ago(f.at)}
                </time>
                <div style={{ color: colors.red, overflowWrap: "anywhere", marginTop: 2 }}>
                  {f.error}
                </div>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
