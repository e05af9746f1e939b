/**
 * Showing migration status on a terminal: live progress (a redrawn bar per
 * migration on a TTY, plain lines otherwise) and a final table.
 */
import type { MigrationStatus } from "../src/client/index.js";

export type Tracked = {
  /** The migration's name, "file:export". */
  name: string;
  /** The number of documents it should process: an estimate, shown as "~N". */
  estimate: number;
};

const BAR = 16;
const n = (x: number) => Math.round(x).toLocaleString("en-US");

export function shortName(name: string): string {
  return name.slice(name.indexOf(":") + 1);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function elapsed(status: MigrationStatus, now: number): number {
  return (status.endedAt ?? now) - status.attemptStartedAt;
}

function rate(status: MigrationStatus, now: number): string {
  const ms = elapsed(status, now);
  return ms > 0 ? `${n((status.processed * 1000) / ms)} docs/s` : "";
}

export class ProgressView {
  private drawn = 0;
  private printed = new Map<string, string>();
  private width: number;

  /**
   * @param tty redraw bars in place; otherwise print a line when a migration
   *   changes state and every `every` batches.
   */
  constructor(
    private tracked: Tracked[],
    private options: { tty: boolean; every: number; write?: (s: string) => void },
  ) {
    this.width = Math.max(...tracked.map((m) => shortName(m.name).length));
  }

  update(statuses: MigrationStatus[], now = Date.now()): void {
    const byName = new Map(statuses.map((s) => [s.name, s]));
    if (this.options.tty) this.redraw(byName, now);
    else this.printChanges(byName, now);
  }

  private write(s: string): void {
    (this.options.write ?? ((x: string) => process.stdout.write(x)))(s);
  }

  private redraw(byName: Map<string, MigrationStatus>, now: number): void {
    // Move up over the lines drawn last time, then rewrite each one.
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
    // Lines are cut to the terminal's width: a wrapped line would break the redraw.
    const columns = (process.stdout.columns || 120) - 1;
    for (const m of this.tracked) {
      out += `\x1b[2K${this.bar(m, byName.get(m.name), now).slice(0, columns)}\n`;
    }
    this.drawn = this.tracked.length;
    this.write(out);
  }

  private bar(m: Tracked, status: MigrationStatus | undefined, now: number): string {
    const label = `  ${shortName(m.name).padEnd(this.width)}`;
    if (status === undefined) return `${label} [${" ".repeat(BAR)}] waiting`;
    const done = status.state === "done";
    const fraction = done ? 1 : Math.min(1, status.processed / Math.max(1, m.estimate));
    const full = Math.round(fraction * BAR);
    const bar = "█".repeat(full) + "░".repeat(BAR - full);
    const total = done ? n(status.processed) : `~${n(m.estimate)}`;
    return (
      // The state comes before the rate, so a narrow terminal cuts only the rate.
      `${label} [${bar}] ${n(status.processed).padStart(6)}/${total.padEnd(7)}` +
      ` ${status.state.padEnd(8)} ${n(status.batches).padStart(4)} batches  ${rate(status, now)}`
    );
  }

  private printChanges(byName: Map<string, MigrationStatus>, now: number): void {
    for (const m of this.tracked) {
      const status = byName.get(m.name);
      if (status === undefined) continue;
      const mark = `${status.state}:${Math.floor(status.batches / this.options.every)}`;
      if (this.printed.get(m.name) === mark) continue;
      this.printed.set(m.name, mark);
      this.write(
        `  ${shortName(m.name).padEnd(this.width)}  ${status.state.padEnd(8)}` +
          ` ${n(status.processed)}/${status.state === "done" ? n(status.processed) : `~${n(m.estimate)}`} docs` +
          `  ${n(status.batches)} batch${status.batches === 1 ? "" : "es"}  ${rate(status, now)}\n`,
      );
    }
  }
}

/** The final status table: one row per migration. */
export function statusTable(statuses: MigrationStatus[], now = Date.now()): string {
  const header = [
    "migration",
    "state",
    "processed",
    "changed",
    "batches",
    "batch size",
    "duration",
  ];
  const rows = statuses.map((s) => [
    shortName(s.name),
    s.state,
    n(s.processed),
    n(s.changed),
    n(s.batches),
    n(s.batchSize),
    seconds((s.endedAt ?? now) - s.startedAt),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Text columns left-aligned, numbers right-aligned.
  const line = (cells: string[]) =>
    "  " + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const rule = "  " + widths.map((w) => "─".repeat(w)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}
