/** Inline styles, so the view needs no stylesheet from the app. */
import type { CSSProperties } from "react";

const font = "system-ui, -apple-system, Segoe UI, sans-serif";

export const styles = {
  root: { fontFamily: font, color: "#1d2433", maxWidth: 880 },
  heading: { fontSize: 18, margin: "20px 0 8px" },
  card: {
    border: "1px solid #d8dde6",
    borderRadius: 8,
    padding: "12px 16px",
    margin: "8px 0",
    background: "#fff",
  },
  title: { display: "flex", justifyContent: "space-between", alignItems: "baseline", gap: 12 },
  name: { fontWeight: 600, fontSize: 15 },
  muted: { color: "#69738a", fontSize: 13, margin: "4px 0" },
  code: {
    fontFamily: "ui-monospace, monospace",
    fontSize: 12,
    background: "#f3f5f9",
    padding: "1px 4px",
  },
  steps: { display: "flex", gap: 4, margin: "10px 0" },
  barTrack: {
    height: 8,
    background: "#e8ebf1",
    borderRadius: 4,
    overflow: "hidden",
    margin: "6px 0",
  },
  list: { margin: "4px 0 0 16px", padding: 0, fontSize: 13 },
} satisfies Record<string, CSSProperties>;

export function stepStyle(state: "done" | "current" | "todo"): CSSProperties {
  const colors = { done: "#2f8f5b", current: "#2457d6", todo: "#c5ccd9" };
  return {
    flex: 1,
    textAlign: "center",
    fontSize: 12,
    padding: "4px 0",
    borderRadius: 4,
    color: state === "todo" ? "#69738a" : "#fff",
    background: colors[state],
  };
}

export function badgeStyle(state: string): CSSProperties {
  const colors: Record<string, string> = {
    running: "#2457d6",
    paused: "#b7791f",
    done: "#2f8f5b",
    failed: "#c53030",
    canceled: "#69738a",
  };
  return {
    fontSize: 12,
    color: "#fff",
    background: colors[state] ?? "#69738a",
    borderRadius: 10,
    padding: "1px 8px",
  };
}

export function fillStyle(percent: number, state: string): CSSProperties {
  return {
    width: `${Math.max(0, Math.min(100, percent))}%`,
    height: "100%",
    background: state === "failed" ? "#c53030" : state === "done" ? "#2f8f5b" : "#2457d6",
  };
}
