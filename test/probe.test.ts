import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { drain, seedUsers, setup } from "./harness.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test("probe", async () => {
  const t = setup();
  await seedUsers(t, 250);
  const r = await t.mutation(internal.migrations.setDefaultPlan, {});
  console.log(JSON.stringify(r));
  await drain(t);
  console.log(JSON.stringify(await t.query(internal.migrations.status, {})));
  console.log(await t.query(internal.users.countByPlan, {}));
  const dr = await t.mutation(internal.migrations.countPostWords, { dryRun: true });
  console.log(JSON.stringify(dr));
  try { await t.mutation(internal.migrations.run, { fn: "migrations:nope" }); } catch (e) { console.log("unknown:", e); }
  try { await t.mutation(internal.migrations.run, { fn: "users:create" }); } catch (e) { console.log("notmig:", e); }
});
