// @vitest-environment node
/**
 * The guides must not drift from the repository: every file path written in
 * CONTRIBUTING.md and src/component/README.md exists, the operations reference's Errors
 * table lists exactly the error kinds the code has, and no npm script reaches
 * outside the repository (a contributor's clone has nothing beside it).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { ERROR_KINDS } from "../src/shared/errors.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");

/** The guides, and at least how many paths each must mention (so the extraction cannot rot). */
const GUIDES: [string, number][] = [
  ["CONTRIBUTING.md", 40],
  ["src/component/README.md", 30],
];

/** Written by commands and ignored by git, so absent from a fresh clone. */
const GENERATED = ["bench-results/", "dist/", "node_modules/"];
/** Module specifiers, which look like paths but name packages. */
const PACKAGE = /^(@[\w.-]+\/[\w.-]+|convex|convex-rollouts|convex-test|convex-helpers)(\/|$)/;
const FILE = /^[\w.*/-]+\.(ts|tsx|js|mjs|cjs|json|md|png|html|ya?ml)$/;

/**
 * The paths a markdown text mentions: link targets, and words of inline code
 * that look like files (a known extension) or start with a top-level entry of
 * the repository (`src/component`, `.ci/run`). Fenced blocks are commands and
 * are left out.
 */
function pathsIn(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, "");
  const found = new Set<string>();
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (!/^(\w+:|#)/.test(target!)) found.add(target!.replace(/#.*$/, ""));
  }
  for (const [, span] of text.matchAll(/`([^`\n]+)`/g)) {
    for (const word of span!.split(/\s+/)) {
      const token = word.replace(/^["'(]+|["'),.:;]+$/g, "");
      if (token === "" || token.includes("://") || PACKAGE.test(token)) continue;
      const first = token.split("/")[0]!;
      const topLevel = token.includes("/") && first !== "" && existsSync(join(root, first));
      if (topLevel || FILE.test(token)) found.add(token);
    }
  }
  return [...found];
}

/** Every file of the repository, as a path from its root, outside what commands generate. */
function allFiles(dir = ""): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory() && !/^(node_modules|dist|\.git|bench-results)$/.test(entry.name)) {
      files.push(...allFiles(path));
    } else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** Whether `path`, written in the guide at `guide`, names something in the repository. */
function exists(guide: string, path: string): boolean {
  if (GENERATED.some((prefix) => path.startsWith(prefix))) return true;
  const candidates = [join(dirname(guide), path), path].map((p) =>
    relative(root, join(root, p)).split(sep).join("/"),
  );
  if (!path.includes("*")) return candidates.some((p) => existsSync(join(root, p)));
  // A glob: some file must match it.
  return candidates.some((glob) => {
    const pattern = new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*\*\//g, "(.*/)?")
        .replace(/\*/g, "[^/]*")}$`,
    );
    return files().some((file) => pattern.test(file));
  });
}

let listed: string[] | undefined;
const files = () => (listed ??= allFiles());

