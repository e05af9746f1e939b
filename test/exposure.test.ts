/// <reference types="vite/client" />
/**
 * Invariant 6: nothing the package adds is callable by a client.
 *
 * Convex marks each registered function with flags (`isQuery`, `isMutation`,
 * `isAction`, `isHttp`, and `isPublic` or `isInternal`): a public function of
 * an app can be called by any browser; an internal one only by the app's own
 * server code and by admins (the CLI, the dashboard).
 *
 * Two kinds of "public" must be told apart:
 * - An APP's public function is reachable from clients. Every function the
 *   package makes for an app (`define()`, `runner()`, `api()`) must be internal,
 *   and so must the example app's, but for an explicit allow-list of functions
 *   the app chose to make public, each of which must check its caller.
 * - A COMPONENT's function declared with its own `query`/`mutation` is flagged
 *   `isPublic`, but that only means the app that installs it may call it
 *   (through `components.rollouts`). Components expose nothing to clients: a
 *   browser can only name functions of the app itself. So the component's
 *   "public" functions are its interface to the app, and its scheduled work
 *   (`batch:runBatch`, `verify:verifyBatch`) is internal even to the app.
 */
import { makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Rollouts, type Status } from "../src/client/index.js";
import type { ComponentApi } from "../src/component/_generated/component.js";
import * as fixtures from "./fixtures/faults.js";
import { setup } from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

type Flags = {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  isHttp?: boolean;
  isPublic?: boolean;
  isInternal?: boolean;
};

function isRegistered(value: unknown): value is Flags {
  if (typeof value !== "function" && (typeof value !== "object" || value === null)) return false;
  const flags = value as Flags;
  return !!(flags.isQuery || flags.isMutation || flags.isAction || flags.isHttp);
}

function visibility(value: Flags): "public" | "internal" | "http" | "unknown" {
  if (value.isHttp) return "http";
  if (value.isPublic && !value.isInternal) return "public";
  if (value.isInternal && !value.isPublic) return "internal";
  return "unknown";
}

/** Every registered function exported by these modules, by "module:export". */
async function registeredIn(
  modules: Record<string, () => Promise<unknown>>,
  moduleName: (path: string) => string,
): Promise<Map<string, Flags>> {
  const found = new Map<string, Flags>();
  for (const [path, load] of Object.entries(modules)) {
    const exports = (await load()) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports)) {
      if (isRegistered(value)) found.set(`${moduleName(path)}:${name}`, value);
    }
  }
  return found;
}

const exampleModules = import.meta.glob([
  "../example/convex/**/*.ts",
  "!../example/convex/_generated/**",
  "!../example/convex/**/*.d.ts",
  // The app's configuration registers no functions (and only loads inside Convex).
  "!../example/convex/convex.config.ts",
]);
const componentModules = import.meta.glob([
  "../src/component/**/*.ts",
  "!../src/component/_generated/**",
]);
const moduleOf = (root: string) => (path: string) =>
  path.slice(path.indexOf(root) + root.length).replace(/\.ts$/, "");

/**
 * The example app's functions that are public on purpose, and why. Each must
 * refuse an anonymous caller (tested below).
 */
const DELIBERATELY_PUBLIC: Record<string, string> = {
  "dashboard:rolloutStatus":
    "the status page's subscription; it refuses callers who are not signed in",
};

describe("the app's functions", () => {
  test("every function of the example app is internal, but the allow-listed ones", async () => {
    const functions = await registeredIn(exampleModules, moduleOf("example/convex/"));
    // The glob found the app: its migrations, the CLI verbs, the app's own functions.
    for (const name of ["migrations:setDefaultPlan", "migrations:run", "migrations:status"]) {
      expect(functions.has(name), name).toBe(true);
    }
    const notInternal = [...functions]
      .filter(([, flags]) => visibility(flags) !== "internal")
      .map(([name, flags]) => `${name} (${visibility(flags)})`);
    expect(notInternal.sort()).toEqual(
      Object.keys(DELIBERATELY_PUBLIC)
        .filter((name) => functions.has(name))
        .map((name) => `${name} (public)`)
        .sort(),
    );
  });

  test("each deliberately public function refuses an anonymous client", async () => {
    const t = setup();
    for (const name of Object.keys(DELIBERATELY_PUBLIC)) {
      const ref = makeFunctionReference<"query">(name);
      await expect(t.query(ref, {}), name).rejects.toThrow(/sign in/i);
      // A signed-in user may read it.
      const status = (await t.withIdentity({ subject: "ana" }).query(ref, {})) as Status;
      expect(status.rollouts.map((r) => r.name)).toContain("users.splitName");
    }
  });

  test("every function the package makes for an app is internal: define, runner, api", () => {
    const migrations = new Rollouts({} as ComponentApi);
    const made: Record<string, unknown> = {
      define: migrations.define({ table: "posts", migrateOne: () => undefined }),
      "define (onError skip, batchSize)": migrations.define({
        table: "posts",
        onError: "skip",
        batchSize: 10,
        migrateOne: () => undefined,
      }),
      "runner()": migrations.runner(),
      "runner(ref)": migrations.runner(fixtures.ref("bump")),
      "runner([refs])": migrations.runner([fixtures.ref("bump"), fixtures.ref("bumpByHand")]),
      ...Object.fromEntries(Object.entries(migrations.api()).map(([k, v]) => [`api().${k}`, v])),
    };
    expect(Object.keys(made)).toEqual(
      expect.arrayContaining(["api().status", "api().advance", "api().plan"]),
    );
    for (const [what, value] of Object.entries(made)) {
      expect(isRegistered(value), what).toBe(true);
      expect(visibility(value as Flags), what).toBe("internal");
    }
    // rollout() registers nothing: it answers an object for app code to ask the phase.
    const rollout: unknown = migrations.rollout("x.y", { backfill: fixtures.ref("bump") });
    expect(isRegistered(rollout)).toBe(false);
  });

  test("so are the test fixture's (the same client, used the way an app does)", () => {
    const notInternal = Object.entries(fixtures as Record<string, unknown>)
      .filter(([, value]) => isRegistered(value) && visibility(value) !== "internal")
      .map(([name]) => name);
    expect(notInternal).toEqual([]);
  });
});

describe("the component's functions", () => {
  test("its interface to the app is flagged public within the component; its scheduled work is internal", async () => {
    const functions = await registeredIn(componentModules, moduleOf("src/component/"));
    const byVisibility = (v: string) =>
      [...functions]
        .filter(([, flags]) => visibility(flags) === v)
        .map(([name]) => name)
        .sort();
    expect(byVisibility("unknown")).toEqual([]);
    expect(byVisibility("http")).toEqual([]);
    // Scheduled batches: not even the app can call them.
    expect(byVisibility("internal")).toEqual(
      expect.arrayContaining(["batch:runBatch", "monitor:check"]),
    );
    // The rest is what the app calls through components.rollouts: the generated
    // ComponentApi lists exactly these, and a component's functions are never
    // reachable from a client.
    const appFacing = byVisibility("public");
    expect(appFacing).toEqual(
      expect.arrayContaining([
        "lib:start",
        "lib:status",
        "lib:dryRun",
        "controls:cancel",
        "rollouts:advance",
        "rollouts:phase",
      ]),
    );
    const { components } = await import("../example/convex/_generated/api.js");
    const api = components.rollouts as unknown as Record<string, Record<string, unknown>>;
    for (const name of appFacing) {
      const [module, fnName] = name.split(":") as [string, string];
      expect(api[module]?.[fnName], `components.rollouts.${module}.${fnName}`).toBeDefined();
    }
  });
});
