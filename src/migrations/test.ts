/**
 * Registers the drop-in component with `convex-test`, as
 * `@convex-dev/migrations/test` did:
 *
 * ```ts
 * import component from "convex-rollouts/migrations/test";
 * const t = convexTest(schema, modules);
 * component.register(t); // the name given to app.use, "migrations" by default
 * ```
 */
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import schema from "./component/schema.js";

/**
 * The component's modules, listed by hand so this works in any test runner
 * (`test/package.test.ts` checks the list against the files). They import the
 * engine's modules themselves.
 */
export const modules: Record<string, () => Promise<unknown>> = {
  "./migrations/component/_generated/api.js": () => import("./component/_generated/api.js"),
  "./migrations/component/_generated/server.js": () => import("./component/_generated/server.js"),
  "./migrations/component/batch.js": () => import("./component/batch.js"),
  "./migrations/component/controls.js": () => import("./component/controls.js"),
  "./migrations/component/convex.config.js": () => import("./component/convex.config.js"),
  "./migrations/component/lib.js": () => import("./component/lib.js"),
  "./migrations/component/monitor.js": () => import("./component/monitor.js"),
  "./migrations/component/rollouts.js": () => import("./component/rollouts.js"),
  "./migrations/component/schema.js": () => import("./component/schema.js"),
};

export function register(
  t: TestConvex<SchemaDefinition<GenericSchema, boolean>>,
  name: string = "migrations",
): void {
  t.registerComponent(name, schema, modules);
}

export { schema };
export default { register, schema, modules };
