/// <reference types="vite/client" />
/** The example app with the component, on convex-test, for the tests. */
import { convexTest } from "convex-test";
import {
  makeFunctionReference,
  type GenericDataModel,
  type GenericMutationCtx,
} from "convex/server";
import { expect, vi } from "vitest";
import schema from "../example/convex/schema.js";
import {
  isRolloutError,
  type MigrationStatus,
  type RolloutErrorData,
  type RolloutErrorKind,
} from "convex-rollouts";
import { internal } from "../example/convex/_generated/api.js";
import { register } from "convex-rollouts/test";

export const modules = {
  ...import.meta.glob("../example/convex/**/*.*s"),
  // Test-only functions, as if the app had a convex/testing.ts.
  "../example/convex/testing.ts": () => import("./fixtures/faults.js"),
  // The features-compose regression cases ("compose:…") and the combined model test ("model:…").
  "../example/convex/compose.ts": () => import("./fixtures/compose.js"),
  "../example/convex/model.ts": () => import("./fixtures/model.js"),
  // Operator functions with other authorize answers and redaction settings ("consoles:…").
  "../example/convex/consoles.ts": () => import("./fixtures/operators.js"),
  // Migrations that run in slices ("parallel:…").
  "../example/convex/parallel.ts": () => import("./fixtures/parallel.js"),
};

/** The app and the component; `transactionLimits` makes convex-test enforce Convex's limits. */
export function setup(
  transactionLimits?: Parameters<typeof convexTest>[0] extends infer O
    ? O extends { transactionLimits?: infer L }
      ? L
      : never
    : never,
) {
  const t = convexTest({ schema, modules, transactionLimits });
  register(t);
  if (transactionLimits !== undefined) underLimits.add(t);
  return t;
}
export type T = ReturnType<typeof setup>;

/** The instances `setup` made with transaction limits, whose reads must fit under them. */
const underLimits = new WeakSet<T>();

/** Runs every scheduled batch (and the batches they schedule) to the end. */
export async function drain(t: T): Promise<void> {
  await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
}

/** Runs only the batches scheduled so far: one step of each running migration. */
export async function runScheduledOnce(t: T): Promise<void> {
  vi.runOnlyPendingTimers();
  await t.finishInProgressScheduledFunctions();
}

/** Inserts users as they were before plans existed. */
export async function seedUsers(t: T, count: number, plan?: "free" | "pro"): Promise<void> {
  await t.run(async (ctx) => {
    for (let i = 0; i < count; i++) {
      await ctx.db.insert("users", { name: `User ${i}`, email: `user${i}@example.com`, plan });
    }
  });
}

/** Inserts posts with no word count, one author; titles from `title(i)`. */
export async function seedPosts(
  t: T,
  count: number,
  title: (i: number) => string = (i) => `Post ${i}`,
  body: (i: number) => string = (i) => `word `.repeat(i % 7),
) {
  const authorId = await t.run(
    async (ctx) => await ctx.db.insert("users", { name: "Author", email: "a@example.com" }),
  );
  const ids = [];
  // In chunks, so seeding also works under tight transaction limits.
  for (let start = 0; start < count; start += 100) {
    const end = Math.min(count, start + 100);
    ids.push(
      ...(await t.run(async (ctx) => {
        const chunk = [];
        for (let i = start; i < end; i++) {
          chunk.push(await ctx.db.insert("posts", { authorId, title: title(i), body: body(i) }));
        }
        return chunk;
      })),
    );
  }
  return ids;
}

/** Every app document and every component document, to show that nothing changed. */
export async function snapshot(t: T) {
  const app = await t.run(async (ctx) => ({
    users: await ctx.db.query("users").collect(),
    posts: await ctx.db.query("posts").collect(),
  }));
  const component = await runInComponent(t, async (ctx) => ({
    migrations: await ctx.db.query("migrations").collect(),
    runs: await ctx.db.query("runs").collect(),
  }));
  return { app, component };
}

/** convex-test runs handlers inside a component too; its typings do not say so yet. */
export async function runInComponent<Result>(
  t: T,
  handler: (ctx: GenericMutationCtx<GenericDataModel>) => Promise<Result>,
): Promise<Result> {
  const withComponents = t as T & {
    runInComponent: (path: string, fn: typeof handler) => Promise<Result>;
  };
  return await withComponents.runInComponent("rollouts", handler);
}

