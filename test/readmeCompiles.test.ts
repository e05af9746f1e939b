/**
 * Every TypeScript block of the README (and of the docs/ pages it links to) is checked: a block marked
 * `<!-- compiles: <app>/convex/<file> -->` is a whole module, as a user would
 * paste it, and must typecheck in place of that file in a copy of that app
 * under the tsconfig Convex's CLI writes for a new app (`strict`), imports,
 * return types and `/// <reference>` lines included; a block marked
 * `<!-- snippet: <file> -->` is an excerpt, whose lines test/readme.test.ts
 * finds in that file (which `npm run typecheck` checks).
 */
import { execFile } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
/** The README and the pages of docs/ it links to. */
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** The tsconfig `npx convex dev` writes into a new app's convex/ folder (convex 1.48). */
function convexTsconfig(): string {
  const require = createRequire(import.meta.url);
  const template = require(
    join(root, "node_modules/convex/dist/cjs/cli/codegen_templates/tsconfig.js"),
  ) as { tsconfigCodegen: () => string };
  return template.tsconfigCodegen();
}

const blocks = pages.flatMap((page) => {
  const text = readFileSync(join(root, page), "utf8");
  return [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((match) => {
    const before = text.slice(0, match.index);
    // The markers directly above the block (blank lines between are fine).
    const markers = /((?:<!-- [^>]* -->\s*)*)$/.exec(before)![1]!;
    return {
      lang: match[1]!,
      code: match[2]!,
      where: `${page}:${before.split("\n").length}`,
      compiles: /<!-- compiles: (\S+) -->/.exec(markers)?.[1],
      snippet: /<!-- snippet: (\S+) -->/.exec(markers)?.[1],
    };
  });
});
const typescript = blocks.filter((b) => b.lang === "ts" || b.lang === "tsx");
const whole = typescript.filter((b) => b.compiles !== undefined);

test("every TypeScript block of the README and docs/ is a whole module or an excerpt of a checked file", () => {
  expect(whole.length).toBeGreaterThanOrEqual(3);
  const unchecked = typescript.filter((b) => b.compiles === undefined && b.snippet === undefined);
  expect(unchecked.map((b) => b.where)).toEqual([]);
});

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe("whole modules of the README", () => {
  for (const block of whole) {
    test(`${block.where} typechecks as ${block.compiles} under Convex's tsconfig`, async () => {
      const target = block.compiles!;
      const app = join(root, dirname(target));
      // Inside the repository, so the app's `convex-rollouts` imports resolve to the package itself.
      mkdirSync(join(root, "node_modules/.cache"), { recursive: true });
      const copy = mkdtempSync(join(root, "node_modules/.cache/readme-app-"));
      scratch.push(copy);
      cpSync(app, copy, { recursive: true });
      writeFileSync(join(copy, "tsconfig.json"), convexTsconfig());
      writeFileSync(join(copy, basename(target)), block.code);
      const ours = await diagnostics(copy, basename(target));
      expect(ours).toEqual([]);
    }, 60_000);
  }

  test("the check catches a handler that calls through internal without its return type", async () => {
    const admin = whole.find((b) => b.compiles === "example/convex/admin.ts")!;
    const copy = mkdtempSync(join(root, "node_modules/.cache/readme-app-"));
    scratch.push(copy);
    cpSync(join(root, "example/convex"), copy, { recursive: true });
    writeFileSync(join(copy, "tsconfig.json"), convexTsconfig());
    // What the README showed before: the handlers without `: Promise<...>`.
    writeFileSync(join(copy, "admin.ts"), admin.code.replace(/\): Promise<[^>]*> =>/g, ") =>"));
    const ours = await diagnostics(copy, "admin.ts");
    expect(ours.join("\n")).toMatch(/TS70(22|23|24)/);
  }, 60_000);
});

/** The compiler's errors in `file` of the app in `dir`, as the repository's `tsc` reports them. */
async function diagnostics(dir: string, file: string): Promise<string[]> {
  const tsc = join(root, "node_modules/@typescript/native/bin/tsc");
  const output = await promisify(execFile)(
    process.execPath,
    [tsc, "-p", join(dir, "tsconfig.json"), "--pretty", "false"],
    { cwd: dir },
  ).then(
    () => "",
    (error: { code?: unknown; stdout?: string }) => {
      // tsc exits 1 or 2 with its diagnostics on stdout; anything else is not a typecheck.
      if (typeof error.stdout !== "string" || !/error TS\d+/.test(error.stdout)) throw error;
      return error.stdout;
    },
  );
  // Only what the README's module says is its concern; the rest is the app's own.
  return output.split("\n").filter((line) => line.startsWith(file));
}
