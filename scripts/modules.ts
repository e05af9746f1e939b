/**
 * The module map `convexTest(schema, modules)` needs, built with `fs` so it works
 * in plain Node (outside vitest there is no `import.meta.glob`).
 *
 * convex-test finds the functions' root from the first key that contains
 * "_generated" (everything before "_generated" is the prefix), strips each key's
 * extension, and loads a function path such as "migrations" from the key
 * `prefix + "migrations"`. So every key here is "./" plus the file's path
 * relative to the functions directory, and the _generated files come first so
 * that no other file with "_generated" in its name can be taken for the root.
 */
import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";

export type ModuleMap = Record<string, () => Promise<unknown>>;

const SOURCE = /\.(ts|mts|js|mjs)$/;
const DECLARATION = /\.d\.(ts|mts)$/;

/** Every source file under `dir` (a Convex functions directory), as lazy imports. */
export function functionModules(dir: string): ModuleMap {
  const files = listFiles(dir)
    .filter((file) => SOURCE.test(file) && !DECLARATION.test(file))
    .map((file) => relative(dir, file).split(sep).join("/"));
  const generated = files.filter((file) => file.startsWith("_generated/"));
  if (generated.length === 0) {
    throw new Error(`${dir} has no _generated directory: run \`npx convex codegen\` first.`);
  }
  const others = files.filter((file) => !file.startsWith("_generated/"));
  const modules: ModuleMap = {};
  for (const file of [...generated, ...others]) {
    const url = pathToFileURL(join(dir, file)).href;
    modules[`./${file}`] = () => import(url);
  }
  return modules;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        return entry.name === "node_modules" ? [] : listFiles(path);
      }
      return entry.isFile() ? [path] : [];
    });
}
