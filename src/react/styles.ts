/**
 * Styles, so the view needs no stylesheet from the app: inline styles, and
 * one small scoped stylesheet (`CONSOLE_CSS`) for what inline styles cannot
 * say (focus rings, hover, narrow screens). Colors keep 4.5:1 contrast.
 */
import type { CSSProperties } from "react";

const font = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const mono = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

export const colors = {
  text: "#1b2230",
  muted: "#556070",
  line: "#dde2ea",
  soft: "#f3f5f9",
  blue: "#1d4ed8",
  green: "#17643f",
  amber: "#8a4b00",
  red: "#a3211a",
};

/** The root's class: the stylesheet below applies under it only. */
export const ROOT_CLASS = "cr-console";

export const CONSOLE_CSS = `
.${ROOT_CLASS} *, .${ROOT_CLASS} *::before, .${ROOT_CLASS} *::after { box-sizing: border-box; }
.${ROOT_CLASS} .cr-btn {
  font: inherit; font-size: 13px; font-weight: 600; line-height: 1.2;
  padding: 7px 12px; border-radius: 7px; cursor: pointer;
  border: 1px solid ${colors.line}; background: #fff; color: ${colors.text};
}
.${ROOT_CLASS} .cr-btn:hover:not(:disabled) { background: ${colors.soft}; }
.${ROOT_CLASS} .cr-btn-primary { background: ${colors.blue}; border-color: ${colors.blue}; color: #fff; }
.${ROOT_CLASS} .cr-btn-primary:hover:not(:disabled) { background: #1e40af; }
.${ROOT_CLASS} .cr-btn-danger { color: ${colors.red}; border-color: #f0b8b4; }
.${ROOT_CLASS} .cr-btn-danger:hover:not(:disabled) { background: #fdf0ef; }
.${ROOT_CLASS} .cr-btn-danger.cr-btn-primary { background: ${colors.red}; border-color: ${colors.red}; color: #fff; }
.${ROOT_CLASS} .cr-btn:disabled { cursor: not-allowed; background: #eceff3; border-color: #e1e5eb; color: #6b7480; }
.${ROOT_CLASS} button:focus-visible, .${ROOT_CLASS} input:focus-visible, .${ROOT_CLASS} summary:focus-visible {
  outline: 3px solid #93b4f5; outline-offset: 2px;
}
.${ROOT_CLASS} input {
  font: inherit; font-size: 13px; padding: 6px 8px; border-radius: 7px;
  border: 1px solid #b9c1cd; color: ${colors.text}; min-width: 0;
}
.${ROOT_CLASS} code { overflow-wrap: anywhere; }
@media (max-width: 560px) {
  .${ROOT_CLASS} .cr-steps > * { flex-basis: calc(33% - 4px); }
  .${ROOT_CLASS} .cr-hide-narrow { display: none; }
}
@media (prefers-reduced-motion: no-preference) {
  .${ROOT_CLASS} .cr-live-dot { animation: cr-pulse 2s ease-in-out infinite; }
}
@keyframes cr-pulse { 50% { opacity: 0.35; } }
`;

