/** Numbers, durations and times as people read them. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${Math.round(ms / 100) / 10} s`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function shortName(name: string): string {
  return name.slice(name.indexOf(":") + 1);
}

/** How long ago `at` was, roughly: "just now", "4 min ago", "3 h ago", "2 d ago". */
export function ago(at: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1_000));
  if (s < 10) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ago` : `${Math.floor(h / 24)} d ago`;
}

/** A time as an ISO string, for a tooltip or `<time dateTime>`. */
export function iso(at: number): string {
  return new Date(at).toISOString();
}

/** "1 document", "3 documents". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
