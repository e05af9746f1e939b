/// <reference types="vite/client" />
/**
 * What convex-test cannot show on its own, checked the way the README's "Testing your app"
 * says: a deployment runs a function with only the modules its file imports, while convex-test
 * keeps every module a test file loaded. A declarative rollout's triggers register when its
 * declaration loads, so whether a module's writes convert depends on what that module imports.
 * `vi.resetModules()` before a call makes that call load only its own module and what it
 * imports, as a deployment does. test/moduleLoading.test.ts checks the same for the CLI verbs.
 */
import { convexTest } from "convex-test";
import { register } from "convex-rollouts/test";
import { makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import type { Id } from "../example/convex/_generated/dataModel.js";
import schema from "../example/convex/schema.js";

const modules = {
  ...import.meta.glob("../example/convex/**/*.*s"),
  "../example/convex/unloaded.ts": () => import("./fixtures/unloaded.js"),
};
/** test/fixtures/unloaded.ts, which the generated api does not know. */
const unloadedSetBio = makeFunctionReference<"mutation", { userId: Id<"users">; bio: string }>(
  "unloaded:setBio",
);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** The example app with one user and users.bio in dualWrite, so a profile's bio is copied back. */
async function bioInDualWrite() {
  const t = convexTest(schema, modules);
  register(t);
  const userId = await t.run(
    async (ctx) => await ctx.db.insert("users", { name: "Ana Lima", email: "ana@example.com" }),
  );
  await t.mutation(internal.migrations.advance, { rollout: "users.bio", to: "dualWrite" });
  const userBio = () => t.run(async (ctx) => (await ctx.db.get("users", userId))?.bio ?? null);
  return { t, userId, userBio };
}

test("profiles.ts converts on its own: it loads the declarations through ./functions", async () => {
  const { t, userId, userBio } = await bioInDualWrite();
  vi.resetModules(); // the next call loads profiles.ts and its imports only, as on a deployment
  await t.mutation(internal.profiles.setBio, { userId, bio: "Hello" });
  expect(await userBio()).toBe("Hello"); // the bio copied back to the user
});

test("a module that does not load the declarations converts nothing on its own", async () => {
  const { t, userId, userBio } = await bioInDualWrite();
  vi.resetModules();
  await t.mutation(unloadedSetBio, { userId, bio: "Hello" });
  expect(await userBio()).toBeNull();
});

test("without a fresh module graph, the same module converts: the declarations stay loaded", async () => {
  const { t, userId, userBio } = await bioInDualWrite();
  await t.mutation(unloadedSetBio, { userId, bio: "Hello" });
  expect(await userBio()).toBe("Hello");
});
