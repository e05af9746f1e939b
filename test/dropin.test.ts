/// <reference types="vite/client" />
/**
 * The drop-in (`convex-rollouts/migrations`) behaves as `@convex-dev/migrations`
 * 0.3.6 documents, on our engine. The app in test/dropin was written for that
 * package and switched by changing module specifiers only; `legacy.ts` runs
 * the same migrations on that package itself (installed as "oldMigrations"),
 * to produce the state a deployment holds when it switches.
 *
 * test/dropin/convex/_generated was written by the offline codegen
 * (../shared/tools/convex-codegen-offline.mjs) run in a copy of test/dropin
 * with a package.json naming convex, convex-rollouts and @convex-dev/migrations
 * and a node_modules linking this package's; regenerate it the same way when
 * the app's modules change.
 */
import { convexTest } from "convex-test";
import {
  createFunctionHandle,
  getFunctionName,
  makeFunctionReference,
  type GenericDataModel,
  type GenericMutationCtx,
} from "convex/server";
import { ConvexError } from "convex/values";
import { stream } from "convex-helpers/server/stream";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  DEFAULT_BATCH_SIZE,
  Migrations,
  isNewFormatCursor,
  runToCompletion,
  type MigrationStatus,
} from "convex-rollouts/migrations";
import component from "convex-rollouts/migrations/test";
import type { ComponentApi } from "../src/migrations/component/_generated/component.js";
import { cursorFromLegacy } from "../src/shared/legacy.js";
import theirSchema from "../node_modules/@convex-dev/migrations/dist/component/schema.js";
import { components, internal } from "./dropin/convex/_generated/api.js";
import schema from "./dropin/convex/schema.js";
import { migrations } from "./dropin/convex/tasks.js";

const modules = import.meta.glob("./dropin/convex/**/*.*s");
const theirModules = import.meta.glob(
  "../node_modules/@convex-dev/migrations/dist/component/**/*.js",
);

function setup() {
  const t = convexTest(schema, modules);
  component.register(t);
  t.registerComponent("oldMigrations", theirSchema, theirModules);
  return t;
}
type T = ReturnType<typeof setup>;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

async function drain(t: T) {
  await t.finishAllScheduledFunctions(vi.runAllTimers, 1_000);
}

async function tasks(t: T) {
  return await t.run(async (ctx) => await ctx.db.query("tasks").collect());
}

/** convex-test runs functions inside a component too; its typings do not say so yet. */
async function inComponent<R>(
  t: T,
  name: string,
  fn: (ctx: {
    db: {
      query: (table: string) => { collect: () => Promise<Record<string, unknown>[]> };
      insert: (table: string, doc: Record<string, unknown>) => Promise<string>;
    };
  }) => Promise<R>,
): Promise<R> {
  return await (
    t as unknown as { runInComponent: (path: string, f: typeof fn) => Promise<R> }
  ).runInComponent(name, fn);
}

const fillOwner = internal.tasks.fillOwner;
const fillOwnerName = getFunctionName(fillOwner);

describe("their client tests", () => {
  test("the class takes a component and touches nothing until used", () => {
    expect(() => new Migrations({} as ComponentApi)).not.toThrow();
  });

  test("DEFAULT_BATCH_SIZE is 100, and batches are 100 by default", async () => {
    expect(DEFAULT_BATCH_SIZE).toBe(100);
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 250 });
    const status = await t.run(
      async (ctx) => await migrations.runOne(ctx, internal.tasks.clearOwner),
    );
    expect(status).toMatchObject({ state: "inProgress", processed: 100, batchSize: 100 });
  });

  test("isNewFormatCursor tells their paginator's cursors from Convex's", () => {
    expect(isNewFormatCursor(null)).toBe(true);
    expect(isNewFormatCursor('[1719412234000,"k97d5ycbj3vgwcprmmxvmrm2dh7a5qhv"]')).toBe(true);
    expect(isNewFormatCursor("u1oU8i23WMATVwA2CneZ")).toBe(false);
    expect(isNewFormatCursor("")).toBe(false);
  });
});

