/**
 * The benchmark app (scripts/bench/app/convex) on convex-test, in plain Node,
 * with both components registered: convex-rollouts from src/ (as
 * scripts/exampleApp.ts does) and @convex-dev/migrations from its built
 * package. Its `register()` (@convex-dev/migrations/test) globs its modules with
 * `import.meta.glob`, which only vite provides, so the module map is built here
 * from the files of node_modules/@convex-dev/migrations/dist/component, keyed
 * the way convex-test's moduleCache expects (see scripts/modules.ts).
 */
import { convexTest } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setImmediate } from "node:timers";
import { fileURLToPath } from "node:url";
import { Rollouts } from "../../src/client/index.js";
import { modules as rolloutModules, schema as rolloutSchema } from "../../src/test.js";
import { functionModules, type ModuleMap } from "../modules.js";
import type { Id } from "./app/convex/_generated/dataModel.js";
import schema from "./app/convex/schema.js";
import { install, wrapSyscalls } from "./capture.js";

export const APP_DIR = fileURLToPath(new URL("./app/convex/", import.meta.url));

/** @convex-dev/migrations' component directory, wherever npm put the package. */
function theirComponentDir(): string {
  const require = createRequire(import.meta.url);
  // The package exports "./package.json"; its built component sits beside it.
  return join(dirname(require.resolve("@convex-dev/migrations/package.json")), "dist", "component");
}

let theirs: { modules: ModuleMap; schema: SchemaDefinition<GenericSchema, boolean> } | null = null;

async function theirComponent() {
  if (theirs !== null) return theirs;
  const modules = functionModules(theirComponentDir());
  const schemaModule = (await modules["./schema.js"]!()) as {
    default: SchemaDefinition<GenericSchema, boolean>;
  };
  theirs = { modules, schema: schemaModule.default };
  return theirs;
}

/**
 * convex-test loads a function's module on every call (`await module()`). Under
 * tsx each `import()`, even of a module already loaded, is a round trip to
 * tsx's loader thread: about 1 ms per function call that no deployment pays,
 * and twice as often for a component's batch (it calls the app) as for the
 * hand loop. So the first import is kept and reused.
 *
 * One turn of the event loop (a `setImmediate`, a few µs) stays: convex-test's
 * `finishAllScheduledFunctions` gives up after 20 consecutive checks that find
 * no function in flight, and a function that ran from start to end inside one
 * timer callback is never seen in flight; without the turn it returns after
 * about 20 batches with the next one still pending.
 */
function memoized(modules: ModuleMap): ModuleMap {
  return Object.fromEntries(
    Object.entries(modules).map(([key, load]) => {
      let loaded: Promise<unknown> | undefined;
      return [
        key,
        async () => {
          const module = await (loaded ??= load());
          await new Promise((resolve) => setImmediate(resolve));
          return module;
        },
      ];
    }),
  );
}

export async function setupBench() {
  install();
  const t = convexTest(schema, memoized(functionModules(APP_DIR)));
  wrapSyscalls();
  // What src/test.ts's register(t) does, with the same modules, memoized.
  t.registerComponent("rollouts", rolloutSchema, memoized(rolloutModules));
  const { modules, schema: theirSchema } = await theirComponent();
  t.registerComponent("migrations", theirSchema, memoized(modules));
  await checkOneCopy();
  return t;
}
export type BenchT = Awaited<ReturnType<typeof setupBench>>;

async function checkOneCopy(): Promise<void> {
  const app = await import("./app/convex/migrations.js");
  if (!(app.rollouts instanceof Rollouts)) {
    throw new Error(
      "The bench app loaded convex-rollouts from another copy than src/ (dist/?). Run it " +
        "with `tsx --tsconfig scripts/tsconfig.json` (as `npm run bench` does).",
    );
  }
}

export type Table = "small" | "large";

/** About 4 KB of text, different for each document. */
const FILLER = "The quick brown fox jumps over the lazy dog; ".repeat(100);
export const LARGE_BODY_CHARS = 4000;

function smallDoc(i: number) {
  return { a: i, s: `item-${i}` };
}

function largeDoc(i: number) {
  const head = `document ${i}: `;
  const offset = (i * 7) % 45;
  return {
    title: `Title ${i}`,
    body: head + FILLER.slice(offset, offset + LARGE_BODY_CHARS - head.length),
  };
}

/** Inserts `count` documents in transactions of `chunk`, the same documents every time. */
export async function seed(t: BenchT, table: Table, count: number, chunk = 2000): Promise<void> {
  for (let start = 0; start < count; start += chunk) {
    const end = Math.min(count, start + chunk);
    await t.run(async (ctx) => {
      for (let i = start; i < end; i++) {
        if (table === "small") await ctx.db.insert("small", smallDoc(i));
        else await ctx.db.insert("large", largeDoc(i));
      }
    });
  }
}

export type Verdict = { checked: number; wrong: number; firstWrong: string | null };

/** Reads the whole table and checks every document ended right. */
export async function verify(t: BenchT, table: Table): Promise<Verdict> {
  return await t.run(async (ctx) => {
    let checked = 0;
    let wrong = 0;
    let firstWrong: Id<Table> | null = null;
    const note = (id: Id<Table>, ok: boolean) => {
      checked++;
      if (ok) return;
      wrong++;
      firstWrong ??= id;
    };
    if (table === "small") {
      for (const doc of await ctx.db.query("small").collect()) note(doc._id, doc.b === doc.a * 2);
    } else {
      for (const doc of await ctx.db.query("large").collect()) {
        note(doc._id, doc.titleCopy === doc.title && doc.body.length === LARGE_BODY_CHARS);
      }
    }
    return { checked, wrong, firstWrong };
  });
}
