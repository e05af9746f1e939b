/**
 * docs/watch.png: `npx convex-rollouts watch` in a real terminal (tmux), on
 * the status stream recorded from the example app, captured with its colors
 * and drawn to a PNG by headless Chromium (the browser tests' own).
 *
 *   npx tsx --tsconfig scripts/tsconfig.json scripts/watchScreenshot.ts [frame]
 *
 * Needs tmux. The frame (default 17) is how many statuses of
 * test/fixtures/watch/example.stream the stand-in Convex CLI prints first.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../test/browser.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = fileURLToPath(new URL("../docs/watch.png", import.meta.url));
const SESSION = `convex-rollouts-watch-${process.pid}`;
const [COLUMNS, ROWS] = [112, 24];

const COLORS: Record<string, string> = {
  "31": "#ff6b6b",
  "32": "#7bd88f",
  "33": "#e5c07b",
  "35": "#c678dd",
  "36": "#56b6c2",
  "90": "#7f848e",
};

/** The captured pane (with `capture-pane -e`) as HTML spans. */
function toHtml(ansi: string): string {
  const escape = (text: string) =>
    text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  let html = "";
  let open = false;
  // eslint-disable-next-line no-control-regex -- the escapes are what it reads
  for (const part of ansi.split(/(\x1b\[[0-9;]*m)/)) {
    // eslint-disable-next-line no-control-regex
    const codes = /^\x1b\[([0-9;]*)m$/.exec(part)?.[1];
    if (codes === undefined) {
      html += escape(part);
      continue;
    }
    if (open) html += "</span>";
    open = false;
    const list = codes.split(";").filter((c) => c !== "" && c !== "0" && c !== "39");
    if (list.length === 0) continue;
    const style = [
      ...list.filter((c) => COLORS[c]).map((c) => `color:${COLORS[c]}`),
      list.includes("1") ? "font-weight:bold" : "",
      list.includes("2") ? "opacity:0.55" : "",
      list.includes("7") ? "background:#d7dae0;color:#1e2127" : "",
    ].filter(Boolean);
    html += `<span style="${style.join(";")}">`;
    open = true;
  }
  return open ? `${html}</span>` : html;
}

async function main(): Promise<void> {
  const frame = process.argv[2] ?? "17";
  const fake = fileURLToPath(new URL("../test/fixtures/watch/fakeConvex.mjs", import.meta.url));
  const command =
    `cd ${ROOT} && FAKE_CONVEX_FRAMES=${frame} CONVEX_ROLLOUTS_CONVEX="node ${fake}" ` +
    `node --import tsx src/watch/bin.ts watch 2>/dev/null`;
  execFileSync("tmux", [
    "new-session",
    "-d",
    "-s",
    SESSION,
    "-x",
    String(COLUMNS),
    "-y",
    String(ROWS),
    `printf '$ npx convex-rollouts watch\\n'; ${command}`,
  ]);
  try {
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const pane = execFileSync("tmux", ["capture-pane", "-e", "-p", "-t", SESSION], {
      encoding: "utf8",
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 480 } });
      await page.setContent(
        `<body style="margin:0;background:#1e2127"><pre id="term" style="margin:0;padding:16px;` +
          `display:inline-block;font:14px/1.3 'DejaVu Sans Mono','Liberation Mono',monospace;color:#d7dae0;` +
          `background:#1e2127">${toHtml(pane.trimEnd())}</pre></body>`,
      );
      await page.locator("#term").screenshot({ path: OUT });
    } finally {
      await browser.close();
    }
    console.log(`wrote ${OUT}`);
  } finally {
    execFileSync("tmux", ["kill-session", "-t", SESSION]);
  }
}

void main();