/** Asserts the call throws this package's error of this kind, and returns its data. */
export async function expectRolloutError<K extends RolloutErrorKind>(
  call: Promise<unknown>,
  kind: K,
): Promise<RolloutErrorData<K>> {
  const error = await call.then(
    () => expect.fail(`expected a ${kind} error, but the call succeeded`),
    (e: unknown) => e,
  );
  if (!isRolloutError(error)) throw error;
  expect(error.data.kind).toBe(kind);
  expect(error.data.message.length).toBeGreaterThan(20);
  return error.data as RolloutErrorData<K>;
}

/** How often each post was bumped by the `testing:bump*` migrations, in creation order. */
export async function bumpCounts(t: T): Promise<(number | null)[]> {
  const counts: (number | null)[] = [];
  if (!underLimits.has(t)) {
    // One read: convex-test scans and sorts the whole table for every page, so paging 12,000
    // posts 40 at a time costs 300 scans (seconds).
    const posts = await t.run(async (ctx) => await ctx.db.query("posts").collect());
    return posts.map((post) => post.wordCount ?? null);
  }
  // Page by page, so it also works under tight transaction limits.
  let cursor: string | null = null;
  for (let isDone = false; !isDone;) {
    const page = await t.run(
      async (ctx) => await ctx.db.query("posts").paginate({ cursor, numItems: 40 }),
    );
    counts.push(...page.page.map((post) => post.wordCount ?? null));
    ({ continueCursor: cursor, isDone } = page);
  }
  return counts;
}

/** A migration's status, through the example app's `status` verb; "testing:bump" by default. */
export async function statusOf(t: T, name = "testing:bump"): Promise<MigrationStatus> {
  const [status] = (await t.query(internal.migrations.status, { names: [name] })).migrations;
  if (!status) throw new Error(`no status for ${name}`);
  return status;
}

/**
 * The id of the document a saved `table|…` cursor points after, in
 * convex-test's cursor form; null for the start of the range, undefined when
 * the cursor is not in that form (or is another table's).
 */
export function cursorDocId(cursor: string | null, table: string): string | null | undefined {
  if (cursor === null) return null;
  if (!cursor.startsWith(`${table}|`)) return undefined;
  try {
    const keys = JSON.parse(cursor.slice(table.length + 1)) as unknown;
    if (!Array.isArray(keys) || typeof keys.at(-1) !== "string") return undefined;
    const id = JSON.parse(keys.at(-1) as string) as unknown;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

type Syscalls = { asyncSyscall: (op: string, args: string) => Promise<string> };

/**
 * Runs `body` with every database syscall convex-test makes shown to `see`
 * (its op, like "1.0/get" or "1.0/shallowMerge", and its JSON arguments), so a
 * test can count what transactions read and write; convex-test shows no
 * conflicts, only the reads and writes that cause them.
 */
export async function watchSyscalls(
  see: (op: string, args: { table?: string; id?: string }) => void,
  body: () => Promise<void>,
): Promise<void> {
  const global = globalThis as unknown as { Convex: Syscalls };
  const original = global.Convex;
  global.Convex = new Proxy(original, {
    get(target, key) {
      if (key !== "asyncSyscall") return Reflect.get(target, key) as unknown;
      const call = target.asyncSyscall;
      return async (op: string, json: string) => {
        see(op, JSON.parse(json) as { table?: string; id?: string });
        return await call(op, json);
      };
    },
  });
  try {
    await body();
  } finally {
    global.Convex = original;
  }
}

/**
 * Runs a `Next:` command as printed (`npx convex run <fn> ['<json>']`), as
 * the CLI would: a mutation, or `status` as a query. Answers what it answers.
 */
export async function runPrinted(t: T, command: string): Promise<unknown> {
  const match = /^npx convex run (\S+)(?: '(.*)')?$/.exec(command);
  if (match === null) throw new Error(`not an npx convex run line: ${command}`);
  const [, name, json] = match as unknown as [string, string, string | undefined];
  const args = json === undefined ? {} : (JSON.parse(json) as Record<string, unknown>);
  if (name.endsWith(":status")) {
    return await t.query(makeFunctionReference<"query">(name), args);
  }
  return await t.mutation(makeFunctionReference<"mutation">(name), args);
}
