/**
 * One spelling per migration. Convex accepts a function by several names
 * ("migrations:setDefault", "migrations.js:setDefault", " migrations:setDefault "),
 * and the component keys runs, cursors and the failure ledger by name: two
 * spellings must never become two migrations running over the same table.
 */

/** The canonical form of a function name: "dir/module:export", no extension, no "./". */
export function canonicalName(name: string): string {
  const trimmed = name.trim();
  const colon = trimmed.lastIndexOf(":");
  const module = colon === -1 ? trimmed : trimmed.slice(0, colon);
  const exported = colon === -1 ? null : trimmed.slice(colon + 1);
  const path = module.replace(/^\.\//, "").replace(/\.(js|ts|jsx|tsx|mjs|cjs)$/, "");
  return exported === null ? path : `${path}:${exported === "" ? "default" : exported}`;
}