describe("file paths in the guides", () => {
  for (const [guide, atLeast] of GUIDES) {
    test(`every path ${guide} mentions exists`, () => {
      // A code span broken across lines would hide its paths from the check.
      const prose = read(guide)
        .replace(/^```[\s\S]*?^```/gm, "")
        .split("\n");
      const broken = prose.filter((line) => (line.match(/`/g) ?? []).length % 2 === 1);
      expect(broken, `${guide} has code spans broken across lines`).toEqual([]);
      const paths = pathsIn(read(guide));
      expect(paths.length, `paths found in ${guide}: ${paths.join(", ")}`).toBeGreaterThanOrEqual(
        atLeast,
      );
      const missing = paths.filter((path) => !exists(guide, path));
      expect(missing, `${guide} mentions paths that do not exist`).toEqual([]);
    });
  }

  test("the check finds paths and reports the missing ones", () => {
    const sample = [
      "See [the guide](src/component/README.md#the-step-protocol) and `src/nope.ts`.",
      "Run `npx vitest run test/unit` with `FC_SEED=1`; `batch.ts` holds `executeBatch`.",
      "Imports `convex-rollouts/test` and `convex/values`; opens [docs](https://docs.convex.dev).",
      "```sh\nnpm run bench -- --from bench-results/gone.json\n```",
      "`test/**/*.test.ts`, `test/unit/*.nothing.ts`, `bench-results/latest.json`, `.ci/run`",
    ].join("\n");
    const paths = pathsIn(sample);
    expect(paths.sort()).toEqual(
      [
        ".ci/run",
        "batch.ts",
        "bench-results/latest.json",
        "src/component/README.md",
        "src/nope.ts",
        "test/**/*.test.ts",
        "test/unit",
        "test/unit/*.nothing.ts",
      ].sort(),
    );
    expect(paths.filter((path) => !exists("src/component/README.md", path)).sort()).toEqual([
      "src/nope.ts",
      "test/unit/*.nothing.ts",
    ]);
    // A bare name is looked for beside the guide, then from the root.
    expect(exists("CONTRIBUTING.md", "batch.ts")).toBe(false);
  });

  test("what the guides may name without it existing is ignored by git", () => {
    const ignored = read(".gitignore").split("\n");
    for (const prefix of GENERATED) {
      expect(ignored.some((line) => line === prefix || line === prefix.replace(/\/$/, ""))).toBe(
        true,
      );
    }
  });
});

describe("the Errors table (docs/operations.md, linked from the README)", () => {
  const readme = read("docs/operations.md");
  const section = readme.slice(
    readme.indexOf("\n## Errors\n"),
    readme.indexOf("\n## ", readme.indexOf("\n## Errors\n") + 1),
  );
  const rows = section
    .split("\n")
    .filter((line) => /^\|\s*`/.test(line))
    .map((line) => line.split("|").map((cell) => cell.trim()));
  const kinds = rows.map((cells) => /^`(\w+)`$/.exec(cells[1]!)?.[1]);

  test("lists exactly the kinds of ERROR_KINDS, once each", () => {
    expect(section.length).toBeGreaterThan(0);
    expect(kinds.length).toBe(new Set(kinds).size);
    expect([...kinds].sort()).toEqual([...ERROR_KINDS].sort());
  });

  test("says when each kind is thrown", () => {
    for (const cells of rows) expect(cells[2]!.length, cells[1]).toBeGreaterThan(20);
  });
});

test("no npm script reaches outside the repository", () => {
  const { scripts } = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
  for (const [name, script] of Object.entries(scripts)) {
    expect(script, `npm run ${name}`).not.toMatch(/\.\.[/\\]|(^|[\s'"=])(\/|~\/|[A-Z]:\\)/);
  }
});

/** GitHub's anchor of a heading: lowercased, punctuation but `-` and `_` dropped, spaces to `-`. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a markdown file's headings (outside fenced blocks). */
function anchorsIn(markdown: string): Set<string> {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...prose.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => anchorOf(heading!)));
}

describe("links to a heading", () => {
  const pages = ["README.md", "CONTRIBUTING.md", "src/client/README.md", "src/component/README.md"];
  pages.push(
    ...readdirSync(join(root, "docs")).flatMap((f) => (f.endsWith(".md") ? [`docs/${f}`] : [])),
  );

  test("GitHub's anchors, as the links write them", () => {
    expect(anchorOf("Switching from `@convex-dev/migrations`")).toBe(
      "switching-from-convex-devmigrations",
    );
    expect(anchorOf("A field moved to another table (`moveField`)")).toBe(
      "a-field-moved-to-another-table-movefield",
    );
    expect(anchorOf("Every `Next:` command")).toBe("every-next-command");
  });

  for (const page of pages) {
    test(`every link of ${page} to a heading finds it`, () => {
      const text = read(page);
      const broken: string[] = [];
      for (const [, target] of text
        .replace(/^```[\s\S]*?^```/gm, "")
        .matchAll(/\]\(([^)\s]+)\)/g)) {
        const [path, anchor] = target!.split("#");
        if (anchor === undefined || /^\w+:/.test(target!)) continue;
        const file = path === "" ? page : relative(root, join(root, dirname(page), path!));
        if (!file.endsWith(".md")) continue;
        if (!anchorsIn(read(file.split(sep).join("/"))).has(anchor)) broken.push(target!);
      }
      expect(broken, `${page} links to headings that do not exist`).toEqual([]);
    });
  }
});
