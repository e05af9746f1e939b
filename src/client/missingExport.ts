/**
 * A `reshape()` whose backfill export cannot be found (issue 20 #3). Its export is what the
 * component calls; entering `dualWrite` asks it what it is, and the component's refusal names
 * a function. For a declarative rollout this says which export was looked for, and why there.
 */
import { isRolloutError, rolloutError } from "../shared/errors.js";
import type { Phase } from "../shared/validators.js";
import { exportOf, moduleOf } from "./names.js";

/**
 * How a declarative rollout's export is found: the export's name, where `fn` says or by the
 * rollout's name (its module may be the verbs' own, known only when a verb asks).
 */
export type ExportLookup = { rollout: string; exportName: string; fnGiven: boolean };

/**
 * The refusal to move `lookup.rollout` to `to` when `error` says its backfill export is missing;
 * null for any other error (a chain member missing, a migration that is there but fails).
 */
export function missingExport(error: unknown, lookup: ExportLookup, to: Phase) {
  if (!isRolloutError(error, "UnknownMigration")) return null;
  const name = error.data.name;
  if (typeof name !== "string" || !name.includes(":")) return null;
  const exported = exportOf(name);
  if (exported !== lookup.exportName) return null;
  const file = `${moduleOf(name)}.ts`;
  const { rollout } = lookup;
  const fix = lookup.fnGiven
    ? `Export its backfill as \`${exported}\` from ${file} (\`export const ${exported} = ` +
      `<what migrations.reshape("${rollout}", ...) returns>.backfill;\`), or correct its fn ` +
      `("file:export") to where it is exported.`
    : `Export its backfill as \`${exported}\` (the rollout's name in camelCase) from ${file} ` +
      `(\`export const ${exported} = <what migrations.reshape("${rollout}", ...) returns>` +
      `.backfill;\`), or pass fn: "file:export" saying where it is.`;
  return rolloutError(
    "UnknownMigration",
    `${rollout} cannot enter ${to}: its backfill is looked for as the export \`${exported}\` ` +
      `of ${file} (${name}), and no Convex function is exported there. ${fix} Nothing was moved: it stays where ` +
      `it was until its backfill can be called.`,
    { rollout, name, export: exported },
  );
}
