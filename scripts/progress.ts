/**
 * Showing migration status on a terminal: live progress (the bars of
 * `npx convex-rollouts watch`, redrawn on a TTY, plain lines otherwise) and a
 * final table.
 */
import type { MigrationStatus } from "../src/client/index.js";
import { cut, migrationLines } from "../src/watch/render.js";
import { Screen } from "../src/watch/screen.js";

export type Tracked = {
  /** The migration's name, "file:export". */
  name: string;
  /** The number of documents it should process: an estimate, shown as "~N". */
  estimate: number;
};

const n = (x: number) => Math.round(x).toLocaleString("en-US");

export function shortName(name: string): string {
  return name.slice(name.indexOf(":") + 1);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/**
 * Live progress of the tracked migrations, drawn by the renderer of
 * `npx convex-rollouts watch` (src/watch/render.ts), so the demo shows what
 * the command shows: redrawn in place on a TTY; otherwise a migration's lines
 * when it changes state and every `every` batches.
 */
export class ProgressView {
  private printed = new Map<string, string>();
  private readonly screen: Screen;

  constructor(
    private tracked: Tracked[],
    private options: { tty: boolean; every: number; write?: (s: string) => void },
  ) {
    const write = options.write ?? ((x: string) => process.stdout.write(x));
    this.screen = new Screen({ tty: options.tty, write });
  }

  update(statuses: MigrationStatus[]): void {
    const byName = new Map(statuses.map((s) => [s.name, s]));
    if (this.options.tty) {
      // Lines are cut to the terminal's width: a wrapped line would break the redraw.
      const width = (process.stdout.columns || 120) - 1;
      this.screen.draw(
        this.tracked.flatMap((m) =>
          this.lines(m, byName.get(m.name)).map((line) => cut(line, width)),
        ),
      );
      return;
    }
    for (const m of this.tracked) {
      const status = byName.get(m.name);
      if (status === undefined) continue;
      const mark = `${status.state}:${Math.floor(status.batches / this.options.every)}`;
      if (this.printed.get(m.name) === mark) continue;
      this.printed.set(m.name, mark);
      this.screen.draw(this.lines(m, status));
    }
  }

  private lines(m: Tracked, status: MigrationStatus | undefined): string[] {
    if (status === undefined) return [`  ${m.name}`, `    waiting`];
    // The demo knows what it seeded: an estimate where status has none yet.
    return migrationLines(
      { ...status, estimatedTotal: status.estimatedTotal ?? m.estimate },
      { color: this.options.tty },
    );
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
