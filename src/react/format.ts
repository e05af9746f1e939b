/** Numbers and durations as people read them. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function shortName(name: string): string {
  return name.slice(name.indexOf(":") + 1);
}
