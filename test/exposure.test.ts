/// <reference types="vite/client" />
/**
 * Invariant 6: nothing the package adds is callable by a client unless the
 * app opts in through an authorization check of its own.
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
 *   the app chose to make public, each of which must check its caller. The
 *   package's one way to make public functions is `operatorApi({ authorize })`:
 *   it cannot be called without the app's `authorize`, and each function it
 *   makes refuses whomever that does not answer as an operator or a viewer.
 * - A COMPONENT's function declared with its own `query`/`mutation` is flagged
 *   `isPublic`, but that only means the app that installs it may call it
 *   (through `components.rollouts`). Components expose nothing to clients: a
 *   browser can only name functions of the app itself. So the component's
 *   "public" functions are its interface to the app, and its scheduled work
 *   (`batch:runBatch`, `verify:verifyBatch`) is internal even to the app.
 */
import { makeFunctionReference, type UserIdentity } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Rollouts, isRolloutError, type OperatorStatus } from "../src/client/index.js";
import type { ComponentApi } from "../src/component/_generated/component.js";
import { internal } from "../example/convex/_generated/api.js";
import * as fixtures from "./fixtures/faults.js";
import { drain, expectRolloutError, seedUsers, setup, snapshot, type T } from "./harness.js";

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
 * The example app's functions that are public on purpose, and who may call
 * each. Every one is made by `migrations.operatorApi()` and asks the app's
 * `authorize` first: operators (ROLLOUTS_OPERATORS) may call all of them,
 * viewers (ROLLOUTS_VIEWERS) only `status`, with error text hidden; everyone
 * else is refused (tested below, and in test/operators.test.ts).
 */
const DELIBERATELY_PUBLIC: Record<string, { who: string; args: Record<string, unknown> }> = {
  "dashboard:status": { who: "operators and viewers", args: {} },
  "dashboard:pause": { who: "operators", args: { name: "migrations:normalizeEmails" } },
  "dashboard:resume": { who: "operators", args: { name: "migrations:normalizeEmails" } },
  "dashboard:throttle": {
    who: "operators",
    args: { name: "migrations:normalizeEmails", delayMs: 10 },
  },
  "dashboard:cancel": { who: "operators", args: { name: "migrations:normalizeEmails" } },
  "dashboard:retryFailed": { who: "operators", args: { name: "migrations:normalizeEmails" } },
  "dashboard:advance": { who: "operators", args: { rollout: "users.splitName", to: "backfill" } },
  "dashboard:rollback": { who: "operators", args: { rollout: "users.splitName", reason: "why" } },
  "dashboard:verify": { who: "operators", args: { rollout: "users.splitName" } },
};

const OPERATOR = { subject: "ana", name: "Ana" };
const VIEWER = { subject: "vic", name: "Vic" };
const CALLERS_REFUSED: [string, Partial<UserIdentity> | null][] = [
  ["an anonymous client", null],
  ["an ordinary signed-in user", { subject: "mallory", name: "Mallory", email: "m@example.com" }],
  // The operator's subject from another issuer: a different person.
  ["the operator's subject at another issuer", { subject: "ana", issuer: "https://evil.test" }],
];

/** A deployment with runs, ledger entries and a moved rollout, and its allow-lists set. */
async function sceneWithRuns() {
  vi.stubEnv("ROLLOUTS_OPERATORS", "https://convex.test|ana");
  vi.stubEnv("ROLLOUTS_VIEWERS", "https://convex.test|vic");
  const t = setup();
  await seedUsers(t, 30);
  await t.run(async (ctx) => {
    const [user] = await ctx.db.query("users").take(1);
    await ctx.db.patch("users", user!._id, { email: "Secret Address at home" });
  });
  await t.mutation(internal.migrations.normalizeEmails, { by: "ana" });
  await drain(t);
  await t.mutation(internal.migrations.advance, { rollout: "users.splitName", to: "dualWrite" });
  return t;
}

