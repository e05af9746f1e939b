/**
 * Registers the component with `convex-test`, for the tests of apps that use it:
 *
 * ```ts
 * import { convexTest } from "convex-test";
 * import { register } from "convex-rollouts/test";
 * const t = convexTest(schema, modules);
 * register(t); // the name given to app.use, "rollouts" by default
 * ```
 */
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import schema from "./component/schema.js";

/**
 * The component's modules, listed by hand rather than with `import.meta.glob`
 * so this works in any test runner. `test/package.test.ts` checks the list
 * against the files in src/component.
 */
export const modules: Record<string, () => Promise<unknown>> = {
  "./component/_generated/api.js": () => import("./component/_generated/api.js"),
  "./component/_generated/server.js": () => import("./component/_generated/server.js"),
  "./component/appCalls.js": () => import("./component/appCalls.js"),
  "./component/batch.js": () => import("./component/batch.js"),
  "./component/controls.js": () => import("./component/controls.js"),
  "./component/convex.config.js": () => import("./component/convex.config.js"),
  "./component/decisions.js": () => import("./component/decisions.js"),
  "./component/drivers.js": () => import("./component/drivers.js"),
  "./component/ledger.js": () => import("./component/ledger.js"),
  "./component/legacy.js": () => import("./component/legacy.js"),
  "./component/lib.js": () => import("./component/lib.js"),
  "./component/metrics.js": () => import("./component/metrics.js"),
  "./component/monitor.js": () => import("./component/monitor.js"),
  "./component/phases.js": () => import("./component/phases.js"),
  "./component/rolloutStatus.js": () => import("./component/rolloutStatus.js"),
  "./component/rollouts.js": () => import("./component/rollouts.js"),
  "./component/runs.js": () => import("./component/runs.js"),
  "./component/schema.js": () => import("./component/schema.js"),
  "./component/sliceDecisions.js": () => import("./component/sliceDecisions.js"),
  "./component/slices.js": () => import("./component/slices.js"),
  "./component/start.js": () => import("./component/start.js"),
  "./component/verify.js": () => import("./component/verify.js"),
};

export function register(
  t: TestConvex<SchemaDefinition<GenericSchema, boolean>>,
  name: string = "rollouts",
): void {
  t.registerComponent(name, schema, modules);
}

export { schema };
export default { register, schema, modules };
