/// <reference types="vite/client" />
/** The declarative-rollout test app (test/fixtures/reshape) on convex-test, with the component. */
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import type { GenericId } from "convex/values";
import { vi } from "vitest";
import { register } from "../src/test.js";
import type { RolloutStatus, Status } from "../src/client/index.js";
import schema from "./fixtures/reshape/schema.js";

const modules = {
  // convex-test finds the app's root by its _generated folder; this app has no generated code.
  "./fixtures/reshape/_generated/none.js": () => Promise.resolve({}),
  ...import.meta.glob("./fixtures/reshape/*.ts"),
};

export function setupReshape() {
  const t = convexTest({ schema, modules });
  register(t);
  return t;
}
export type RT = ReturnType<typeof setupReshape>;
export type PersonId = GenericId<"people">;
export type Person = { _id: PersonId; _creationTime: number } & Record<string, unknown>;

/** The app of one module: its writes, verbs and reads, as the tests use them. */
export function appOf(t: RT, module: string, rollout: string) {
  const m = (name: string) =>
    makeFunctionReference<"mutation", Record<string, unknown>, unknown>(`${module}:${name}`);
  const q = (name: string) =>
    makeFunctionReference<"query", Record<string, unknown>, unknown>(`${module}:${name}`);
  return {
    insert: async (doc: Record<string, unknown>) =>
      (await t.mutation(m("insert"), { doc })) as PersonId,
    insertMany: async (docs: Record<string, unknown>[]) =>
      (await t.mutation(m("insertMany"), { docs })) as PersonId[],
    patch: async (id: PersonId, fields: Record<string, unknown>) => {
      await t.mutation(m("patch"), { id, fields });
    },
    replace: async (id: PersonId, doc: Record<string, unknown>) => {
      await t.mutation(m("replace"), { id, doc });
    },
    remove: async (id: PersonId) => {
      await t.mutation(m("remove"), { id });
    },
    bypassInsert: async (doc: Record<string, unknown>) =>
      (await t.mutation(m("bypassInsert"), { doc })) as PersonId,
    bypassPatch: async (id: PersonId, fields: Record<string, unknown>) => {
      await t.mutation(m("bypassPatch"), { id, fields });
    },
    advance: async (to: string) =>
      (await t.mutation(m("advance"), { rollout, to })) as RolloutStatus,
    rollback: async () => (await t.mutation(m("rollback"), { rollout })) as RolloutStatus,
    verify: async () => (await t.mutation(m("verify"), { rollout })) as RolloutStatus,
    status: async () => {
      const all = (await t.query(q("status"), {})) as Status;
      const found = all.rollouts.find((r) => r.name === rollout);
      if (!found) throw new Error(`status does not show ${rollout}`);
      return found;
    },
    readAll: async () => (await t.query(q("readAll"), {})) as Person[],
    stored: async () =>
      (await t.run(async (ctx) => await ctx.db.query("people").collect())) as Person[],
    get: async (id: PersonId) =>
      (await t.run(async (ctx) => await ctx.db.get("people", id))) as Person | null,
  };
}

/** Seeds people in the old shape, before any rollout, in chunks. */
export async function seed(t: RT, docs: Record<string, unknown>[]): Promise<PersonId[]> {
  const ids: PersonId[] = [];
  for (let start = 0; start < docs.length; start += 100) {
    const chunk = docs.slice(start, start + 100);
    ids.push(
      ...(await t.run(async (ctx) => {
        const out = [];
        for (const doc of chunk) out.push(await ctx.db.insert("people", doc));
        return out;
      })),
    );
  }
  return ids;
}

export async function drain(t: RT): Promise<void> {
  await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
}

export async function runScheduledOnce(t: RT): Promise<void> {
  vi.runOnlyPendingTimers();
  await t.finishInProgressScheduledFunctions();
}
