/**
 * Whether `dist` is the build of the current sources, so a test of the built package can use it
 * as it is instead of rebuilding it (`npm test` builds before `vitest run`). Rebuilding deletes
 * `dist` first, which would pull it from under another test file reading it at the same time.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** What `tsconfig.build.json` compiles: every module of `src` but the tests. */
function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .filter((entry) => !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

function modifiedAt(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * The inputs of the build that are newer than what it wrote (or have no output at all):
 * empty when `dist` is fresh. Each source `src/x.ts` is compiled to `dist/x.js`; the build's
 * configuration and package.json must be older than every output too.
 */
export function staleBuildInputs(root: string): string[] {
  const configs = ["tsconfig.json", "tsconfig.build.json", "package.json"].map((f) =>
    join(root, f),
  );
  const newestConfig = Math.max(...configs.map((path) => modifiedAt(path) ?? 0));
  const stale: string[] = [];
  for (const source of sourcesUnder(join(root, "src"))) {
    const rel = relative(join(root, "src"), source);
    const built = modifiedAt(join(root, "dist", rel.replace(/\.tsx?$/, ".js")));
    const sourceTime = modifiedAt(source) ?? Number.POSITIVE_INFINITY;
    if (built === undefined || built < sourceTime || built < newestConfig) {
      stale.push(`src/${rel.split(sep).join("/")}`);
    }
  }
  return stale;
}