async function call(t: T, name: string, identity: Partial<UserIdentity> | null): Promise<unknown> {
  const { args } = DELIBERATELY_PUBLIC[name]!;
  const as = identity === null ? t : t.withIdentity(identity);
  return name === "dashboard:status"
    ? await as.query(makeFunctionReference<"query", Record<string, unknown>, unknown>(name), args)
    : await as.mutation(
        makeFunctionReference<"mutation", Record<string, unknown>, unknown>(name),
        args,
      );
}

describe("the app's functions", () => {
  afterEach(() => vi.unstubAllEnvs());

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
        .map((name) => `${name} (public)`)
        .sort(),
    );
  });

  for (const [caller, identity] of CALLERS_REFUSED) {
    test(`every deliberately public function refuses ${caller}, who learns nothing and changes nothing`, async () => {
      const t = await sceneWithRuns();
      const before = await snapshot(t);
      for (const name of Object.keys(DELIBERATELY_PUBLIC)) {
        const data = await expectRolloutError(call(t, name, identity), "Unauthorized");
        // Only the kind and a fixed message: no run, rollout, document or count.
        expect(Object.keys(data).sort(), name).toEqual(["kind", "message"]);
        expect(data.message, name).not.toMatch(/normalizeEmails|splitName|users|\d/);
      }
      expect(await snapshot(t)).toEqual(before);
    });
  }

  test("a viewer may read status, with migrateOne's error text hidden, and may not act", async () => {
    const t = await sceneWithRuns();
    const status = (await call(t, "dashboard:status", VIEWER)) as OperatorStatus;
    expect(status).toMatchObject({ operator: { role: "viewer", name: "Vic" }, redacted: true });
    const run = status.migrations.find((m) => m.name === "migrations:normalizeEmails")!;
    expect(run.failures).toHaveLength(1);
    expect(JSON.stringify(status)).not.toMatch(/Secret Address|at home/);
    const before = await snapshot(t);
    for (const name of Object.keys(DELIBERATELY_PUBLIC).filter((n) => n !== "dashboard:status")) {
      const data = await expectRolloutError(call(t, name, VIEWER), "Unauthorized");
      expect(data.message, name).toMatch(/viewers may see/);
    }
    expect(await snapshot(t)).toEqual(before);
  });

  test("an operator may call every one of them", async () => {
    const t = await sceneWithRuns();
    const status = (await call(t, "dashboard:status", OPERATOR)) as OperatorStatus;
    expect(status).toMatchObject({ operator: { role: "operator", name: "Ana" }, redacted: false });
    expect(JSON.stringify(status)).toContain("Secret Address at home");
    for (const name of Object.keys(DELIBERATELY_PUBLIC)) {
      await expect(call(t, name, OPERATOR), name).resolves.toBeDefined();
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
    // operatorApi() is the one exception, below: public, and only with an authorize.
    // rollout() registers nothing: it answers an object for app code to ask the phase.
    const rollout: unknown = migrations.rollout("x.y", { backfill: fixtures.ref("bump") });
    expect(isRegistered(rollout)).toBe(false);
  });

  test("operatorApi() makes public functions only for an app that says who may call them", () => {
    const migrations = new Rollouts({} as ComponentApi);
    const made = migrations.operatorApi({ authorize: () => null });
    expect(Object.keys(made).sort()).toEqual(
      [
        "advance",
        "cancel",
        "pause",
        "resume",
        "retryFailed",
        "rollback",
        "status",
        "throttle",
        "verify",
      ].sort(),
    );
    for (const [what, value] of Object.entries(made)) {
      expect(visibility(value as Flags), what).toBe("public");
    }
    // No default that lets anyone in: without an authorize there are no functions.
    for (const options of [undefined, {}, { authorize: "yes" }]) {
      let thrown: unknown;
      try {
        // @ts-expect-error -- what a JavaScript caller could pass
        migrations.operatorApi(options);
      } catch (error) {
        thrown = error;
      }
      expect(isRolloutError(thrown, "InvalidArgument"), JSON.stringify(options)).toBe(true);
    }
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
