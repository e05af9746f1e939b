/** The example app with the component, on convex-test, for the tests. */
import { convexTest } from "convex-test";
import { vi } from "vitest";
import schema from "../example/convex/schema.js";
import { register } from "../src/test.js";

export const modules = import.meta.glob("../example/convex/**/*.*s");

export function setup() {
  const t = convexTest(schema, modules);
  register(t);
  return t;
}
export type T = ReturnType<typeof setup>;

/** Runs every scheduled batch (and the batches they schedule) to the end. */
export async function drain(t: T): Promise<void> {
  await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
}

/** Inserts users as they were before plans existed. */
export async function seedUsers(t: T, count: number, plan?: "free" | "pro"): Promise<void> {
  await t.run(async (ctx) => {
    for (let i = 0; i < count; i++) {
      await ctx.db.insert("users", { name: `User ${i}`, email: `user${i}@example.com`, plan });
    }
  });
}