describe("their example app's tests", () => {
  test("runToCompletion migrates every document", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    const status = await t.run(
      async (ctx) => await runToCompletion(ctx, components.migrations, fillOwner, { batchSize: 2 }),
    );
    expect(status).toMatchObject({ name: fillOwnerName, state: "success", isDone: true });
    expect(status.cursor).toBeNull();
    const after = await tasks(t);
    expect(after.every((task) => task.owner !== undefined)).toBe(true);
    expect(after.filter((task) => task.visits === 1)).toHaveLength(5);
  });

  test("runToCompletion throws what migrateOne threw", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    await expect(
      t.run(async (ctx) => {
        await runToCompletion(ctx, components.migrations, internal.tasks.failing);
      }),
    ).rejects.toThrow("Only the first task can be migrated");
  });

  test("runToCompletion takes a function handle with its name", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    await t.run(async (ctx) => {
      const handle = await createFunctionHandle(fillOwner);
      const status = await runToCompletion(ctx, components.migrations, handle, {
        name: fillOwnerName,
        batchSize: 2,
      });
      expect(status.state).toBe("success");
      // Without its name, a handle cannot be told apart: the error says what to pass.
      await expect(runToCompletion(ctx, components.migrations, handle)).rejects.toThrow(
        /pass the migration's name/,
      );
    });
    expect((await tasks(t)).every((task) => task.owner !== undefined)).toBe(true);
  });

  test("runOne runs the first batch inline, then no-ops while it runs", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    const first = await t.run(
      async (ctx) => await migrations.runOne(ctx, fillOwner, { batchSize: 2 }),
    );
    expect(first).toMatchObject({ name: fillOwnerName, state: "inProgress", processed: 2 });
    const second = await t.run(
      async (ctx) => await migrations.runOne(ctx, fillOwner, { batchSize: 2 }),
    );
    expect(second).toMatchObject({ state: "inProgress", processed: 2 });
    await drain(t);
    const [done] = await t.query(internal.tasks.statusOfAll, {});
    expect(done).toMatchObject({ state: "success", isDone: true, processed: 10 });
    expect((await tasks(t)).filter((task) => task.visits === 1)).toHaveLength(5);
  });

  test("runSerially no-ops when its first migration is in progress", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    const first = await t.run(
      async (ctx) => await migrations.runOne(ctx, fillOwner, { batchSize: 2 }),
    );
    const again = await t.run(
      async (ctx) => await migrations.runSerially(ctx, [fillOwner, internal.tasks.fixEmptyText]),
    );
    expect(again).toMatchObject({ name: fillOwnerName, state: "inProgress" });
    expect(again?.processed).toBe(first.processed);
  });

  test("runSerially no-ops when a later migration is in progress: the first never starts", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    await t.run(async (ctx) => await migrations.runOne(ctx, fillOwner, { batchSize: 2 }));
    const result = await t.run(
      async (ctx) => await migrations.runSerially(ctx, [internal.tasks.clearOwner, fillOwner]),
    );
    expect(result).toMatchObject({ name: fillOwnerName, state: "inProgress" });
    const [clearOwner] = await t.run(
      async (ctx) => await migrations.getStatus(ctx, { migrations: [internal.tasks.clearOwner] }),
    );
    expect(clearOwner).toMatchObject({ state: "unknown", isDone: false, processed: 0 });
    await drain(t);
    // clearOwner never ran beside fillOwner: no task was visited by both.
    expect((await tasks(t)).every((task) => (task.visits ?? 0) <= 1)).toBe(true);
  });
});

