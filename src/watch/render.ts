/**
 * What `npx convex-rollouts watch` draws from one status: per migration a
 * progress bar with processed/estimated, rate, ETA, state and error; per
 * rollout its phase strip and the next gate with its command. Pure: the same
 * status gives the same lines, so it is tested on recorded status streams,
 * and the demo draws its progress with it too.
 */
import type { MigrationStatus, RolloutStatus, Status } from "../shared/validators.js";
import { PHASES } from "../shared/validators.js";
import { count, duration } from "../react/format.js";

export type RenderOptions = {
  /** Colors and emphasis with ANSI escapes (a terminal); plain text otherwise. */
  color?: boolean;
  /** The width lines are cut to; none, lines are whole. */
  width?: number;
  /** Cells in a progress bar. */
  bar?: number;
};

const BAR = 20;
const ESC = "\x1b[";
const STATE_COLORS: Record<MigrationStatus["state"], string> = {
  running: "36",
  paused: "33",
  done: "32",
  failed: "31",
  canceled: "35",
  unknown: "90",
};

function paint(text: string, code: string, color: boolean | undefined): string {
  return color ? `${ESC}${code}m${text}${ESC}0m` : text;
}

/** How far a run is, 0 to 1, or null with nothing to measure it against. */
export function fractionOf(m: MigrationStatus): number | null {
  if (m.state === "done") return 1;
  if (m.percent !== null) return m.percent / 100;
  if (m.estimatedTotal === null || m.estimatedTotal === 0) return null;
  return Math.min(1, m.processed / m.estimatedTotal);
}

/** `[██████░░░░]`; without a measure, the bar is empty and says so with `?`. */
export function progressBar(fraction: number | null, cells = BAR): string {
  if (fraction === null) return `[${"·".repeat(cells)}]`;
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * cells);
  return `[${"█".repeat(full)}${"░".repeat(cells - full)}]`;
}

/** "5,200/~10,000": the total marked `~` when it is estimated from the cursor, `?` when unknown. */
function counts(m: MigrationStatus): string {
  const total =
    m.state === "done"
      ? count(m.processed)
      : m.estimatedTotal === null
        ? "?"
        : `${m.estimateFrom === "creationTime" ? "~" : ""}${count(m.estimatedTotal)}`;
  return `${count(m.processed)}/${total}`;
}

/** One migration: its bar line, and a line for its error or failures when it has any. */
export function migrationLines(m: MigrationStatus, options: RenderOptions = {}): string[] {
  const fraction = fractionOf(m);
  const percent =
    fraction === null ? "    –" : `${(fraction * 100).toFixed(fraction === 1 ? 0 : 1)}%`;
  const going = m.state === "running";
  const parts = [
    paint(progressBar(fraction, options.bar), STATE_COLORS[m.state], options.color),
    percent.padStart(6),
    counts(m).padEnd(15),
    going && m.rate !== null ? `${count(m.rate)}/s` : "",
    going && m.etaMs !== null ? `ETA ${duration(m.etaMs)}` : "",
    paint(m.state, STATE_COLORS[m.state], options.color),
  ].filter((part) => part !== "");
  const mode = m.mode === "all" ? "" : ` (${m.mode})`;
  const lines = [`  ${m.name}${mode}`, `    ${parts.join("  ")}`];
  if (m.error !== undefined) lines.push(`    ${paint(`error: ${m.error}`, "31", options.color)}`);
  if (m.failed > 0 || m.failures.length > 0) {
    const first = m.failures[0];
    lines.push(
      `    ${count(m.failed)} skipped into the failure ledger` +
        (first ? `; first ${first.documentId}: ${first.error}` : ""),
    );
  }
  if (m.state === "unknown") lines.push(`    never ran here; start it: ${m.commands.start}`);
  return lines;
}

/** `schema ─ dualWrite ─ [backfill] ─ readNew ─ complete`, the current phase marked. */
export function phaseStrip(phase: RolloutStatus["phase"], color?: boolean): string {
  return PHASES.map((p) =>
    p === phase ? (color ? `${ESC}1;7m ${p} ${ESC}0m` : `[${p}]`) : color ? paint(p, "2", true) : p,
  ).join(" ─ ");
}

/** One rollout: its phase strip, its backfill's bar while it runs, and the next gate. */
export function rolloutLines(r: RolloutStatus, options: RenderOptions = {}): string[] {
  const lines = [`  ${r.name}`, `    ${phaseStrip(r.phase, options.color)}`];
  const run = r.backfill.run;
  if (run !== null && r.phase === "backfill" && run.state !== "done") {
    lines.push(...migrationLines(run, options).map((line) => `  ${line}`));
  }
  if (r.verify !== null && r.phase === "backfill") {
    const v = r.verify;
    lines.push(
      `    verify ${v.state}: ${count(v.checked)} checked, ${count(v.mismatches)} not in the new shape`,
    );
  }
  if (r.next === null) {
    lines.push(`    complete: nothing follows`);
  } else {
    const gate = r.next.open
      ? paint("open", "32", options.color)
      : paint("closed", "33", options.color);
    lines.push(`    next ${r.next.to} (${gate}): ${r.next.detail}`);
    lines.push(`    $ ${r.next.command}`);
  }
  return lines;
}

/** Everything: the migrations, then the rollouts, each cut to `width`. */
export function renderStatus(status: Status, options: RenderOptions = {}): string[] {
  const lines: string[] = [];
  if (status.migrations.length > 0) {
    lines.push("Migrations");
    for (const m of status.migrations) lines.push(...migrationLines(m, options));
  }
  if (status.rollouts.length > 0) {
    if (lines.length > 0) lines.push("");
    lines.push("Rollouts");
    for (const r of status.rollouts) lines.push(...rolloutLines(r, options));
  }
  if (status.rolloutsOmitted !== undefined) {
    lines.push(`  and ${count(status.rolloutsOmitted)} more (ask with a higher limit)`);
  }
  if (lines.length === 0) lines.push("Nothing has run here yet, and no rollout is declared.");
  return options.width === undefined ? lines : lines.map((line) => cut(line, options.width!));
}

/**
 * A line cut to `width` visible characters, its ANSI escapes kept whole: a
 * wrapped line would break a redraw in place.
 */
export function cut(line: string, width: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length;) {
    // eslint-disable-next-line no-control-regex -- an ANSI escape is what it looks for
    const escape = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    if (visible === width) {
      // Keep closing escapes only, so a color never leaks past the cut.
      return line.includes(ESC) ? `${out}${ESC}0m` : out;
    }
    out += line[i];
    visible++;
    i++;
  }
  return out;
}
