/**
 * The README's code must not drift from the code. A block announced with
 * `<!-- snippet: path -->` must consist of lines that appear, in order, in
 * that file; the CLI lines of the Operations table must name functions the
 * example app exports.
 */
import { readdirSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import * as migrations from "../example/convex/migrations.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
/** The README and the pages of docs/ it links to: their snippets are checked alike. */
const docs = readdirSync(new URL("../docs/", import.meta.url))
  .filter((file) => file.endsWith(".md"))
  .map((file) => readFileSync(new URL(`../docs/${file}`, import.meta.url), "utf8"));

const snippets = [readme, ...docs].flatMap((text) =>
  [...text.matchAll(/<!-- snippet: (\S+) -->\s*```\w*\n([\s\S]*?)```/g)].map(([, path, code]) => ({
    path: path!,
    code: code!,
  })),
);

test("the README has snippets to check", () => {
  expect(snippets.length).toBeGreaterThanOrEqual(4);
});

for (const { path, code } of snippets) {
  test(`the README's snippet of ${path} is in that file, line by line, in order`, () => {
    const source = readFileSync(new URL(`../${path}`, import.meta.url), "utf8")
      .split("\n")
      .map((line) => line.trim());
    let at = 0;
    for (const line of code.split("\n").map((l) => l.trim())) {
      if (line === "" || line.startsWith("// convex/")) continue;
      const found = source.indexOf(line, at);
      expect(found, `README line not found in ${path} (in order): ${line}`).toBeGreaterThanOrEqual(
        0,
      );
      at = found + 1;
    }
  });
}

test("every `npx convex run migrations:<fn>` in the README and docs/ names a function the example exports", () => {
  const names = [...[readme, ...docs].join("\n").matchAll(/npx convex run migrations:(\w+)/g)].map(
    ([, name]) => name!,
  );
  expect(names.length).toBeGreaterThan(5);
  for (const name of names) expect(Object.keys(migrations)).toContain(name);
});