describe("their documented behaviour", () => {
  test("getStatus answers one entry per name, in order, unknown for one that never ran", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 4 });
    await t.run(async (ctx) => await runToCompletion(ctx, components.migrations, fillOwner));
    const statuses = await t.run(
      async (ctx) =>
        await migrations.getStatus(ctx, {
          migrations: ["tasks:neverDefined", fillOwner, internal.tasks.clearOwner],
        }),
    );
    expect(statuses.map((s) => [s.name, s.state])).toEqual([
      ["tasks:neverDefined", "unknown"],
      [fillOwnerName, "success"],
      ["tasks:clearOwner", "unknown"],
    ]);
    // Without names: the most recent, oldest first, as theirs.
    await t.run(
      async (ctx) => await runToCompletion(ctx, components.migrations, internal.tasks.clearOwner),
    );
    const recent = await t.run(async (ctx) => await migrations.getStatus(ctx, { limit: 10 }));
    expect(recent.map((s) => s.name)).toEqual([fillOwnerName, "tasks:clearOwner"]);
    const one = await t.run(async (ctx) => await migrations.getStatus(ctx, { limit: 1 }));
    expect(one.map((s) => s.name)).toEqual(["tasks:clearOwner"]);
  });

  test("the CLI forms: a migration by itself, a runner, and the component's lib functions", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    // npx convex run tasks:fillOwner '{dryRun: true}'
    const dry = (await t.mutation(fillOwner, { dryRun: true })) as Record<string, unknown>;
    expect(dry).toMatchObject({ Name: fillOwnerName, processed: 2 });
    expect(String(dry.Status)).toMatch(/^DRY RUN: /);
    expect((await tasks(t)).every((task) => task.visits === undefined)).toBe(true);
    // npx convex run tasks:run '{fn: "tasks:fillOwner"}'
    const started = (await t.mutation(internal.tasks.run, { fn: fillOwnerName })) as Record<
      string,
      { cmd: string; args: string }
    >;
    expect(started.toCancel).toMatchObject({
      cmd: "npx convex run --component migrations lib:cancel",
      args: `{name: "${fillOwnerName}"}`,
    });
    // npx convex run --component migrations lib:getStatus
    const [status] = await t.query(components.migrations.lib.getStatus, { names: [fillOwnerName] });
    expect(status).toMatchObject({ state: "inProgress", processed: 2 });
    // npx convex run --component migrations lib:cancel '{name: "tasks:fillOwner"}'
    const canceled = await t.mutation(components.migrations.lib.cancel, { name: fillOwnerName });
    expect(canceled.state).toBe("canceled");
    await drain(t);
    expect((await tasks(t)).filter((task) => task.visits === 1)).toHaveLength(1);
    // Running it again resumes where it stopped.
    await t.mutation(fillOwner, {});
    await drain(t);
    expect((await tasks(t)).filter((task) => task.visits === 1)).toHaveLength(5);
    await expect(
      t.mutation(components.migrations.lib.cancel, { name: "tasks:nope" }),
    ).rejects.toThrow(/Migration tasks:nope not found/);
  });

  test("runner errors, the name check, and the dashboard's empty arguments", async () => {
    const t = setup();
    await expect(t.mutation(internal.tasks.run, {})).rejects.toThrow(/Specify the migration/);
    await expect(t.mutation(internal.tasks.runAll, { fn: fillOwnerName })).rejects.toThrow(
      /Specify only one of fn or specificMigration/,
    );
    await expect(t.mutation(fillOwner, { fn: "tasks:clearOwner" })).rejects.toThrow(
      /Function name mismatch: expected tasks:fillOwner, got tasks:clearOwner/,
    );
    // Convex's createFunctionHandle refuses a name with no function ("Can't find function");
    // convex-test makes the handle, and the component refuses it, naming it.
    await expect(t.mutation(internal.tasks.run, { fn: "tasks:nope" })).rejects.toThrow(
      /tasks:nope/,
    );
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(await t.mutation(fillOwner, { cursor: "", batchSize: 0 })).toBeNull();
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  test("runAll runs the series in order, skips what is done, and stops at a failure", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 6 });
    await t.run(async (ctx) => await runToCompletion(ctx, components.migrations, fillOwner));
    await t.mutation(internal.tasks.postDeploy, {});
    await drain(t);
    const statuses = await t.query(internal.tasks.statusOfAll, {});
    expect(statuses.map((s) => [s.name, s.state])).toEqual([
      [fillOwnerName, "success"],
      ["tasks:fixEmptyText", "success"],
      ["tasks:stringifyPriority", "success"],
      ["tasks:failing", "failed"],
    ]);
    expect(statuses[3]!.error).toMatch(/Only the first task can be migrated/);
    const after = await tasks(t);
    expect(after.filter((task) => task.text === "")).toEqual([]);
    expect(after.every((task) => typeof task.priority === "string")).toBe(true);
    // fillOwner ran once, before the series: the series skipped it.
    expect(after.filter((task) => task.visits === 1)).toHaveLength(3);
    await t.run(async (ctx) => {
      expect(await migrations.runSerially(ctx, [])).toBeUndefined();
    });
  });

  test("reset starts a finished migration over; next chains; a dry run from runOne throws", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 4 });
    await t.mutation(internal.tasks.run, { fn: "tasks:clearOwner", next: [fillOwnerName] });
    await drain(t);
    expect((await tasks(t)).every((task) => task.visits === 2)).toBe(true);
    await t.mutation(internal.tasks.clearOwner, { reset: true });
    await drain(t);
    expect((await tasks(t)).every((task) => task.visits === 3)).toBe(true);
    const thrown = await t
      .run(async (ctx) => await migrations.runOne(ctx, fillOwner, { dryRun: true }))
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ConvexError);
    expect((thrown as ConvexError<{ kind: string; status: MigrationStatus }>).data).toMatchObject({
      kind: "DRY RUN",
      status: { name: fillOwnerName, processed: 2 },
    });
    expect((await tasks(t)).every((task) => task.visits === 3)).toBe(true);
  });

  test("a runner honours oneBatchOnly: one batch, then it stops, resumable", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    await t.mutation(internal.tasks.run, { fn: fillOwnerName, oneBatchOnly: true });
    await drain(t);
    const [status] = await t.query(components.migrations.lib.getStatus, { names: [fillOwnerName] });
    expect(status).toMatchObject({ state: "unknown", processed: 2, isDone: false });
    await t.mutation(internal.tasks.run, { fn: fillOwnerName });
    await drain(t);
    expect((await tasks(t)).filter((task) => task.visits === 1)).toHaveLength(5);
  });

  test("cancelAll stops every migration in progress", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    await t.run(async (ctx) => await migrations.runOne(ctx, fillOwner));
    await t.run(
      async (ctx) =>
        await migrations.runOne(ctx, internal.tasks.stringifyPriority, { batchSize: 1 }),
    );
    await t.run(
      async (ctx) => await runToCompletion(ctx, components.migrations, internal.tasks.fixEmptyText),
    );
    const canceled = await t.run(async (ctx) => await migrations.cancelAll(ctx));
    expect(canceled.map((s) => [s.name, s.state]).sort()).toEqual([
      [fillOwnerName, "canceled"],
      ["tasks:stringifyPriority", "canceled"],
    ]);
    await drain(t);
    const statuses = await t.query(internal.tasks.statusOfAll, {});
    expect(statuses.map((s) => s.state)).toEqual(["canceled", "success", "canceled", "unknown"]);
  });
});

