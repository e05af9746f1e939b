/**
 * BENCHMARKS.md holds two reports: `npm run bench` writes the file, and
 * `npm run bench:parallel` writes its own section between these markers. Each
 * keeps the other's part when it rewrites the file.
 */
export const START = "<!-- bench:parallel start -->";
export const END = "<!-- bench:parallel end -->";

/** The parallel section of a BENCHMARKS.md, markers included, or "" when it has none. */
export function parallelSection(text: string): string {
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  return from >= 0 && to > from ? text.slice(from, to + END.length) : "";
}

/** `text` with its parallel section replaced by `section` (added at the end when it had none). */
export function withParallelSection(text: string, section: string): string {
  const old = parallelSection(text);
  if (old === "") return section === "" ? text : `${text.trimEnd()}\n\n${section}\n`;
  return text.replace(old, section);
}
