/**
 * `npx convex-rollouts watch`: the renderer on status streams recorded from
 * the example app (test/fixtures/watch/example.stream, from
 * scripts/recordWatch.ts) and on one made live here, the stream splitter, the
 * in-place redraw, the command line, and the command itself against a
 * stand-in for the Convex CLI.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import type { Status } from "../src/client/index.js";
import { convexRunLine, parseWatchArgs } from "../src/watch/args.js";
import { JsonDocuments } from "../src/watch/jsonStream.js";
import { cut, renderStatus } from "../src/watch/render.js";
import { Screen } from "../src/watch/screen.js";
import { runScheduledOnce, seedUsers, setup } from "./harness.js";

const STREAM = fileURLToPath(new URL("./fixtures/watch/example.stream", import.meta.url));
const recorded = readFileSync(STREAM, "utf8");
const frames = new JsonDocuments().push(recorded) as Status[];

describe("the status stream", () => {
  test("splits into the same statuses whatever the chunks", () => {
    expect(frames.length).toBeGreaterThan(10);
    for (const size of [1, 7, 4093]) {
      const splitter = new JsonDocuments();
      const got: unknown[] = [];
      for (let i = 0; i < recorded.length; i += size) {
        got.push(...splitter.push(recorded.slice(i, i + size)));
      }
      expect(got).toEqual(frames);
    }
  });

  test("skips what is not a document, and braces inside strings", () => {
    const splitter = new JsonDocuments();
    expect(splitter.push('Watching query...\n{"a": "}{[\\"", "b": [1, {"c": 2}]}\n{"d"')).toEqual([
      { a: '}{["', b: [1, { c: 2 }] },
    ]);
    expect(splitter.push(": 1}\n")).toEqual([{ d: 1 }]);
  });
});

describe("rendering recorded statuses", () => {
  test("every migration and rollout of every frame is drawn as its status says", () => {
    for (const status of frames) {
      const text = renderStatus(status).join("\n");
      for (const m of status.migrations) {
        expect(text).toContain(m.name);
        expect(text).toContain(m.state);
        if (m.state === "unknown") expect(text).toContain(m.commands.start);
        if (m.state === "done")
          expect(text).toContain(`100%  ${m.processed.toLocaleString("en-US")}/`);
        if (m.state === "running" && m.percent !== null) {
          expect(text).toContain(`${m.percent.toFixed(1)}%`);
          if (m.etaMs !== null) expect(text).toContain("ETA ");
          // An estimate from the cursor is marked as one.
          if (m.estimateFrom === "creationTime") expect(text).toMatch(/\/~[\d,]+/);
        }
      }
      for (const r of status.rollouts) {
        expect(text).toContain(`[${r.phase}]`);
        if (r.next !== null) expect(text).toContain(`$ ${r.next.command}`);
      }
    }
  });

  test("the recording goes from nothing run, through bars that fill, to an open gate", () => {
    const texts = frames.map((s) => renderStatus(s).join("\n"));
    expect(texts[0]).toContain(
      "never ran here; start it: npx convex run migrations:setDefaultPlan",
    );
    expect(texts.some((t) => /\[█+░+\]\s+\d+\.\d%.*ETA .*running/.test(t))).toBe(true);
    expect(texts.some((t) => t.includes("schema ─ dualWrite ─ [backfill]"))).toBe(true);
    expect(texts.at(-1)).toContain(`next readNew (open)`);
    expect(texts.at(-1)).toContain(
      `$ npx convex run migrations:advance '{"rollout":"users.splitName","to":"readNew"}'`,
    );
  });

  test("an error and skipped documents get a line of their own", () => {
    const [status] = frames.filter((s) => s.migrations.some((m) => m.state === "running"));
    const m = { ...status!.migrations.find((x) => x.state === "running")! };
    const failing = {
      ...status!,
      migrations: [
        {
          ...m,
          error: "Retry 2 of 5 after: timeout",
          failed: 2,
          failures: [{ documentId: "u1", error: "bad email", at: 0 }],
        },
      ],
    };
    const text = renderStatus(failing).join("\n");
    expect(text).toContain("error: Retry 2 of 5 after: timeout");
    expect(text).toContain("2 skipped into the failure ledger; first u1: bad email");
  });

  test("colors and cuts lines to the terminal's width without breaking an escape", () => {
    const lines = renderStatus(frames.at(-1)!, { color: true, width: 40 });
    // eslint-disable-next-line no-control-regex
    const visible = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "");
    for (const line of lines) expect(visible(line).length).toBeLessThanOrEqual(40);
    const whole = renderStatus(frames.at(-1)!, { color: true }).join("\n");
    expect(whole).toContain("\x1b[32mdone\x1b[0m");
    expect(whole).toContain("\x1b[1;7m backfill \x1b[0m");
    expect(cut("\x1b[31mabcdef\x1b[0m", 3)).toBe("\x1b[31mabc\x1b[0m");
  });
});

describe("rendering the example app live", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("a first run without estimatedTotal fills its bar batch by batch, marked as estimated", async () => {
    const t = setup();
    await seedUsers(t, 500);
    await t.mutation(internal.migrations.setDefaultPlan, { batchSize: 100 });
    const percents: number[] = [];
    for (let i = 0; i < 10; i++) {
      await runScheduledOnce(t);
      vi.advanceTimersByTime(100);
      const status = await t.query(internal.migrations.status, {
        names: ["migrations:setDefaultPlan"],
      });
      const line = renderStatus(status)[2]!;
      const percent = /(\d+(?:\.\d)?)%/.exec(line);
      if (percent) percents.push(Number(percent[1]));
      if (status.migrations[0]!.state === "done") {
        expect(line).toMatch(/\[█{20}\]\s+100%\s+500\/500\s+done/);
        break;
      }
      expect(line).toMatch(/\/~[\d,]+/);
    }
    expect(percents.length).toBeGreaterThan(3);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(percents.at(-1)).toBe(100);
  });
});

describe("the screen", () => {
  test("on a terminal, a frame is drawn over the last one; otherwise one after another", () => {
    let out = "";
    const tty = new Screen({ tty: true, write: (s) => (out += s) });
    tty.draw(["a", "b"]);
    tty.draw(["c"]);
    expect(out).toBe("\x1b[2Ka\n\x1b[2Kb\n\x1b[0J\x1b[2A\x1b[2Kc\n\x1b[0J");
    let plain = "";
    const pipe = new Screen({ tty: false, write: (s) => (plain += s) });
    pipe.draw(["a", "b"]);
    pipe.draw(["c"]);
    expect(plain).toBe("a\nb\n\nc\n");
  });
});

describe("the command line", () => {
  test.each<[string[], ReturnType<typeof parseWatchArgs>]>([
    [[], "help"],
    [["--help"], "help"],
    [["watch"], { module: "migrations", flags: [] }],
    [["watch", "--prod"], { module: "migrations", flags: ["--prod"] }],
    [["watch", "admin/migrations.ts", "--prod"], { module: "admin/migrations", flags: ["--prod"] }],
    [
      ["watch", '{rollouts: ["users.bio"]}'],
      { module: "migrations", statusArgs: '{rollouts: ["users.bio"]}', flags: [] },
    ],
    [
      ["watch", "admin", "{names: []}", "--", "--url", "http://127.0.0.1:3210"],
      { module: "admin", statusArgs: "{names: []}", flags: ["--url", "http://127.0.0.1:3210"] },
    ],
  ])("%j", (argv, expected) => {
    expect(parseWatchArgs(argv)).toEqual(expected);
  });

  test.each([[["run"]], [["watch", "--url", "x"]], [["watch", "a", "b"]], [["watch", "a;rm"]]])(
    "refuses %j, saying how",
    (argv) => {
      const parsed = parseWatchArgs(argv);
      expect(parsed).toHaveProperty("error");
    },
  );

  test("runs the Convex CLI's watch of the module's status", () => {
    expect(convexRunLine({ module: "migrations", flags: ["--prod"] })).toEqual([
      "npx",
      "convex",
      "run",
      "migrations:status",
      "--watch",
      "--prod",
    ]);
  });
});

test("npx convex-rollouts watch draws every status the Convex CLI prints", async () => {
  const fake = fileURLToPath(new URL("./fixtures/watch/fakeConvex.mjs", import.meta.url));
  const bin = fileURLToPath(new URL("../src/watch/bin.ts", import.meta.url));
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", bin, "watch", "--prod", "admin"],
    { env: { ...process.env, CONVEX_ROLLOUTS_CONVEX: `${process.execPath} ${fake}` } },
  );
  expect(stderr).toBe("fake convex run admin:status --watch --prod\n");
  // Not a terminal: one frame per status, plain text, the last one the recording's last.
  expect(stdout.split("admin:status · ").length - 1).toBe(frames.length);
  expect(stdout).not.toContain("\x1b[");
  expect(stdout.trimEnd().endsWith(renderStatus(frames.at(-1)!).join("\n"))).toBe(true);
});