export const styles = {
  root: {
    fontFamily: font,
    color: colors.text,
    maxWidth: 960,
    margin: "0 auto",
    fontSize: 14,
    lineHeight: 1.45,
  },
  header: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    justifyContent: "space-between",
    gap: "8px 16px",
    padding: "14px 18px",
    background: "#fff",
    border: `1px solid ${colors.line}`,
    borderRadius: 12,
  },
  h1: { fontSize: 20, margin: 0, fontWeight: 700 },
  who: { display: "flex", alignItems: "center", gap: 8, fontSize: 13, color: colors.muted },
  summary: { width: "100%", margin: 0, fontSize: 13, color: colors.muted },
  heading: {
    fontSize: 12,
    textTransform: "uppercase",
    letterSpacing: "0.06em",
    color: colors.muted,
    margin: "22px 2px 8px",
  },
  card: {
    border: `1px solid ${colors.line}`,
    borderRadius: 12,
    padding: "14px 16px",
    margin: "10px 0",
    background: "#fff",
    boxShadow: "0 1px 2px rgba(16, 24, 40, 0.05)",
  },
  title: {
    display: "flex",
    flexWrap: "wrap",
    justifyContent: "space-between",
    alignItems: "center",
    gap: "4px 12px",
  },
  name: { fontWeight: 650, fontSize: 16, overflowWrap: "anywhere" },
  muted: { color: colors.muted, fontSize: 13, margin: "4px 0" },
  line: { fontSize: 13, margin: "6px 0" },
  code: {
    fontFamily: mono,
    fontSize: 12,
    background: colors.soft,
    borderRadius: 4,
    padding: "1px 5px",
  },
  steps: { display: "flex", flexWrap: "wrap", gap: 4, margin: "12px 0", padding: 0 },
  barTrack: {
    height: 10,
    background: "#e6e9ef",
    borderRadius: 5,
    overflow: "hidden",
    margin: "10px 0 6px",
  },
  list: { margin: "4px 0 0", padding: 0, listStyle: "none", fontSize: 13 },
  actions: { display: "flex", flexWrap: "wrap", alignItems: "center", gap: 8, marginTop: 12 },
  form: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    gap: 8,
    marginTop: 10,
    padding: 10,
    background: colors.soft,
    borderRadius: 8,
  },
  alert: {
    color: colors.red,
    background: "#fdf0ef",
    border: "1px solid #f5c9c5",
    borderRadius: 8,
    padding: "8px 10px",
    fontSize: 13,
    margin: "8px 0 0",
    overflowWrap: "anywhere",
  },
  note: {
    background: "#fff8e8",
    border: "1px solid #f3dca6",
    color: colors.amber,
    borderRadius: 8,
    padding: "8px 12px",
    fontSize: 13,
    margin: "10px 0 0",
  },
  subhead: { fontSize: 12, fontWeight: 650, color: colors.muted, margin: "12px 0 4px" },
} satisfies Record<string, CSSProperties>;

export function stepStyle(state: "done" | "current" | "todo"): CSSProperties {
  const look = {
    done: { background: "#e3f5eb", color: colors.green, border: "1px solid #b7e2c8" },
    current: { background: colors.blue, color: "#fff", border: `1px solid ${colors.blue}` },
    todo: { background: "#fff", color: colors.muted, border: `1px dashed #c3cad5` },
  }[state];
  return {
    flex: "1 1 0",
    minWidth: 72,
    textAlign: "center",
    fontSize: 12,
    fontWeight: 600,
    padding: "5px 4px",
    borderRadius: 6,
    listStyle: "none",
    ...look,
  };
}

const BADGES: Record<string, [string, string]> = {
  running: ["#e6eeff", colors.blue],
  paused: ["#fff1d6", colors.amber],
  done: ["#e3f5eb", colors.green],
  failed: ["#fde8e7", colors.red],
  canceled: ["#eef0f3", "#454d5a"],
  open: ["#e3f5eb", colors.green],
  closed: ["#fff1d6", colors.amber],
};

export function badgeStyle(state: string): CSSProperties {
  const [background, color] = BADGES[state] ?? ["#eef0f3", "#454d5a"];
  return {
    fontSize: 12,
    fontWeight: 650,
    color,
    background,
    borderRadius: 999,
    padding: "2px 10px",
    whiteSpace: "nowrap",
  };
}

export function fillStyle(percent: number, state: string): CSSProperties {
  const color =
    state === "failed"
      ? colors.red
      : state === "done"
        ? "#2f8f5b"
        : state === "paused" || state === "canceled"
          ? "#c98a1b"
          : "#2f62e0";
  return {
    width: `${Math.max(0, Math.min(100, percent))}%`,
    height: "100%",
    background: color,
    borderRadius: 5,
    transition: "width 0.4s ease",
  };
}

export function gateStyle(open: boolean): CSSProperties {
  return {
    borderRadius: 10,
    padding: "10px 12px",
    margin: "10px 0",
    border: `1px solid ${open ? "#b7e2c8" : "#f3dca6"}`,
    background: open ? "#f2fbf5" : "#fffaf0",
  };
}
