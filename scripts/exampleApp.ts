/**
 * The example app (example/convex) with the rollouts component, on convex-test,
 * in plain Node: no network, no account, no build.
 *
 * Run under `tsx --tsconfig scripts/tsconfig.json`: its `paths` make the
 * example's `convex-rollouts` imports resolve to src/ rather than to dist/ (the
 * package's self-reference), so the client, the component (registered from
 * src/test.ts) and the example share one copy of src/shared/*.
 */
import { convexTest } from "convex-test";
import { fileURLToPath } from "node:url";
import schema from "../example/convex/schema.js";
import { Rollouts } from "../src/client/index.js";
import { register } from "../src/test.js";
import { functionModules } from "./modules.js";

export const EXAMPLE_DIR = fileURLToPath(new URL("../example/convex/", import.meta.url));

export async function setupExample() {
  const t = convexTest(schema, functionModules(EXAMPLE_DIR));
  register(t);
  await checkOneCopy();
  return t;
}
export type ExampleT = Awaited<ReturnType<typeof setupExample>>;

/**
 * Fails fast if the example loaded the client from anywhere but src/ (say,
 * dist/ because the script ran without the tsconfig): the two copies would not
 * share classes or shared modules with the component registered from src/.
 */
async function checkOneCopy(): Promise<void> {
  const hint =
    "Run with `tsx --tsconfig scripts/tsconfig.json` (as `npm run demo` does), " +
    "so that `convex-rollouts` resolves to src/.";
  let app;
  try {
    app = await import("../example/convex/migrations.js");
  } catch (error) {
    throw new Error(`Could not load example/convex/migrations.ts. ${hint}`, {
      cause: error,
    });
  }
  if (!(app.migrations instanceof Rollouts)) {
    throw new Error(
      `example/convex loaded convex-rollouts from another copy than src/ (dist/?). ${hint}`,
    );
  }
}