describe("moving to Rollouts one migration at a time", () => {
  test("a Rollouts instance on components.migrations runs beside the drop-in, one status", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 6 });
    await t.mutation(internal.moved.stringifyPriority, {});
    await drain(t);
    const [moved] = await t.run(
      async (ctx) => await migrations.getStatus(ctx, { migrations: ["moved:stringifyPriority"] }),
    );
    expect(moved).toMatchObject({ state: "success", processed: 6 });
    const { migrations: ours } = await t.query(internal.moved.status, {});
    expect(ours[0]).toMatchObject({
      name: "moved:stringifyPriority",
      state: "done",
      adaptive: true,
    });
  });
});

describe("carrying over what @convex-dev/migrations left", () => {
  type Row = {
    name: string;
    cursor: string | null;
    isDone: boolean;
    processed: number;
    latestStart: number;
    latestEnd?: number;
    error?: string;
    workerId?: string;
  };

  /** Their row for a migration, as their component keeps it. */
  async function theirRow(t: T, name: string): Promise<Row> {
    const rows = await inComponent(t, "oldMigrations", async (ctx) => {
      return await ctx.db.query("migrations").collect();
    });
    const row = rows.find((r) => r.name === name);
    if (row === undefined) throw new Error(`no row of theirs for ${name}`);
    const { _id, _creationTime, ...fields } = row as Row & { _id: string; _creationTime: number };
    return fields;
  }

  /**
   * Deploying the drop-in in place of theirs keeps their component's tables
   * (same name, same tables): their row is then in the drop-in's `migrations`
   * table. Here it is copied there, under the name the same function has in
   * the switched app. The insert is checked against the drop-in's schema.
   */
  async function switchOver(t: T, row: Row, name: string) {
    const { workerId: _worker, ...fields } = row;
    await inComponent(t, "migrations", async (ctx) => {
      return await ctx.db.insert("migrations", { ...fields, name });
    });
  }

  async function visitCounts(t: T) {
    const counts = new Map<number, number>();
    for (const task of await tasks(t)) {
      counts.set(task.visits ?? 0, (counts.get(task.visits ?? 0) ?? 0) + 1);
    }
    return Object.fromEntries(counts);
  }

  /** Their fillOwner, stopped after two batches of 3 (a paginator cursor, 6 processed). */
  async function halfDoneByThem(t: T): Promise<Row> {
    await t.mutation(internal.tasks.seed, { count: 20 });
    const { theirs } = await import("./dropin/convex/legacy.js");
    await t.run(async (ctx) => {
      await theirs.runOne(ctx, internal.legacy.fillOwner, { batchSize: 3 });
    });
    vi.runOnlyPendingTimers();
    await t.finishInProgressScheduledFunctions();
    await t.run(async (ctx) => {
      await theirs.cancel(ctx, internal.legacy.fillOwner);
    });
    const row = await theirRow(t, "legacy:fillOwner");
    expect(row).toMatchObject({ isDone: false, processed: 6 });
    expect(row.cursor?.startsWith("[")).toBe(true);
    return row;
  }

  test("a migration half done continues at their cursor: every document exactly once", async () => {
    const t = setup();
    const row = await halfDoneByThem(t);
    await switchOver(t, row, fillOwnerName);
    // Before anything of ours runs it, status reads their row as they did.
    const [before] = await t.query(components.migrations.lib.getStatus, { names: [fillOwnerName] });
    expect(before).toMatchObject({ isDone: false, processed: 6, cursor: row.cursor });
    const done = await t.run(
      async (ctx) => await runToCompletion(ctx, components.migrations, fillOwner),
    );
    expect(done).toMatchObject({ state: "success", processed: 20 });
    // 10 tasks had no owner: each was migrated once, across the two engines.
    expect(await visitCounts(t)).toEqual({ 0: 10, 1: 10 });
  });

  test("a migration they finished stays finished: a series skips it", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 10 });
    await t.run(
      async (ctx) =>
        await (
          await import("@convex-dev/migrations")
        ).runToCompletion(ctx, components.oldMigrations, internal.legacy.fillOwner),
    );
    await switchOver(t, await theirRow(t, "legacy:fillOwner"), fillOwnerName);
    await t.mutation(internal.tasks.postDeploy, {});
    await drain(t);
    const statuses = await t.query(internal.tasks.statusOfAll, {});
    expect(statuses[0]).toMatchObject({ name: fillOwnerName, state: "success", processed: 10 });
    expect(statuses[1]).toMatchObject({ state: "success" });
    expect(await visitCounts(t)).toEqual({ 0: 5, 1: 5 });
  });

  test("a migration that failed with theirs shows failed, and resumes at their cursor", async () => {
    const t = setup();
    await t.mutation(internal.tasks.seed, { count: 12 });
    // As their clearOwner leaves it when its second batch threw: a paginator cursor after 4.
    const cursor = await t.run(async (ctx) => {
      const page = await stream(ctx.db, schema).query("tasks").paginate({
        cursor: null,
        numItems: 4,
      });
      for (const task of page.page) await ctx.db.patch("tasks", task._id, { visits: 1 });
      return page.continueCursor;
    });
    await switchOver(
      t,
      { name: "", cursor, isDone: false, processed: 4, latestStart: Date.now(), error: "boom" },
      "tasks:clearOwner",
    );
    const [failed] = await t.run(
      async (ctx) => await migrations.getStatus(ctx, { migrations: ["tasks:clearOwner"] }),
    );
    expect(failed).toMatchObject({ state: "failed", error: "boom", processed: 4 });
    await t.run(async (ctx) => await migrations.runOne(ctx, internal.tasks.clearOwner));
    await drain(t);
    expect(await visitCounts(t)).toEqual({ 1: 12 });
  });

  test("their cursors are told apart as they told them apart", () => {
    // convex-helpers' paginator (their 0.3.5 on) writes a JSON array; Convex's own
    // cursor (theirs before 0.3.5) is opaque. convex-test's own cursors are JSON
    // too, so the second kind is checked here rather than end to end.
    expect(cursorFromLegacy("tasks", '[1719412234000,"k97d5"]')).toBe(
      'tasks|paginator|[1719412234000,"k97d5"]',
    );
    expect(cursorFromLegacy("tasks", "u1oU8i23WMATVwA2CneZ")).toBe("tasks|u1oU8i23WMATVwA2CneZ");
  });

  test("their batch still scheduled at the switch continues it on our engine, and runs nothing twice", async () => {
    const t = setup();
    const row = await halfDoneByThem(t);
    await switchOver(t, row, fillOwnerName);
    // What their scheduled batch sends to lib:migrate, which is now ours.
    const theirJob = {
      name: fillOwnerName,
      fnHandle: await t.run(async () => await createFunctionHandle(fillOwner)),
      cursor: row.cursor,
      batchSize: 3,
      dryRun: false,
    };
    const continued = await t.mutation(components.migrations.lib.migrate, theirJob);
    expect(continued).toMatchObject({ state: "inProgress", processed: 9 });
    await drain(t);
    // The same job again, after ours finished (say, retried): nothing runs again.
    const again = await t.mutation(components.migrations.lib.migrate, theirJob);
    expect(again).toMatchObject({ state: "success", processed: 20 });
    await drain(t);
    expect(await visitCounts(t)).toEqual({ 0: 10, 1: 10 });
  });

  /** Their row with their next batch scheduled in the drop-in's namespace, as at the switch. */
  async function withTheirBatchScheduled(t: T, row: Row) {
    const fnHandle = await t.run(async () => await createFunctionHandle(fillOwner));
    await (
      t as unknown as {
        runInComponent: (
          path: string,
          f: (ctx: GenericMutationCtx<GenericDataModel>) => Promise<unknown>,
        ) => Promise<unknown>;
      }
    ).runInComponent("migrations", async (ctx) => {
      const workerId = await ctx.scheduler.runAfter(
        0,
        makeFunctionReference<"mutation">("lib:migrate"),
        { name: fillOwnerName, fnHandle, cursor: row.cursor, batchSize: 3, dryRun: false },
      );
      const { workerId: _old, ...fields } = row;
      await ctx.db.insert("migrations", { ...fields, name: fillOwnerName, workerId });
    });
  }

  test("their batch scheduled at the switch runs our lib:migrate and finishes the migration", async () => {
    const t = setup();
    await withTheirBatchScheduled(t, await halfDoneByThem(t));
    const [pending] = await t.query(components.migrations.lib.getStatus, {
      names: [fillOwnerName],
    });
    expect(pending).toMatchObject({ state: "inProgress", processed: 6, batchSize: 3 });
    await drain(t);
    const [done] = await t.query(components.migrations.lib.getStatus, { names: [fillOwnerName] });
    expect(done).toMatchObject({ state: "success", processed: 20 });
    expect(await visitCounts(t)).toEqual({ 0: 10, 1: 10 });
  });

  test("a series started meanwhile sees it in progress; runToCompletion cancels their batch", async () => {
    const t = setup();
    await withTheirBatchScheduled(t, await halfDoneByThem(t));
    // Their batch is pending: as theirs, a series reads it as in progress and starts nothing.
    await t.mutation(internal.tasks.postDeploy, {});
    const [waiting] = await t.query(internal.tasks.statusOfAll, {});
    expect(waiting).toMatchObject({ state: "inProgress", processed: 6 });
    // runToCompletion takes the migration over now, and their batch is canceled.
    const done = await t.run(
      async (ctx) => await runToCompletion(ctx, components.migrations, fillOwner),
    );
    expect(done).toMatchObject({ state: "success", processed: 20 });
    await drain(t);
    expect(await visitCounts(t)).toEqual({ 0: 10, 1: 10 });
  });

  test("a dry run of a migration they left half done plans from their cursor", async () => {
    const t = setup();
    const row = await halfDoneByThem(t);
    await switchOver(t, row, fillOwnerName);
    const report = (await t.mutation(fillOwner, { dryRun: true })) as Record<string, unknown>;
    expect(report).toMatchObject({ Name: fillOwnerName, processed: 8 });
    // Their two batches touched the 3 of their 6 tasks that had no owner; the dry run nothing.
    expect(await visitCounts(t)).toEqual({ 0: 17, 1: 3 });
    // Nothing was carried over by the dry run: their row is still theirs.
    const [status] = await t.query(components.migrations.lib.getStatus, { names: [fillOwnerName] });
    expect(status).toMatchObject({ processed: 6, cursor: row.cursor });
  });
});
