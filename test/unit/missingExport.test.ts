/** The refusal of a reshape() whose backfill export is missing: what it names, and when it applies. */
import { ConvexError } from "convex/values";
import { describe, expect, test } from "vitest";
import { missingExport } from "../../src/client/missingExport.js";
import { rolloutError } from "../../src/shared/errors.js";

const missing = (name: string) =>
  rolloutError("UnknownMigration", `There is no migration named "${name}".`, { name });
const byName = { rollout: "users.plan", exportName: "usersPlan", fnGiven: false };

describe("missingExport", () => {
  test("by the rollout's name: names the export and file, and says to export it or pass fn", () => {
    const refusal = missingExport(missing("migrations:usersPlan"), byName, "dualWrite");
    expect(refusal?.data).toMatchObject({
      kind: "UnknownMigration",
      rollout: "users.plan",
      name: "migrations:usersPlan",
      export: "usersPlan",
    });
    expect(refusal?.data.message).toBe(
      "users.plan cannot enter dualWrite: its backfill is looked for as the export `usersPlan` " +
        "of migrations.ts (migrations:usersPlan), and no Convex function is exported there. Export its backfill " +
        "as `usersPlan` (the rollout's name in camelCase) from migrations.ts (`export const " +
        'usersPlan = <what migrations.reshape("users.plan", ...) returns>.backfill;`), or pass ' +
        'fn: "file:export" saying where it is. Nothing ' +
        "was moved: it stays where it was until its backfill can be called.",
    );
  });

  test("with fn: says to export it there or correct fn", () => {
    const lookup = { rollout: "users.plan", exportName: "plan", fnGiven: true };
    const refusal = missingExport(missing("admin/users:plan"), lookup, "backfill");
    expect(refusal?.data.message).toContain("users.plan cannot enter backfill");
    expect(refusal?.data.message).toContain("the export `plan` of admin/users.ts");
    expect(refusal?.data.message).toContain("`export const plan = <what migrations.reshape(");
    expect(refusal?.data.message).toContain("or correct its fn");
  });

  test("any other error is left as it is", () => {
    // A member of a chain that is missing, not the rollout's own export.
    expect(missingExport(missing("migrations:other"), byName, "backfill")).toBeNull();
    expect(missingExport(rolloutError("NotAMigration", "no"), byName, "dualWrite")).toBeNull();
    expect(missingExport(new ConvexError("plain"), byName, "dualWrite")).toBeNull();
    expect(missingExport(new Error("boom"), byName, "dualWrite")).toBeNull();
  });
});
